"""Worked numbers laid out: each expression, then with its numbers put in, then its value.

The numbers come as data from ``symnn.engine.values`` (``Evaluated``, ``WorkedNumbers``); this
module only arranges them for the printer: ``with_numbers`` replaces each quantity by its number
and keeps the expression's structure and textbook order, ``shown`` is the one way a number is
written (negatives in parentheses inside an expression), ``Times`` writes products of numbers with
``\\cdot``. Both ``derive --numeric`` and ``train --worked-step`` lay out their numbers here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.engine.values import Evaluated, Update, WorkedNumbers
from symnn.output.render import format_number
from symnn.printing.latex import textbook_order

ETA = sp.Symbol("eta", positive=True)


class Shown(sp.Symbol):
    """A number as the document prints it (its name is the text, negatives in parentheses)."""

    def _latex(self, printer) -> str:
        return self.name


class Times(sp.Function):
    """A product of numbers written with ``\\cdot`` (juxtaposed numbers would read as digits)."""

    def _latex(self, printer) -> str:
        parts = []
        for factor in self.args:
            text = printer._print(factor)
            if isinstance(factor, sp.Add) or text.startswith("-"):
                text = rf"\left({text}\right)"
            parts.append(text)
        return r" \cdot ".join(parts)


class Updated(sp.Function):
    """θ⁺, a parameter after one gradient step."""

    nargs = 1

    def _latex(self, printer) -> str:
        return rf"{{{printer._print(self.args[0])}}}^{{+}}"


def shown(value: float, digits: int, bare: bool = False) -> Shown:
    """A number to print; negatives in parentheses unless ``bare`` (a value standing alone).

    Examples:
        >>> shown(-0.25, 6), shown(-0.25, 6, bare=True), shown(1e-7, 3)
        ((-0.25), -0.25, 1 \\cdot 10^{-7})
    """
    text = format_number(value, digits)
    return Shown(f"({text})" if value < 0 and not bare else text)


def with_numbers(expr: sp.Basic, values: dict[sp.Basic, float], digits: int) -> sp.Basic:
    """``expr`` with every quantity replaced by its number, structure and order kept.

    Examples:
        >>> from symnn.printing.latex import tex
        >>> a, d = sp.symbols("a d")
        >>> tex(with_numbers(a * d, {a: 0.5, d: -2.0}, 6))
        '0.5 \\\\cdot (-2)'
    """
    if expr in values:
        return shown(values[expr], digits)
    if not expr.args or expr.is_Number:
        return expr
    args = [with_numbers(a, values, digits) for a in textbook_order(expr)]
    if isinstance(expr, sp.Mul):
        if args[0] == -1:
            rest = args[1:]
            return sp.Mul(-1, rest[0] if len(rest) == 1 else Times(*rest), evaluate=False)
        return Times(*args)
    if isinstance(expr, sp.Add | sp.Pow):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


@dataclass(frozen=True)
class NumericLine:
    """``lhs = expr = expr with numbers = value``, all as SymPy objects for the printer.

    ``numbers`` is None when it would only repeat the value; ``value`` is None when the
    expression is a constant.
    """

    lhs: sp.Basic
    rhs: sp.Basic | None
    numbers: sp.Basic | None
    value: sp.Basic | None


def numeric_line(line: Evaluated, digits: int) -> NumericLine:
    """An evaluated ``lhs = expr`` as a line of the document."""
    expr = line.lhs if line.expr is None else line.expr
    if expr.is_Number:  # ∂z/∂b = 1: nothing to put in, nothing to compute
        return NumericLine(line.lhs, line.expr, None, None)
    numbers = with_numbers(expr, line.atoms, digits)
    if isinstance(numbers, Shown):  # a lone quantity: its number is the value
        numbers = None
    return NumericLine(line.lhs, line.expr, numbers, shown(line.value, digits, bare=True))


def update_line(u: Update, rate: float, digits: int) -> NumericLine:
    """θ⁺ = θ − η ∂L/∂θ = its numbers = the new value."""
    gradient = sp.Derivative(nt.LOSS, u.theta, evaluate=False)
    rhs = sp.Add(u.theta, sp.Mul(-1, ETA, gradient, evaluate=False), evaluate=False)
    numbers = with_numbers(rhs, {u.theta: u.old, ETA: rate, gradient: u.gradient}, digits)
    return NumericLine(Updated(u.theta), rhs, numbers, shown(u.new, digits, bare=True))


class Worked:
    """The worked example of a derivation laid out: given values, forward, steps, mean, update."""

    def __init__(self, numbers: WorkedNumbers, digits: int = 6) -> None:
        self.numbers = numbers
        self.digits = digits

    @property
    def samples(self) -> int:
        return self.numbers.samples

    def given(self) -> list[tuple[sp.Basic, sp.Basic]]:
        """Inputs, targets, the parameters and the learning rate with their values."""
        pairs = [(s, shown(v, self.digits, bare=True)) for s, v in self.numbers.given]
        return pairs + [(ETA, shown(self.numbers.learning_rate, self.digits, bare=True))]

    def forward(self) -> list[NumericLine]:
        return [numeric_line(line, self.digits) for line in self.numbers.forward]

    def backward(self) -> list[tuple[sp.Basic, list[NumericLine]]]:
        """Each section's steps with numbers (definitions and pre-substitution forms left out)."""
        return [
            (subject, [numeric_line(line, self.digits) for line in lines])
            for subject, lines in self.numbers.backward
        ]

    def gradients(self) -> list[NumericLine]:
        """∂L/∂θ as the mean over the samples (only when there are several)."""
        if self.numbers.samples == 1:
            return []
        lines = []
        n = self.numbers.samples
        for theta, per_sample, mean_value in self.numbers.gradients:
            terms = [shown(g, self.digits) for g in per_sample]
            mean = sp.Mul(sp.Rational(1, n), sp.Add(*terms, evaluate=False), evaluate=False)
            lhs = sp.Derivative(nt.LOSS, theta, evaluate=False)
            lines.append(NumericLine(lhs, None, mean, shown(mean_value, self.digits, bare=True)))
        return lines

    def updates(self) -> list[NumericLine]:
        """θ⁺ = θ − η ∂L/∂θ for every chosen parameter."""
        rate = self.numbers.learning_rate
        return [update_line(u, rate, self.digits) for u in self.numbers.updates]


__all__ = [
    "NumericLine",
    "Shown",
    "Times",
    "Updated",
    "Worked",
    "numeric_line",
    "shown",
    "update_line",
    "with_numbers",
]


class MeanOf(sp.Function):
    """(1/N)(M₁ + … + M_N): the mean of the samples' outer products, each written out."""

    def _latex(self, printer) -> str:
        terms = " + ".join(printer._print(m) for m in self.args)
        return rf"\frac{{1}}{{{len(self.args)}}} \left({terms}\right)"


class AtSample(sp.Function):
    """δ⁽ˡ⁾ of sample n (row n of Δ⁽ˡ⁾ as a column), written δ⁽ˡ⁾|ₙ₌₁ so n reads as no unit."""

    def _latex(self, printer) -> str:
        vector, n = self.args
        return rf"\left.{printer._print(vector)}\right|_{{n={n}}}"


class SampleMean(sp.Function):
    """(1/N) Σₙ δ⁽ˡ⁾|ₙ: the mean over the batch of one quantity's per-sample vectors."""

    def _latex(self, printer) -> str:
        (vector,) = self.args
        return rf"\frac{{1}}{{N}} \sum_{{n}} \left.{printer._print(vector)}\right|_{{n}}"


class Mean(sp.Function):
    """The mean over the batch, written with a bar: δ̄⁽ˡ⁾."""

    def _latex(self, printer) -> str:
        return rf"\overline{{{printer._print(self.args[0])}}}"


SHOWN_SAMPLES = 4  # a batch up to this size shows every sample's δ; a larger one the chosen one


def sample_deltas(delta: sp.MatrixSymbol, rows, digits: int, sample: int) -> list[NumericLine]:
    """δ⁽ˡ⁾ of each sample of a small batch (else of ``sample``, from 1), then their mean."""
    import numpy as np

    columns = [np.asarray(row, dtype=float).reshape(-1, 1) for row in rows]
    if not 1 <= sample <= len(columns):
        raise SymnnError(
            f"sample: expected a number from 1 to {len(columns)} (the spec's samples), "
            f"found {sample}"
        )
    kind, layer = nt.parse_matrix(delta)
    vector = nt.vector("delta", layer, len(columns[0]))
    shown_at = range(1, len(columns) + 1) if len(columns) <= SHOWN_SAMPLES else [sample]
    lines = [
        NumericLine(AtSample(vector, n), None, None, number_matrix(columns[n - 1], digits))
        for n in shown_at
    ]
    mean = number_matrix(np.mean(columns, axis=0), digits)
    each = MeanOf(*(number_matrix(c, digits) for c in columns)) if len(columns) > 1 else None
    lines.append(NumericLine(Mean(vector), SampleMean(vector), each, mean))
    return lines


def number_matrix(values, digits: int) -> sp.ImmutableMatrix:
    """A matrix of numbers as the document prints them."""
    array = [[shown(float(v), digits, bare=True) for v in row] for row in values]
    return sp.ImmutableMatrix(array)


def batch_lines(numbers, digits: int, sample: int = 1) -> tuple[list[tuple], list[NumericLine]]:
    """The given matrices, and each batch step ``lhs = formula = value`` of a ``BatchNumbers``.

    A weight gradient (1/N) Δᵀ A shows its numbers as the mean of the samples' outer products
    δₙ aₙᵀ (row n of Δ and of A), each written out, before the value. Each Δ⁽ˡ⁾ is followed by
    its rows as the samples' δ⁽ˡ⁾ vectors (every sample of a batch of up to four, else the
    chosen ``sample``, from 1) and their mean.
    """
    import numpy as np

    from symnn.core.matexpr import Grad

    given = [(symbol, number_matrix(value, digits)) for symbol, value in numbers.given]
    values = dict(numbers.given) | {step.lhs: value for step, value in numbers.steps}
    lines = []
    for step, value in numbers.steps:
        shown_numbers = None
        lhs = step.lhs
        if isinstance(lhs, Grad) and nt.parse_matrix(lhs.args[1])[0] == "W":
            matrices = [m for m in step.rhs.args if getattr(m, "is_Matrix", False)]
            delta, before = matrices[0].arg, matrices[1]
            outers = [
                number_matrix(np.outer(d, a), digits)
                for d, a in zip(values[delta], values[before], strict=True)
            ]
            shown_numbers = MeanOf(*outers)
        lines.append(NumericLine(lhs, step.rhs, shown_numbers, number_matrix(value, digits)))
        if isinstance(lhs, sp.MatrixSymbol) and nt.parse_matrix(lhs)[0] == "Deltabatch":
            lines += sample_deltas(lhs, value, digits, sample)
    return given, lines

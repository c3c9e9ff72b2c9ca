"""Worked numbers: the engine's own expressions evaluated at the spec's inputs, targets and weights.

Every number shown comes from evaluating a recorded expression (a definition, a step's right-hand
side, an adjoint, a gradient) with symnn's stable NumPy rules, never from a second calculation;
the rows show each expression with the numbers put in, the way a hand-worked example does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.steps import Derivation, Step
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.engine.element import backprop_for
from symnn.numerics import NAMESPACE
from symnn.output.render import format_number
from symnn.printing.code import CodePrinter
from symnn.printing.latex import textbook_order
from symnn.spec.network import Network

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


@lru_cache(maxsize=4096)
def _compiled(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., float]:
    return sp.lambdify(
        symbols, expr, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter(), cse=False
    )


def _point(network: Network, sample: int) -> dict[sp.Symbol, float]:
    """Inputs, targets and parameters of one sample, by symbol."""
    X, Y = network.data.arrays()
    point = {nt.x(k + 1): float(v) for k, v in enumerate(X[sample])}
    point |= {nt.y(k + 1): float(v) for k, v in enumerate(Y[sample])}
    given = network.given_params()
    for p in backprop_for(network).graph.parameters:
        values = given[p.name]
        for index, symbol in p.entries():
            point[symbol] = float(values[index])
    return point


class Values:
    """Every named quantity of one sample: forward values, adjoints, gradients, local partials."""

    def __init__(self, bp: Backprop, point: dict[sp.Symbol, float]) -> None:
        self.bp = bp
        self.values = dict(point)
        for d in bp.graph.definitions:
            self.values[d.symbol] = self.of(d.expr)
        for d in reversed(bp.graph.definitions[:-1]):  # children's adjoints come first
            self.values[adjoint_symbol(d)] = self.of(bp.adjoints[d.symbol])

    def gradient(self, theta: sp.Symbol) -> float:
        return self.of(self.bp.gradients[theta])

    def derivative(self, d: sp.Derivative) -> float:
        """The number a ∂f/∂v in a step stands for."""
        (v, _), f = d.variable_count[0], d.expr
        graph = self.bp.graph
        if f == nt.LOSS:
            if graph.is_defined(v):
                return self.values[adjoint_symbol(graph.definition(v))]
            return self.gradient(v)
        if graph.is_defined(f) and v in graph.parents(graph.definition(f)):
            return self.of(self.bp.local(graph.definition(f), v).named)
        raise SymnnError(f"no value for {d}: not a partial of the graph")

    def atoms(self, expr: sp.Basic) -> dict[sp.Basic, float]:
        """The value of every quantity and partial in ``expr``, in a fixed order."""
        found = sorted(expr.atoms(sp.Derivative), key=sp.default_sort_key)
        result = {d: self.derivative(d) for d in found}
        symbols = sorted(expr.free_symbols - set(result), key=sp.default_sort_key)
        for s in symbols:
            if s not in self.values:
                raise SymnnError(f"no value for {s} in the worked example")
            result[s] = self.values[s]
        return result

    def of(self, expr: sp.Basic) -> float:
        """``expr`` evaluated at this sample."""
        values = self.atoms(expr)
        names = {a: sp.Dummy(f"v{i}") for i, a in enumerate(values)}
        plain = expr.xreplace(names) if names else expr
        symbols = tuple(names[a] for a in values)
        return float(_compiled(plain, symbols)(*[values[a] for a in values]))


def shown(value: float, digits: int, bare: bool = False) -> Shown:
    """A number to print; negatives in parentheses unless ``bare`` (a value standing alone)."""
    text = format_number(value, digits)
    return Shown(f"({text})" if value < 0 and not bare else text)


def with_numbers(expr: sp.Basic, values: dict[sp.Basic, float], digits: int) -> sp.Basic:
    """``expr`` with every quantity replaced by its number, structure and order kept."""
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


class Worked:
    """The worked example of a derivation at the spec's data, for one sample or the mean of all."""

    def __init__(self, derivation: Derivation, network: Network, digits: int = 6) -> None:
        if network.data is None:
            raise SymnnError("data: expected inputs x and targets y in the spec, found none")
        if network.learning_rate is None:
            raise SymnnError("learning_rate: expected a number in the spec, found none")
        graph = derivation.context.get("graph")
        if graph is None or derivation.context.get("level", "element") != "element":
            raise SymnnError("a worked example needs an element-level derivation with its graph")
        network.given_params()  # fails naming the first missing weight
        self.bp = backprop_for(network)
        self.derivation = derivation
        self.network = network
        self.digits = digits
        self.samples = [Values(self.bp, _point(network, n)) for n in range(len(network.data.x))]
        self.first = self.samples[0]

    def _line(self, lhs: sp.Basic, rhs: sp.Basic | None, values: Values) -> NumericLine:
        expr = lhs if rhs is None else rhs
        value = values.of(expr)
        if expr.is_Number:  # ∂z/∂b = 1: nothing to put in, nothing to compute
            return NumericLine(lhs, rhs, None, None)
        numbers = with_numbers(expr, values.atoms(expr), self.digits)
        if isinstance(numbers, Shown):  # a lone quantity: its number is the value
            numbers = None
        return NumericLine(lhs, rhs, numbers, shown(value, self.digits, bare=True))

    def given(self) -> list[tuple[sp.Basic, sp.Basic]]:
        """Inputs, targets, the parameters and the learning rate with their values."""
        graph = self.bp.graph
        symbols = [*graph.inputs, *graph.targets]
        symbols += [s for p in graph.parameters for _, s in p.entries()]
        pairs = [(s, shown(self.first.values[s], self.digits, bare=True)) for s in symbols]
        return pairs + [(ETA, shown(self.network.learning_rate, self.digits, bare=True))]

    def forward(self) -> list[NumericLine]:
        return [self._line(d.symbol, d.expr, self.first) for d in self.bp.graph.definitions]

    def backward(self) -> list[tuple[sp.Basic, list[NumericLine]]]:
        """Each section's steps with numbers (definitions and pre-substitution forms left out)."""
        sections = []
        for section in self.derivation.sections:
            kept = [s for s in _numeric_steps(section.steps) if s.rule != "definition"]
            lines = [self._line(s.lhs, s.rhs, self.first) for s in kept]
            if lines:
                sections.append((section.subject, lines))
        return sections

    def parameters(self) -> list[sp.Symbol]:
        return list(self.derivation.context.get("parameters", []))

    def gradient(self, theta: sp.Symbol) -> float:
        return float(np.mean([v.gradient(theta) for v in self.samples]))

    def gradients(self) -> list[NumericLine]:
        """∂L/∂θ as the mean over the samples (only when there are several)."""
        if len(self.samples) == 1:
            return []
        lines = []
        n = len(self.samples)
        for theta in self.parameters():
            per_sample = [shown(v.gradient(theta), self.digits) for v in self.samples]
            mean = sp.Mul(sp.Rational(1, n), sp.Add(*per_sample, evaluate=False), evaluate=False)
            lhs = sp.Derivative(nt.LOSS, theta, evaluate=False)
            value = shown(self.gradient(theta), self.digits, bare=True)
            lines.append(NumericLine(lhs, None, mean, value))
        return lines

    def updates(self) -> list[NumericLine]:
        """θ⁺ = θ − η ∂L/∂θ for every chosen parameter."""
        lines = []
        for theta in self.parameters():
            gradient = sp.Derivative(nt.LOSS, theta, evaluate=False)
            rhs = sp.Add(theta, sp.Mul(-1, ETA, gradient, evaluate=False), evaluate=False)
            theta_value = self.first.values[theta]
            g = self.gradient(theta)
            values = {theta: theta_value, ETA: self.network.learning_rate, gradient: g}
            numbers = with_numbers(rhs, values, self.digits)
            new = theta_value - self.network.learning_rate * g
            value = shown(new, self.digits, bare=True)
            lines.append(NumericLine(Updated(theta), rhs, numbers, value))
        return lines

    def updated_value(self, theta: sp.Symbol) -> float:
        return self.first.values[theta] - self.network.learning_rate * self.gradient(theta)


def _numeric_steps(steps: tuple[Step, ...]) -> list[Step]:
    """Steps worth a number: an activation's derivative shows once, in named quantities."""
    kept = []
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else None
        replaced = (
            following is not None
            and following.rule == "substitution"
            and following.lhs == step.lhs
            and step.rule == "activation_derivative"
        )
        if not replaced:
            kept.append(step)
    return kept

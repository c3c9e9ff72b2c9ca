"""Rosenblatt's perceptron, step by step: w·x + b, the step activation and the learning rule.

Conventions, stated in every output:

- labels are 0 and 1; the neuron fires (ŷ = 1) when w·x + b ≥ 0 (``fires="ge"``, the default) or,
  if chosen, only when w·x + b > 0 (``fires="gt"``);
- the bias is a weight on a constant input 1, so the rule w ← w + η (y − ŷ) x updates it as
  b ← b + η (y − ŷ);
- samples are presented in the order given, every epoch; training stops after the first epoch
  with no errors (converged), or after ``max_epochs`` (for data such as XOR that no line separates,
  which a linear program then confirms);
- arithmetic is exact (``fractions.Fraction``) by default, so a sum landing exactly on the
  threshold is decided by the convention and not by rounding; ``exact=False`` uses floats.

Examples:
    >>> run = train_perceptron(*gate("and"))
    >>> run.converged, run.weights, run.bias
    (True, (Fraction(2, 1), Fraction(1, 1)), Fraction(-3, 1))
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.core import display
from symnn.core.csvdata import read_rows
from symnn.core.errors import SymnnError
from symnn.core.expressions import NAME_PATTERN

GATES: dict[str, tuple[int, int, int, int]] = {
    # Outputs for the inputs (0, 0), (0, 1), (1, 0), (1, 1), in that order.
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xor": (0, 1, 1, 0),
}
GATE_INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))
CONVENTIONS = {"ge": "w·x + b ≥ 0", "gt": "w·x + b > 0"}
BIAS_COLUMNS = ("", "first", "last")
MAX_EPOCHS = 10_000
LP_BOUND = 10**9
MAX_NUMBER_TEXT = 1000  # characters in one number as text
MAX_EXPONENT = 1000  # |n| in 1e±n: exact arithmetic would build 10**n digit by digit
_EXPONENT = re.compile(r"[eE]\s*([+-]?\d+)")


def gate(name: str) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """The truth table of a logic gate as inputs and labels.

    Examples:
        >>> gate("xor")
        (((0, 0), (0, 1), (1, 0), (1, 1)), (0, 1, 1, 0))
    """
    key = str(name).lower()
    if key not in GATES:
        raise SymnnError(f"unknown gate {name!r}; known: {', '.join(GATES)}")
    return GATE_INPUTS, GATES[key]


def _fraction(text: str, where: str) -> Fraction:
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT:
        raise SymnnError(
            f"{where}: expected a number of at most {MAX_NUMBER_TEXT} characters, "
            f"found {len(text):,}"
        )
    exponent = _EXPONENT.search(text)
    if exponent and abs(int(exponent.group(1))) > MAX_EXPONENT:
        raise SymnnError(
            f"{where}: exponent {exponent.group(1)} in {text!r} too large for exact arithmetic; "
            f"expected |exponent| <= {MAX_EXPONENT}"
        )
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise SymnnError(f"{where}: expected a number, found {text!r}") from None


def check_names(names: Sequence[str], what: str = "input name") -> None:
    """Refuse input names that are not plain identifiers: they become symbols printed in LaTeX.

    Examples:
        >>> check_names(["x1", "petal_width"])
        >>> check_names(["a$b"])
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: input name 'a$b': expected a letter then ...
    """
    for name in names:
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise SymnnError(
                f"{what} {name!r}: expected a letter then letters, digits or _ "
                "(at most 32 characters), e.g. x1 or petal_width"
            )


def read_csv(
    path: str | Path, columns: Sequence[str] | None = None, label: str | None = None
) -> tuple[tuple[tuple[Fraction, ...], ...], tuple[int, ...], tuple[str, ...]]:
    """Points and 0/1 labels from a CSV file with a header row; numbers are read exactly.

    By default every column but the last is an input and the last is the label.

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = Path(d) / "p.csv"
        ...     _ = path.write_text("x1,x2,y" + chr(10) + "0.5,1/3,1" + chr(10))
        ...     X, Y, names = read_csv(path)
        >>> X, Y, names
        (((Fraction(1, 2), Fraction(1, 3)),), (1,), ('x1', 'x2'))
    """
    path = Path(path)
    header, rows = read_rows(path)
    if header is None:
        raise SymnnError(f"{path}: expected a header row naming the columns, found numbers")
    label = label or header[-1]
    columns = list(columns) if columns else [h for h in header if h != label]
    for name in [*columns, label]:
        if name not in header:
            raise SymnnError(f"{path}: column {name!r} not found; columns: {', '.join(header)}")
    check_names(columns, f"{path}: column")
    index = {h: i for i, h in enumerate(header)}
    X, Y = [], []
    for line, row in rows:
        X.append(tuple(_fraction(row[index[c]], f"{path}:{line} column {c!r}") for c in columns))
        y = _fraction(row[index[label]], f"{path}:{line} column {label!r}")
        if y not in (0, 1):
            raise SymnnError(f"{path}:{line}: label {label!r} expected 0 or 1, found {y}")
        Y.append(int(y))
    return tuple(X), tuple(Y), tuple(columns)


@dataclass(frozen=True)
class Update:
    """One presentation of one sample: the sum, the prediction, the error and the new weights."""

    epoch: int
    sample: int
    x: tuple
    y: int
    z: Any
    y_hat: int
    error: int
    weights: tuple
    bias: Any

    @property
    def changed(self) -> bool:
        return self.error != 0


@dataclass(frozen=True)
class PerceptronRun:
    """A finished training run and everything needed to print or plot it."""

    X: tuple
    Y: tuple
    names: tuple[str, ...]
    learning_rate: Any
    fires: str
    exact: bool
    initial_weights: tuple
    initial_bias: Any
    updates: tuple[Update, ...]
    epochs: int
    converged: bool
    max_epochs: int
    separable: bool | None
    certificate: tuple | None = None
    bias_input: Any = 1
    theta: Any = 0
    bias_column: str = ""

    @property
    def offset(self) -> Any:
        """What the bias adds to w·x on the threshold's side: bias input · b − θ."""
        return self.bias_input * self.bias - self.theta

    @property
    def bias_names(self) -> tuple[str, str]:
        """The bias's input and weight as a source names them: x₀ = 1 and w₀ (first), xₙ₊₁ and
        wₙ₊₁ (last, Cornell's x₃ = −1), else the constant input and b."""
        if self.bias_column == "first":
            return "x0", "w0"
        if self.bias_column == "last":
            n = len(self.names) + 1
            return f"x{n}", f"w{n}"
        return _num(self.bias_input), "b"

    def augment(self, values: Sequence[Any], bias_value: Any) -> tuple:
        """Inputs or weights with the bias's entry at its column (first, or else last)."""
        return (bias_value, *values) if self.bias_column == "first" else (*values, bias_value)

    def wide_rows(self) -> list[dict[str, Any]]:
        """Every presentation in the columns of the Wikipedia table: inputs (the bias's constant
        among them), desired output, initial weights, per-input products, their sum, output,
        error, correction η·(y − ŷ) and final weights; the bias is one more input column."""
        rows, w, b = [], self.initial_weights, self.initial_bias
        for u in self.updates:
            inputs = self.augment(u.x, self.bias_input)
            start = self.augment(w, b)
            rows.append(
                {
                    "epoch": u.epoch,
                    "sample": u.sample,
                    "inputs": inputs,
                    "y": u.y,
                    "initial": start,
                    "products": tuple(xi * wi for xi, wi in zip(inputs, start, strict=True)),
                    "sum": u.z,
                    "y_hat": u.y_hat,
                    "error": u.error,
                    "correction": self.learning_rate * u.error,
                    "final": self.augment(u.weights, u.bias),
                }
            )
            w, b = u.weights, u.bias
        return rows

    @property
    def weights(self) -> tuple:
        return self.updates[-1].weights if self.updates else self.initial_weights

    @property
    def bias(self) -> Any:
        return self.updates[-1].bias if self.updates else self.initial_bias

    @property
    def convention(self) -> str:
        return self.convention_text()

    def convention_text(self, decimals: bool = False) -> str:
        """The firing rule in words, numbers as decimals on request."""
        rule = firing_rule(self.fires, self.bias_input, self.theta, decimals, self.bias_names[1])
        return f"ŷ = 1 when {rule}, else ŷ = 0"

    @property
    def mistakes(self) -> int:
        return sum(u.changed for u in self.updates)

    def summary(self, decimals: bool = False) -> str:
        """Convergence in words: the clean epoch, or why training stopped."""
        num = _decimal if decimals else _num
        if self.converged:
            weights = ", ".join(num(v) for v in self.weights)
            return (
                f"converged: epoch {self.epochs} had no errors "
                f"({self.mistakes} updates in all); final w = ({weights}), "
                f"{self.bias_names[1]} = {num(self.bias)}"
            )
        if self.separable is False:
            return (
                f"no separating line exists (the data are not linearly separable), so the "
                f"perceptron cannot converge; stopped after {self.epochs} epochs"
            )
        return f"not converged after {self.epochs} epochs; raise the epoch bound"

    def __repr__(self) -> str:
        return f"<PerceptronRun on {len(self.X)} points: {self.summary()}>"

    def hyperplane(self) -> sp.Eq:
        """The learned boundary w·x + b = 0 in the input names."""
        return hyperplane(self.weights, self.offset, self.names)

    def _repr_markdown_(self) -> str | None:
        return display.show(self, "markdown")

    def text(self, table: str = "compact", decimals: bool = False) -> str:
        """The table of every presentation, with the conventions and the outcome: ``compact``
        (x, y, the sum, ŷ, the error, new w and bias) or ``wide`` (the Wikipedia table's columns,
        the bias an input column); ``decimals`` writes 1/3 as 0.3333333333."""
        num = (lambda v: _decimal(v)) if decimals else _num  # noqa: E731
        vec = lambda values: "(" + ", ".join(num(v) for v in values) + ")"  # noqa: E731
        if table == "wide":
            head, body = self._wide_text(num)
        elif table == "compact":
            bias = self.bias_names[1]  # b, or the bias column's weight (w3): one name throughout
            total = weighted_sum(self.bias_input, bias, decimals).replace(" ", "")
            head = ["epoch", "sample", "x", "y", total, "ŷ", "y−ŷ", "new w", f"new {bias}"]
            body = [
                [str(u.epoch), str(u.sample), vec(u.x), str(u.y), num(u.z), str(u.y_hat),
                 str(u.error), vec(u.weights), num(u.bias)]
                for u in self.updates
            ]  # fmt: skip
        else:
            raise SymnnError(f"table {table!r}; known: compact, wide")
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        bias_x, bias_w = self.bias_names
        constant = num(self.bias_input)
        named = "" if bias_x == constant else f" {bias_x} ="  # x₀ = 1, not "1 = 1"
        where = f"as the weight {bias_w} on the constant input{named} {constant}"
        lines = [
            f"Perceptron (Rosenblatt rule w ← w + η (y − ŷ) x, bias {where})",
            f"{self.convention_text(decimals)}; η = {num(self.learning_rate)}; start w = "
            f"{vec(self.initial_weights)}, {bias_w} = {num(self.initial_bias)}",
            "",
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in [head, *body]]  # fmt: skip
        lines += ["", self.summary(decimals), self.criterion_text(decimals)]
        if self.converged and len(self.names) >= 1:
            lines.append(f"boundary: {boundary(self.weights, self.offset, self.names)} = 0")
        return "\n".join(lines)

    def batch_step(self) -> tuple[tuple, Any, tuple, Any]:
        """The batch-mean criterion, for comparison with the per-sample rule the run uses: from
        the start weights, the mean over all N samples of (y − ŷ)·x and of (y − ŷ)·(bias input),
        and the weights one step w + η·mean would give. Returns (mean for w, mean for b, w, b).

        Examples:
            >>> run = train_perceptron(*gate("and"))
            >>> run.batch_step()[:2]
            ((Fraction(-1, 4), Fraction(-1, 4)), Fraction(-3, 4))
        """
        w, b, n = self.initial_weights, self.initial_bias, len(self.X)
        sums, bias_sum = [0 * v for v in w], 0 * b
        for x, y in zip(self.X, self.Y, strict=True):
            z = sum((wi * xi for wi, xi in zip(w, x, strict=True)), 0 * b) + self.bias_input * b
            error = y - step(z - self.theta, self.fires)
            sums = [s + error * xi for s, xi in zip(sums, x, strict=True)]
            bias_sum += error * self.bias_input
        mean_w = tuple(s / n for s in sums)
        mean_b = bias_sum / n
        new_w = tuple(wi + self.learning_rate * m for wi, m in zip(w, mean_w, strict=True))
        return mean_w, mean_b, new_w, b + self.learning_rate * mean_b

    def criterion_text(self, decimals: bool = False) -> str:
        """Per sample (what this run does) against the batch mean, in words with the numbers."""
        num = _decimal if decimals else _num
        vec = lambda values: "(" + ", ".join(num(v) for v in values) + ")"  # noqa: E731
        mean_w, mean_b, new_w, new_b = self.batch_step()
        return (
            f"per sample: each presentation updates w and {self.bias_names[1]} at once by "
            "η (y − ŷ) x, as the table "
            f"shows; batch mean, for comparison: from the start, the mean of (y − ŷ) x over the "
            f"{len(self.X)} samples is {vec(mean_w)} (and {num(mean_b)} for the bias), so one "
            f"batch step would give w = {vec(new_w)}, {self.bias_names[1]} = {num(new_b)}"
        )

    def wide_names(self) -> tuple[list[str], list[str]]:
        """The names of the inputs and weights of the wide table, the bias's among them."""
        bias_x, bias_w = self.bias_names
        inputs = list(self.augment(self.names, bias_x if self.bias_column else "1"))
        weights = list(self.augment([f"w{i}" for i in range(1, len(self.names) + 1)], bias_w))
        return inputs, weights

    def _wide_text(self, num) -> tuple[list[str], list[list[str]]]:
        inputs, weights = self.wide_names()
        products = [f"{x}·{w}" for x, w in zip(inputs, weights, strict=True)]
        head = [*inputs, "y", *weights, *products, "sum", "ŷ", "y−ŷ", "η(y−ŷ)",
                *(f"new {w}" for w in weights)]  # fmt: skip
        body = [
            [*map(num, r["inputs"]), str(r["y"]), *map(num, r["initial"]),
             *map(num, r["products"]), num(r["sum"]), str(r["y_hat"]), str(r["error"]),
             num(r["correction"]), *map(num, r["final"])]
            for r in self.wide_rows()
        ]  # fmt: skip
        return head, body


DECIMAL_DIGITS = 10  # significant digits of --decimals for a fraction with no short decimal


def _decimal(value: Any) -> str:
    """A number as a decimal: exactly when it terminates (1/8 is 0.125), else to
    ``DECIMAL_DIGITS`` significant digits (1/3 is 0.3333333333).

    Examples:
        >>> _decimal(Fraction(1, 2)), _decimal(Fraction(-1, 3)), _decimal(Fraction(3))
        ('0.5', '-0.3333333333', '3')
    """
    if isinstance(value, Fraction):
        q = value.denominator
        for p in (2, 5):
            while q % p == 0:
                q //= p
        if q == 1:  # terminating: every digit, exactly
            text = f"{decimal.Decimal(value.numerator) / decimal.Decimal(value.denominator):f}"
            return text.rstrip("0").rstrip(".") if "." in text else text
        return f"{float(value):.{DECIMAL_DIGITS}g}"
    return _num(value)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, Fraction) and value.denominator != 1:
        return str(value)
    return str(int(value)) if isinstance(value, Fraction) else str(value)


def _vec(values: Sequence[Any]) -> str:
    return "(" + ", ".join(_num(v) for v in values) + ")"


def weighted_sum(bias_input: Any = 1, bias: str = "b", decimals: bool = False) -> str:
    """The weighted sum in words, the bias under its name (b, or w3 where it is a column).

    Examples:
        >>> weighted_sum(1), weighted_sum(-1, "w3"), weighted_sum(Fraction(1, 2))
        ('w·x + b', 'w·x − w3', 'w·x + 1/2·b')
    """
    num = _decimal if decimals else _num
    return (
        f"w·x + {bias}" if bias_input == 1
        else f"w·x − {bias}" if bias_input == -1
        else f"w·x + {num(bias_input)}·{bias}"
    )  # fmt: skip


def firing_rule(
    fires: str, bias_input: Any = 1, theta: Any = 0, decimals: bool = False, bias: str = "b"
) -> str:
    """The firing condition in words, with the bias's input and a threshold θ when not 0.

    Examples:
        >>> firing_rule("gt", 1, Fraction(1, 2)), firing_rule("ge", -1, bias="w3")
        ('w·x + b > θ = 1/2', 'w·x − w3 ≥ 0')
    """
    num = _decimal if decimals else _num
    lhs = weighted_sum(bias_input, bias, decimals)
    relation = "≥" if fires == "ge" else ">"
    rhs = f"θ = {num(theta)}" if theta else "0"
    return f"{lhs} {relation} {rhs}"


def step(z: Any, fires: str = "ge") -> int:
    """The step activation under the stated convention.

    Examples:
        >>> step(0), step(0, fires="gt")
        (1, 0)
    """
    if fires not in CONVENTIONS:
        raise SymnnError(f"threshold convention {fires!r}; known: ge (fires at w·x + b ≥ 0), gt")
    return (1 if bool(z >= 0) else 0) if fires == "ge" else (1 if bool(z > 0) else 0)


def hyperplane(weights: Sequence[Any], bias: Any, names: Sequence[str] | None = None) -> sp.Eq:
    """The set w·x + b = 0 as a SymPy equation in the inputs.

    Examples:
        >>> hyperplane([2, 1], -3)
        Eq(2*x1 + x2 - 3, 0)
    """
    names = names or [f"x{i}" for i in range(1, len(weights) + 1)]
    symbols = [sp.Symbol(n) for n in names]
    lhs = sum((sp.nsimplify(w) * s for w, s in zip(weights, symbols, strict=True)), sp.S.Zero)
    return sp.Eq(lhs + sp.nsimplify(bias), 0, evaluate=False)


def boundary(weights: Sequence[Any], bias: Any, names: Sequence[str]) -> sp.Expr:
    """w₁x₁ + … + wₙxₙ + b in reading order (unevaluated), for display.

    Examples:
        >>> boundary([2, 1], -3, ["x1", "x2"])
        2*x1 + x2 - 3
    """
    terms = [sp.nsimplify(w) * sp.Symbol(n) for w, n in zip(weights, names, strict=True) if w]
    terms += [sp.nsimplify(bias)] if bias else []
    if not terms:
        return sp.S.Zero
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def linearly_separable(X: Sequence[Sequence[Any]], Y: Sequence[int]) -> tuple[bool, tuple | None]:
    """Whether some w, b put every 1 on the firing side and every 0 on the other, exactly.

    Solved as a linear program in exact rationals: s_i (w·x_i + b) ≥ 1 with s_i = ±1 (for finite
    data, strict separation with some margin is the same as separation). Returns the answer and
    a certificate (w, b) when one exists.

    Examples:
        >>> linearly_separable(*gate("xor"))
        (False, None)
    """
    from sympy.solvers.simplex import InfeasibleLPError, UnboundedLPError, lpmin

    n = len(X[0])
    w = sp.symbols(f"w1:{n + 1}")
    b = sp.Symbol("b")
    constraints = [
        (1 if y else -1) * (sum(wi * sp.Rational(xi) for wi, xi in zip(w, x, strict=True)) + b) >= 1
        for x, y in zip(X, Y, strict=True)
    ]
    bounds = [c for v in (*w, b) for c in (v <= LP_BOUND, v >= -LP_BOUND)]
    try:
        _, solution = lpmin(sp.S.Zero, constraints + bounds)
    except InfeasibleLPError:
        return False, None
    except UnboundedLPError:  # pragma: no cover - the bounds rule this out
        return True, None
    certificate = (tuple(solution.get(v, 0) for v in w), solution.get(b, 0))
    return True, certificate


def train_perceptron(
    X: Sequence[Sequence[Any]],
    Y: Sequence[int],
    learning_rate: Any = 1,
    max_epochs: int = 100,
    weights: Sequence[Any] | None = None,
    bias: Any = 0,
    fires: str = "ge",
    exact: bool = True,
    names: Sequence[str] | None = None,
    *,
    lr: Any = None,
    bias_input: Any = 1,
    theta: Any = 0,
    bias_column: str = "",
) -> PerceptronRun:
    """Train with the Rosenblatt rule, recording every presentation of every sample.

    ``lr`` is accepted for ``learning_rate``, as ``symnn.train`` calls it. The conventions of
    the sources: the bias is the weight on a constant input ``bias_input`` (1, or −1 as in
    Cornell's notes, where that weight is the threshold), shown as its own column ``first``
    (x₀, w₀ as in Wikipedia) or ``last`` (Cornell's x₃) or as b (""); the neuron fires when the
    sum s = w·x + bias_input·b reaches a fixed threshold ``theta`` (Wikipedia's 0.5).

    Examples:
        >>> run = train_perceptron(*gate("xor"), max_epochs=10)
        >>> run.converged, run.separable, run.epochs
        (False, False, 10)
    """
    if lr is not None:
        learning_rate = lr
    X = [tuple(x) for x in X]
    Y = list(Y)
    if not X or len(X) != len(Y):
        raise SymnnError(f"data: expected as many labels as points, found {len(X)} and {len(Y)}")
    n = len(X[0])
    if n == 0 or any(len(x) != n for x in X):
        raise SymnnError(f"data: expected every point to have {n} coordinates")
    if any(y not in (0, 1) for y in Y):
        raise SymnnError(f"labels: expected 0 or 1, found {sorted(set(Y) - {0, 1})}")
    if not isinstance(max_epochs, int) or not 1 <= max_epochs <= MAX_EPOCHS:
        raise SymnnError(f"epochs: expected a whole number from 1 to {MAX_EPOCHS}")
    step(0, fires)  # checks the convention
    if bias_column not in BIAS_COLUMNS:
        raise SymnnError(f"bias column {bias_column!r}; known: first, last, or none")
    number = _exact_number if exact else _float_number
    bias_input, theta = number(bias_input, "bias input"), number(theta, "threshold θ")
    if bias_input == 0:
        raise SymnnError("bias input: expected a non-zero constant (1 or -1), found 0")
    eta = number(learning_rate, "learning rate")
    if not eta > 0:
        raise SymnnError(f"learning rate: expected a positive number, found {learning_rate!r}")
    data = [tuple(number(v, "input") for v in x) for x in X]
    w = (
        tuple(number(v, "weights") for v in weights)
        if weights is not None
        else (number(0, ""),) * n
    )
    if len(w) != n:
        raise SymnnError(f"weights: expected {n} numbers (one per input), found {len(w)}")
    b = number(bias, "bias")
    start_w, start_b = w, b
    updates, converged, epoch = [], False, 0
    for epoch in range(1, max_epochs + 1):
        errors = 0
        for i, (x, y) in enumerate(zip(data, Y, strict=True), start=1):
            z = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b * 0) + bias_input * b
            y_hat = step(z - theta, fires)
            error = y - y_hat
            if error:
                errors += 1
                w = tuple(wi + eta * error * xi for wi, xi in zip(w, x, strict=True))
                b = b + eta * error * bias_input  # the bias is the weight on a constant input
            if not exact and not all(math.isfinite(v) for v in (z, *w, b)):
                raise SymnnError(
                    f"float arithmetic overflowed at epoch {epoch}, sample {i} (w·x + b = {z}); "
                    "use exact arithmetic (drop --no-exact) or smaller numbers"
                )
            updates.append(Update(epoch, i, x, y, z, y_hat, error, w, b))
        if errors == 0:
            converged = True
            break
    if names is not None:
        check_names(names)
        if len(names) != n:
            raise SymnnError(f"names: expected {n} input names, found {len(names)}")
    separable, certificate = (True, None) if converged else linearly_separable(data, Y)
    return PerceptronRun(
        tuple(data), tuple(Y), tuple(names or (f"x{i}" for i in range(1, n + 1))), eta, fires,
        exact, start_w, start_b, tuple(updates), epoch, converged, max_epochs, separable,
        certificate, bias_input, theta, bias_column,
    )  # fmt: skip


def _exact_number(value: Any, what: str) -> Fraction:
    if isinstance(value, Fraction | int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))  # the decimal as written: 0.1 is 1/10
    if isinstance(value, str):
        return _fraction(value, what)
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    raise SymnnError(f"{what}: expected a number, found {value!r}")


def _float_number(value: Any, what: str) -> float:
    exact = _exact_number(value, what)
    try:
        number = float(exact)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = (
            str(value)
            if len(str(value)) <= 40
            else f"{str(value)[:20]}… ({len(str(value))} characters)"
        )
        raise SymnnError(
            f"{what}: {shown} is beyond float range (about ±1.8e308); "
            "use exact arithmetic (drop --no-exact)"
        )
    return number

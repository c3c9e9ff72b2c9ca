"""Matrix-level expression nodes: our own, since SymPy's ``MatrixSymbol.diff`` drops terms.

``Diag``, ``Apply`` (an activation applied to a vector, or its derivative), ``HadamardDivide``,
``Map`` (a scalar function entry by entry), ``Rows`` (a slice of rows), ``Jac`` (a Jacobian in
numerator layout: rows follow the output) and ``Grad`` (∂L/∂V, shaped like V), and ``lift``,
which writes a per-entry formula as its vector form. The rules that produce these nodes live in
``symnn.rules.unit`` and the layers' ``matrix_rule`` (``symnn.layers``);
``symnn.engine.instantiate`` writes them out in element-level symbols.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symnn.core import notation as nt


class Diag(sp.MatrixExpr):
    """diag(v): the square matrix with the column vector v on its diagonal."""

    def __new__(cls, vector: sp.MatrixExpr):
        return sp.Basic.__new__(cls, vector)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[0].shape[0])

    def _latex(self, printer) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"diag({printer._print(self.args[0])})"


class Apply(sp.MatrixExpr):
    """f(V) (``order`` 0) or f'(V) (``order`` 1) for the activation ``name``, entry by entry.

    ``params`` are the activation's hyperparameters in the order of its defaults. Softmax (order 0
    only) is applied to each column of V as a whole.
    """

    def __new__(cls, name: str | sp.Symbol, arg: sp.MatrixExpr, order=0, params=()):
        name = name if isinstance(name, sp.Symbol) else sp.Symbol(name)
        return sp.Basic.__new__(
            cls, name, arg, sp.Integer(order), sp.Tuple(*map(sp.sympify, params))
        )

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def order(self) -> int:
        return int(self.args[2])

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer) -> str:
        head = nt.activation_latex(self.name)
        if self.args[3]:  # hyperparameters as the element level writes them: LeakyReLU_{0.01}
            head += "_{" + ", ".join(printer._print(p) for p in self.args[3]) + "}"
        head += "'" if self.order else ""
        return rf"{head}\left({printer._print(self.args[1])}\right)"

    def _sympystr(self, printer) -> str:
        return f"{self.name}{chr(39) * self.order}({printer._print(self.args[1])})"


class HadamardDivide(sp.MatrixExpr):
    """u ⊘ v: entry-by-entry division."""

    def __new__(cls, numerator: sp.MatrixExpr, denominator: sp.MatrixExpr):
        return sp.Basic.__new__(cls, numerator, denominator)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer) -> str:
        u, v = (printer.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in self.args)
        return rf"\left({u} \oslash {v}\right)"

    def _sympystr(self, printer) -> str:
        u, v = (printer.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in self.args)
        return f"({u} ⊘ {v})"


def _partial_latex(printer, f: sp.Basic, v: sp.Basic) -> str:
    top, bottom = printer._print(f), printer._print(v)
    if getattr(printer, "_partial_style", "frac") == "slash":
        return rf"\partial {top} / \partial {bottom}"
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


_PLACEHOLDER = sp.Symbol("PLACEHOLDER")


class Map(sp.MatrixExpr):
    """g(V) entry by entry, for a scalar function g given as a Lambda: sign(a − y), σ(a), …"""

    def __new__(cls, function: sp.Lambda, arg: sp.MatrixExpr):
        return sp.Basic.__new__(cls, function, arg)

    @property
    def shape(self):
        return self.args[1].shape

    def entry(self, value: sp.Expr) -> sp.Expr:
        return self.args[0](value)

    def _latex(self, printer) -> str:
        text = printer._print(self.entry(_PLACEHOLDER))
        return text.replace(printer._print(_PLACEHOLDER), printer._print(self.args[1]))

    def _sympystr(self, printer) -> str:
        text = printer._print(self.entry(_PLACEHOLDER))
        return text.replace(_PLACEHOLDER.name, printer._print(self.args[1]))


class _NoVectorForm(Exception):
    pass


def lift(expr: sp.Expr, vectors: dict, size) -> sp.MatrixExpr | None:
    """The vector whose entry k is ``expr`` (in the symbols of entry k, mapped by ``vectors``).

    Sums, products, quotients and integer powers become their entrywise forms (⊙, ⊘, 𝟏 for a
    constant); a function of one entry becomes ``Map``. None when there is no such form
    (a Piecewise, say), and the vector stays named.

    Examples:
        >>> a, y = sp.symbols("a y")
        >>> A, Y = sp.MatrixSymbol("A", 3, 1), sp.MatrixSymbol("Y", 3, 1)
        >>> from symnn.printing.text import text
        >>> text(lift((1 - y) / (1 - a) - y / a, {a: A, y: Y}, 3))
        '((1 - Y) ⊘ (1 - A)) - (Y ⊘ A)'
    """
    try:
        return _lift(sp.factor_terms(expr), vectors, size)
    except _NoVectorForm:
        return None


def _lift(expr: sp.Expr, vectors: dict, size) -> sp.MatrixExpr:
    if expr in vectors:
        return vectors[expr]
    if expr.is_Number:
        ones = sp.OneMatrix(size, 1)
        return ones if expr == 1 else sp.MatMul(expr, ones)
    if isinstance(expr, sp.Add):
        return sp.MatAdd(*[_lift(term, vectors, size) for term in expr.args])
    if isinstance(expr, sp.Mul):
        coefficient, factors = expr.as_coeff_mul()
        above = [f for f in factors if not (f.is_Pow and f.exp.is_Integer and f.exp < 0)]
        below = [f.base ** (-f.exp) for f in factors if f not in above]
        vector = _product([_lift(f, vectors, size) for f in above], size)
        if below:
            vector = HadamardDivide(
                vector, _product([_lift(f, vectors, size) for f in below], size)
            )
        return vector if coefficient == 1 else sp.MatMul(coefficient, vector)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        return sp.HadamardPower(_lift(expr.base, vectors, size), expr.exp)
    if isinstance(expr, sp.Function) and expr.args and all(arg.is_Number for arg in expr.args[1:]):
        u = sp.Dummy("u")
        function = sp.Lambda(u, expr.func(u, *expr.args[1:]))
        return Map(function, _lift(expr.args[0], vectors, size))
    raise _NoVectorForm(expr)


def _product(vectors: list, size) -> sp.MatrixExpr:
    if not vectors:
        return sp.OneMatrix(size, 1)
    return vectors[0] if len(vectors) == 1 else sp.HadamardProduct(*vectors)


class Jac(sp.MatrixExpr):
    """∂u/∂v for column vectors u and v, numerator layout: shape (len u, len v)."""

    def __new__(cls, of: sp.MatrixExpr, wrt: sp.MatrixExpr):
        return sp.Basic.__new__(cls, of, wrt)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[1].shape[0])

    def _latex(self, printer) -> str:
        return _partial_latex(printer, *self.args)

    def _sympystr(self, printer) -> str:
        return f"∂{printer._print(self.args[0])}/∂{printer._print(self.args[1])}"


class Grad(sp.MatrixExpr):
    """∂f/∂V for a scalar f, shaped like V (the transpose of the numerator-layout Jacobian)."""

    def __new__(cls, f: sp.Expr, wrt: sp.MatrixExpr):
        return sp.Basic.__new__(cls, f, wrt)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer) -> str:
        return _partial_latex(printer, *self.args)

    def _sympystr(self, printer) -> str:
        return Jac._sympystr(self, printer)


class Rows(sp.MatrixExpr):
    """Rows ``first`` to ``last`` (counted from 1, both included) of a matrix: a slice of it.

    Printed v_{first:last}, as in "∂L/∂u is the slice of ∂L/∂a that u was copied into".
    """

    def __new__(cls, matrix: sp.MatrixExpr, first: int, last: int):
        return sp.Basic.__new__(cls, matrix, sp.Integer(first), sp.Integer(last))

    @property
    def span(self) -> tuple[int, int]:
        return int(self.args[1]), int(self.args[2])

    @property
    def shape(self):
        first, last = self.span
        return (last - first + 1, self.args[0].shape[1])

    axis: str = ""  # what goes before the span in print: ":," for columns

    def _latex(self, printer) -> str:
        first, last = self.span
        span = f"{first}" if first == last else f"{first}:{last}"
        before = self.axis + r"\," if self.axis else ""
        return rf"\left[{printer._print(self.args[0])}\right]_{{{before}{span}}}"

    def _sympystr(self, printer) -> str:
        first, last = self.span
        return f"[{printer._print(self.args[0])}]_{self.axis}{first}:{last}"


class Columns(Rows):
    """Columns ``first`` to ``last`` (from 1, both included): ``Rows`` of a batch, in rows.

    Printed V_{:, first:last}: the samples' slices side by side.
    """

    axis = ":,"

    @property
    def shape(self):
        first, last = self.span
        return (self.args[0].shape[0], last - first + 1)


class Vec(sp.MatrixExpr):
    """vec(M): the entries of M as one column, row by row (a block stored flat, row-major)."""

    def __new__(cls, matrix: sp.MatrixExpr):
        return sp.Basic.__new__(cls, matrix)

    @property
    def shape(self):
        rows, cols = self.args[0].shape
        return (rows * cols, 1)

    def _latex(self, printer) -> str:
        return rf"\operatorname{{vec}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"vec({printer._print(self.args[0])})"


class Grid(sp.MatrixExpr):
    """A column vector read as a rows × cols matrix, row by row (the inverse of ``Vec``)."""

    def __new__(cls, vector: sp.MatrixExpr, rows: int, cols: int):
        return sp.Basic.__new__(cls, vector, sp.Integer(rows), sp.Integer(cols))

    @property
    def shape(self):
        return (self.args[1], self.args[2])

    def _latex(self, printer) -> str:
        rows, cols = (printer._print(a) for a in self.args[1:])
        vector = printer._print(self.args[0])
        return rf"\operatorname{{mat}}_{{{rows} \times {cols}}}\left({vector}\right)"

    def _sympystr(self, printer) -> str:
        return f"mat_{self.args[1]}x{self.args[2]}({printer._print(self.args[0])})"


class RowSoftmax(sp.MatrixExpr):
    """The softmax of each row of S; where ``mask`` (0/1, S's shape) is 0 the entry is 0 and the
    row's softmax runs over the others (a causal mask keeps s <= t)."""

    def __new__(cls, scores: sp.MatrixExpr, mask: sp.Matrix | None = None):
        rows, cols = scores.shape
        mask = sp.ImmutableMatrix(mask if mask is not None else sp.ones(rows, cols))
        return sp.Basic.__new__(cls, scores, mask)

    @property
    def shape(self):
        return self.args[0].shape

    @property
    def masked(self) -> bool:
        return any(v == 0 for v in self.args[1])

    def _latex(self, printer) -> str:
        name = r"\operatorname{softmax}_{\mathrm{rows}}"
        if self.masked:
            name = r"\operatorname{masked\,softmax}_{\mathrm{rows}}"
        return rf"{name}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"softmax_rows({printer._print(self.args[0])})"


__all__ = [
    "Apply",
    "Diag",
    "Grad",
    "Grid",
    "HadamardDivide",
    "Jac",
    "Map",
    "RowSoftmax",
    "Rows",
    "Vec",
    "lift",
]

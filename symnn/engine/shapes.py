"""The shapes of a matrix-level derivation: what each quantity is, and that every product conforms.

``shapes`` lists each matrix quantity of a derivation in order of first use with the space it lives
in (W^{(l)} ∈ ℝ^{n_l × n_{l−1}}, δ^{(l)} ∈ ℝ^{n_l}, batches ∈ ℝ^{N × n_l}); ``check_shapes`` walks
every step and raises when a product, sum or Hadamard product joins matrices whose shapes do not
fit, or when a step's two sides differ in shape. Documents call it before rendering: a shape error
is a bug in symnn, never output.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Apply, Diag, HadamardDivide
from symnn.core.steps import Derivation, Step

_KINDS = ["xvec", "x", "yvec", "y", "w", "bvec", "zvec", "z", "avec", "a", "deltavec", "delta"]


class MemberOf(sp.Function):
    """``V ∈ ℝ^{m × n}`` (``ℝ^{m}`` for a column vector), the statement of a quantity's shape."""

    nargs = 3

    def _latex(self, printer) -> str:
        symbol, rows, cols = self.args
        space = printer._print(rows) if cols == 1 else rf"{printer._print(rows)} \times "
        space += "" if cols == 1 else printer._print(cols)
        return rf"{printer._print(symbol)} \in \mathbb{{R}}^{{{space}}}"


def _steps(derivation: Derivation) -> list[Step]:
    return [*derivation.steps, *derivation.results]


def shapes(derivation: Derivation) -> list[MemberOf]:
    """Each MatrixSymbol of the derivation as ``V ∈ ℝ^{…}``: inputs and targets, then layer by
    layer W, b, z, a, δ, then the same over a batch.

    Examples:
        >>> from symnn.engine.matrix import derive_matrix
        >>> from symnn.spec.network import Dense, Network
        >>> d = derive_matrix(Network(3, [Dense(2, "sigmoid")], "squared_error"))
        >>> [str(s.args[0]) for s in shapes(d)[:5]]
        ['xvec', 'yvec', 'W_1', 'bvec_1', 'zvec_1']
    """
    seen: dict[sp.MatrixSymbol, None] = {}
    for step in _steps(derivation):
        for expr in (step.lhs, step.rhs):
            for node in sp.preorder_traversal(expr):
                if isinstance(node, sp.MatrixSymbol):
                    seen.setdefault(node)
    order = list(seen)

    def key(symbol: sp.MatrixSymbol) -> tuple:
        try:
            kind, layer = nt.parse_matrix(symbol)
        except SymnnError:
            return (2, 0, 0, order.index(symbol))
        batch = kind.endswith("batch")
        base = kind.removesuffix("batch").lower()
        # A layer's own quantities (an embedding's E and S, a mask m) after the dense ones.
        rank = _KINDS.index(base) if base in _KINDS else len(_KINDS)
        return (int(batch), layer or 0, rank, order.index(symbol))

    return [MemberOf(symbol, *symbol.shape) for symbol in sorted(order, key=key)]


def shape_lines(derivation: Derivation, per_line: int) -> list[list[MemberOf]]:
    """The shapes a line per layer (inputs and targets first, batches after), ``per_line`` at most.

    Examples:
        >>> from symnn.engine.matrix import derive_matrix
        >>> from symnn.spec.network import Dense, Network
        >>> d = derive_matrix(Network(3, [Dense(2, "sigmoid")], "squared_error"))
        >>> [len(line) for line in shape_lines(d, 4)]
        [2, 4, 1, 2, 3]
    """
    lines: list[list[MemberOf]] = []
    group = None
    for item in shapes(derivation):
        try:
            kind, layer = nt.parse_matrix(item.args[0])
            here = (kind.endswith("batch"), layer or 0)
        except SymnnError:
            here = None
        if not lines or here != group or len(lines[-1]) >= per_line:
            lines.append([])
        lines[-1].append(item)
        group = here
    return lines


def _fail(where: Step, what: str) -> SymnnError:
    return SymnnError(f"shape error (a bug in symnn) in the step for {where.lhs}: {what}")


def _check(expr: sp.Basic, step: Step) -> None:
    for arg in expr.args:
        if isinstance(arg, sp.Basic):
            _check(arg, step)
    if isinstance(expr, sp.MatMul):
        matrices = [arg for arg in expr.args if getattr(arg, "is_Matrix", False)]
        for left, right in zip(matrices, matrices[1:], strict=False):
            if left.shape[1] != right.shape[0]:
                raise _fail(
                    step,
                    f"{left} ({left.shape[0]}×{left.shape[1]}) times {right} "
                    f"({right.shape[0]}×{right.shape[1]}) does not conform",
                )
    elif isinstance(expr, sp.MatAdd | sp.HadamardProduct | HadamardDivide):
        first = expr.args[0].shape
        for arg in expr.args[1:]:
            if tuple(first) != tuple(arg.shape):
                raise _fail(step, f"{expr.args[0]} and {arg} in {expr} differ in shape")
    elif isinstance(expr, Diag) and expr.args[0].shape[1] != 1:
        raise _fail(step, f"diag of {expr.args[0]}, which is not a column vector")
    elif isinstance(expr, Apply) and not getattr(expr.args[1], "is_Matrix", False):
        raise _fail(step, f"{expr} applies an activation to a scalar at the matrix level")


def check_shapes(derivation: Derivation) -> None:
    """Raise SymnnError if any matrix step joins non-conformable matrices or changes shape."""
    for step in _steps(derivation):
        _check(step.rhs, step)
        lhs, rhs = (getattr(e, "shape", None) for e in (step.lhs, step.rhs))
        both = isinstance(step.lhs, sp.MatrixExpr) and isinstance(step.rhs, sp.MatrixExpr)
        if both and tuple(lhs) != tuple(rhs):
            raise _fail(step, f"the left side is {lhs[0]}×{lhs[1]}, the right {rhs[0]}×{rhs[1]}")

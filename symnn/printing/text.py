"""Plain text for terminals and doctests: ∂L/∂w_1_1_1 instead of Derivative(L, w_1_1_1)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter


class TextPrinter(StrPrinter):
    """SymPy's str printer with ∂ notation and factors in recorded order."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        variables = "".join(
            f"∂{self._print(v)}" + (f"^{n}" if n > 1 else "") for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        d = f"∂^{order}" if order > 1 else "∂"
        if isinstance(expr.expr, sp.Add | sp.Mul | sp.Pow):  # ∂(x**2 + y)/∂x, not ∂x**2 + y/∂x
            return f"{d}({self._print(expr.expr)})/{variables}"
        return f"{d}{self._print(expr.expr)}/{variables}"

    def _print_HadamardProduct(self, expr) -> str:
        return " ⊙ ".join(self.parenthesize(arg, 45) for arg in expr.args)


def text(expr: sp.Basic) -> str:
    """One-line text of ``expr``.

    Examples:
        >>> L, w = sp.symbols("L w")
        >>> text(sp.Derivative(L, w, evaluate=False))
        '∂L/∂w'
    """
    return TextPrinter().doprint(expr)

"""Plain text for terminals and doctests: ∂L/∂w_1_1_1 instead of Derivative(L, w_1_1_1)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

# Terminal names of symnn's rules and adjoints (LaTeX has its own, from the notation).
_FUNCTIONS = {"Sigmoid": "σ", "NormalCDF": "Φ", "Maximum": "max", "Minimum": "min"}
_ADJOINTS = {"delta": "δ", "dL_da": "∂L/∂a"}


class TextPrinter(StrPrinter):
    """SymPy's str printer with ∂ notation, σ and δ, and factors in recorded order."""

    def __init__(self) -> None:
        super().__init__({"order": "none"})

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        for kind, shown in _ADJOINTS.items():
            if expr.name.startswith(kind + "_") and expr.name[len(kind) + 1 :][:1].isdigit():
                return shown + expr.name[len(kind) :]
        return super()._print_Symbol(expr)

    def _print_Indicator(self, expr: sp.Function) -> str:
        return f"1[{self._print(expr.args[0])} > 0]"

    def _print_PositivePart(self, expr: sp.Function) -> str:
        return f"max(0, {self._print(expr.args[0])})"

    def _print_Function(self, expr: sp.Function) -> str:
        name = _FUNCTIONS.get(type(expr).__name__)
        if name is None:
            return super()._print_Function(expr)
        return f"{name}({self.stringify(expr.args, ', ')})"

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

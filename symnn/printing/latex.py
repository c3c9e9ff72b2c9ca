"""LaTeX for expressions and steps: ∂ fractions, symnn's notation, factors in recorded order."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

PARTIAL_STYLES = ("frac", "slash")


class SymnnLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with ∂ notation and notation-driven symbol names.

    ``order="none"`` keeps factors and terms in the order the engine recorded them, so a chain rule
    prints as ∂L/∂z · ∂z/∂w and not in SymPy's canonical order.
    """

    def __init__(self, symbol_names: Mapping[sp.Symbol, str] | None = None, partial: str = "frac"):
        if partial not in PARTIAL_STYLES:
            raise ValueError(
                f"unknown partial style {partial!r}; known: {', '.join(PARTIAL_STYLES)}"
            )
        super().__init__({"symbol_names": dict(symbol_names or {}), "order": "none"})
        self._partial_style = partial

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        f = self._print(expr.expr)
        variables = "".join(rf"\partial {self._print(v)}" for v, _ in expr.variable_count)
        if self._partial_style == "slash":
            return rf"\partial {f} / {variables}"
        return rf"\frac{{\partial {f}}}{{{variables}}}"

    # Matrix level: W^{(l)}, δ^{(l)}, X from the notation; ⊙ for the Hadamard product; 𝟏 and I.
    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        if expr not in self._settings["symbol_names"]:
            from symnn.notation import matrix_latex

            named = matrix_latex(expr)
            if named is not None:
                return named
        return super()._print_MatrixSymbol(expr)

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return super()._print_HadamardProduct(expr).replace(r" \circ ", r" \odot ")

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return r"\mathbf{1}"

    def _print_Identity(self, expr: sp.Identity) -> str:
        return "I"

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        if isinstance(expr.arg, sp.OneMatrix):
            return r"\mathbf{1}^{T}"
        return super()._print_Transpose(expr)

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp=None) -> str:
        # Iverson's bracket: δ_{ij} would read as the δ of backprop.
        i, j = (self._print(arg) for arg in expr.args)
        text = rf"\left[{i} = {j}\right]"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        # A scalar factor prints as in a product (1/N Δᵀ A), not parenthesised like a matrix.
        scalars = [arg for arg in expr.args if not getattr(arg, "is_Matrix", False)]
        if not scalars:
            return super()._print_MatMul(expr)
        matrices = sp.MatMul(*[arg for arg in expr.args if arg not in scalars])
        coefficient = sp.Mul(*scalars)
        if coefficient == -1:
            return "- " + self._print(matrices)
        text = self._print(coefficient)
        if isinstance(coefficient, sp.Add):
            text = rf"\left({text}\right)"
        return f"{text} {self._print(matrices)}"

    def _print_Float(self, expr: sp.Float) -> str:
        # Spec numbers print as written (0.15, not 0.150000000000000); tiny ones as m·10^e.
        text = repr(float(expr))
        if "e" in text:
            mantissa, exponent = text.split("e")
            return rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
        return text[:-2] if text.endswith(".0") else text


def tex(
    expr: sp.Basic, symbol_names: Mapping[sp.Symbol, str] | None = None, partial: str = "frac"
) -> str:
    """LaTeX of ``expr`` in symnn's notation.

    Examples:
        >>> L, w = sp.symbols("L w")
        >>> tex(sp.Derivative(L, w, evaluate=False))
        '\\\\frac{\\\\partial L}{\\\\partial w}'
    """
    return SymnnLatexPrinter(symbol_names, partial).doprint(expr)

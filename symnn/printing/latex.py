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
        variables = "".join(
            rf"\partial {self._print(v)}" + (f"^{{{n}}}" if n > 1 else "")
            for v, n in expr.variable_count
        )
        order = sum(n for _, n in expr.variable_count)
        d = rf"\partial^{{{order}}}" if order > 1 else r"\partial"
        if not expr.expr.is_Atom:  # ∂/∂x (x² + y), never the ambiguous ∂x² + y/∂x
            if self._partial_style == "slash":
                return rf"{d} / {variables} \left({f}\right)"
            return rf"\frac{{{d}}}{{{variables}}} \left({f}\right)"
        if self._partial_style == "slash":
            return rf"{d} {f} / {variables}"
        return rf"\frac{{{d} {f}}}{{{variables}}}"

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

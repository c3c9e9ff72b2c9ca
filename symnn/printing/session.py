"""SymPy's own printing (``init_printing``) in symnn's document notation.

After ``symnn.init_printing()``, a notebook shows ∂L/∂w^{(1)}_{11} typeset and a terminal shows
∂L/∂w⁽¹⁾₁₁, where plain SymPy prints d/dw_1_1_1 L.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.notation import NOTATIONS, Shape, find_quantity, parse
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.text import TextPrinter

_SUPERSCRIPT = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_SUBSCRIPT = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")


def _indices(*values: int) -> str:
    separator = "," if any(v > 9 for v in values) else ""
    return separator.join(str(v) for v in values).translate(_SUBSCRIPT)


def _quantity_text(kind: str, idx: tuple[int, ...]) -> str | None:
    """Unicode of a registered quantity's entry (h⁽¹⁾₂,₁) or adjoint; None without a text head."""
    found = find_quantity(kind)
    if found is None:
        return None
    quantity, adjoint = found
    head = quantity.adjoint_text if adjoint else quantity.text
    if adjoint and not head:
        inner = _quantity_text(quantity.name, idx)
        return None if inner is None else f"∂L/∂{inner}"
    if not head:
        return None
    rest = ",".join(map(str, idx[1:])) if quantity.comma else "".join(map(str, idx[1:]))
    return head + f"({idx[0]})".translate(_SUPERSCRIPT) + rest.translate(_SUBSCRIPT)


class DocumentTextPrinter(TextPrinter):
    """Unicode text in the layered notation: w⁽¹⁾₁₁, δ⁽²⁾₁, x₁; ∂ derivatives as in TextPrinter."""

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        try:
            kind, idx = parse(expr)
        except SymnnError:
            return super()._print_Symbol(expr)
        if kind == "L":
            return "L"
        if kind in ("x", "y"):
            return kind + _indices(idx[0])
        head = {"w": "w", "b": "b", "z": "z", "a": "a", "delta": "δ", "dL_da": "a"}.get(kind)
        if head is None:  # a layer kind's own quantity: printed by its text head, else by its name
            text = _quantity_text(kind, idx)
            return super()._print_Symbol(expr) if text is None else text
        name = head + f"({idx[0]})".translate(_SUPERSCRIPT) + _indices(*idx[1:])
        return f"∂L/∂{name}" if kind == "dL_da" else name


def document_text(expr: sp.Basic) -> str:
    """Unicode text of ``expr`` in the document's notation.

    Examples:
        >>> from symnn.core import notation as nt
        >>> document_text(sp.Derivative(nt.LOSS, nt.w(1, 1, 1), evaluate=False))
        '∂L/∂w⁽¹⁾₁₁'
    """
    return DocumentTextPrinter().doprint(expr)


def document_latex(expr: sp.Basic, notation: str = "layered", widths: tuple[int, ...] = ()) -> str:
    """LaTeX of ``expr`` with symnn's symbols named by a notation preset.

    ``widths`` (inputs first) is needed by the ``neuron`` notation, which numbers the weights.

    Examples:
        >>> from symnn.core import notation as nt
        >>> document_latex(sp.Derivative(nt.LOSS, nt.w(1, 1, 1), evaluate=False))
        '\\\\frac{\\\\partial L}{\\\\partial w^{(1)}_{11}}'
    """
    namer = NOTATIONS[notation].namer(Shape(tuple(widths)))
    return SymnnLatexPrinter(namer=namer).doprint(expr)


def init_printing(notation: str = "layered", network: Any = None, **options: Any) -> None:
    """``sympy.init_printing`` with symnn's notation for LaTeX (notebooks) and Unicode (terminals).

    ``network`` gives the widths the ``neuron`` notation needs; ``options`` go to SymPy's
    ``init_printing`` (``use_latex``, ``ip``, …).
    """
    NOTATIONS[notation]  # an unknown notation fails here, with the known ones named
    widths = tuple(network.widths) if network is not None else ()
    if notation == "neuron" and not widths:
        raise SymnnError("init_printing: the neuron notation needs network= (it numbers weights)")

    def latex(expr: Any, **settings: Any) -> str:
        mode = settings.get("mode", "plain")
        text = document_latex(expr, notation, widths)
        return f"$\\displaystyle {text}$" if mode in ("equation*", "inline") else text

    def text(expr: Any, **settings: Any) -> str:
        return document_text(expr)

    sp.init_printing(latex_printer=latex, str_printer=text, pretty_printer=text, **options)

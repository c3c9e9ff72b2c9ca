"""Quantities at symbolic layers and units, for the index form textbooks print.

``w_at(l + 1, k, j)`` prints w^{(l+1)}_{kj}; with integer arguments it *is* the scalar symbol of
``symnn.core.notation`` (``w_at(2, 1, 3) == notation.w(2, 1, 3)``), so substituting concrete indices
turns a textbook formula into the element-level one.

Examples:
    >>> import sympy as sp
    >>> j = sp.Symbol("j")
    >>> w_at(2, 1, 3), delta_at(2, j).xreplace({j: sp.Integer(1)})
    (w_2_1_3, delta_2_1)
"""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt


def _layer_text(layer: sp.Expr, print_) -> str:
    """l + 1 and l − 1 as written by hand (SymPy's own order gives 1 + l)."""
    if isinstance(layer, sp.Add) and len(layer.args) == 2:
        number = next((arg for arg in layer.args if arg.is_Integer), None)
        if number is not None:
            rest = next(arg for arg in layer.args if arg is not number)
            sign = "+" if number > 0 else "-"
            return f"{print_(rest)} {sign} {abs(number)}"
    return print_(layer)


class _At(sp.Function):
    kind = ""
    head = ""
    _diff_wrt = True

    @classmethod
    def eval(cls, *args):
        if all(arg.is_Integer for arg in args) and cls.kind in _SCALARS:
            return _SCALARS[cls.kind](*(int(arg) for arg in args))
        return None

    def _latex(self, printer, exp=None) -> str:
        text = self._latex_base(printer)
        return text if exp is None else f"\\left({text}\\right)^{{{exp}}}"

    def _latex_base(self, printer) -> str:
        layer, *units = self.args
        sub = "".join(printer._print(u) for u in units)
        if any(not (u.is_Symbol or u.is_Integer) for u in units) or any(
            u.is_Integer and u > 9 for u in units
        ):
            sub = ",".join(printer._print(u) for u in units)
        return f"{self.head}^{{({_layer_text(layer, printer._print)})}}_{{{sub}}}"

    def _sympystr(self, printer) -> str:
        layer, *units = self.args
        units_text = ",".join(map(printer._print, units))
        return f"{self.kind}^({_layer_text(layer, printer._print)})_{units_text}"


class w_at(_At):  # noqa: N801 - named as the quantity it stands for
    """w^{(l)}_{jk} at symbolic indices."""

    nargs = 3
    kind, head = "w", "w"


class b_at(_At):  # noqa: N801
    """b^{(l)}_j at symbolic indices."""

    nargs = 2
    kind, head = "b", "b"


class z_at(_At):  # noqa: N801
    """z^{(l)}_j at symbolic indices."""

    nargs = 2
    kind, head = "z", "z"


class a_at(_At):  # noqa: N801
    """a^{(l)}_j at symbolic indices; a^{(0)}_k is the input x_k."""

    nargs = 2
    kind, head = "a", "a"

    @classmethod
    def eval(cls, layer, unit):
        if layer == 0 and unit.is_Integer:
            return nt.x(int(unit))
        return super().eval(layer, unit)

    def _latex_base(self, printer) -> str:
        if self.args[0] == 0:
            return f"x_{{{printer._print(self.args[1])}}}"
        return super()._latex_base(printer)


class delta_at(_At):  # noqa: N801
    """δ^{(l)}_j at symbolic indices."""

    nargs = 2
    kind, head = "delta", r"\delta"


class width(_At):  # noqa: N801
    """n^{(l)}, the number of units of layer l (symbolic; substitute the network's widths)."""

    nargs = 1
    kind, head = "n", "n"

    def _latex_base(self, printer) -> str:
        return f"n^{{({_layer_text(self.args[0], printer._print)})}}"

    def _sympystr(self, printer) -> str:
        return f"n^({_layer_text(self.args[0], printer._print)})"


_SCALARS = {"w": nt.w, "b": nt.b, "z": nt.z, "a": nt.a, "delta": nt.delta}


class y_at(sp.Function):  # noqa: N801
    """y_k at a symbolic index; with an integer index it is the scalar target symbol."""

    nargs = 1
    _diff_wrt = True

    @classmethod
    def eval(cls, k):
        return nt.y(int(k)) if k.is_Integer else None

    def _latex(self, printer, exp=None) -> str:
        text = f"y_{{{printer._print(self.args[0])}}}"
        return text if exp is None else f"\\left({text}\\right)^{{{exp}}}"

    def _sympystr(self, printer) -> str:
        return f"y_{printer._print(self.args[0])}"

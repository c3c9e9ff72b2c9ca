"""NumPy source for expressions: symbols mapped to array expressions, symnn's rules as calls."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.printing.numpy import NumPyPrinter


class CodePrinter(NumPyPrinter):
    """SymPy's NumPy printer writing a given name for each symbol (``W1[0, 1]`` for w^{(1)}_{12}).

    symnn's functions print themselves (``sigmoid(z)``) through their ``_numpycode`` hooks; the
    stable implementations are supplied by ``symnn.numerics``.
    """

    def __init__(self, names: Mapping[sp.Symbol, str] | None = None) -> None:
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self._names = dict(names or {})

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._names.get(expr, expr.name)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        # Nested np.where reads better than np.select and broadcasts scalars without fuss.
        *branches, (last, last_condition) = expr.args
        if last_condition != sp.true:
            return super()._print_Piecewise(expr)
        text = self._print(last)
        for value, condition in reversed(branches):
            text = f"numpy.where({self._print(condition)}, {self._print(value)}, {text})"
        return text

"""NumPy functions for a user expression and its derivatives, generated from the same SymPy
expressions the calculus derivations record: f, ∇f, the Hessian, or a vector function's Jacobian.

Every function takes the variables in order, as numbers or broadcastable arrays; derivatives are
stacked on the leading axes (∇f has shape (n, ...), the Hessian (n, n, ...), the Jacobian
(outputs, n, ...)). The source is readable and returned with the functions.

Examples:
    >>> code = calculus_code("x**2 + 4*y**2")
    >>> code.value(1, 1), code.gradient(1, 1).tolist(), code.hessian(1, 1).tolist()
    (5, [2.0, 8.0], [[2.0, 0.0], [0.0, 8.0]])
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symnn import numerics
from symnn.codegen import load_function
from symnn.expressions import as_expression, resolve_variables
from symnn.printing.code import CodePrinter

# Names the generated module uses itself; a variable with one of these names is renamed (x → x_).
RESERVED = {"numpy", "_array", "value", "gradient", "hessian", "jacobian", *numerics.NAMESPACE}

HELPER = '''def _array(entries, shape, *args):
    """Entries broadcast with the arguments (constants too) and stacked on the axes ``shape``."""
    arrays = [numpy.asarray(e, dtype=float) for e in entries]
    flat = numpy.broadcast_arrays(*arrays, *map(numpy.asarray, args))[: len(arrays)]
    return numpy.stack(flat).reshape(tuple(shape) + flat[0].shape)
'''


@dataclass(frozen=True)
class CalculusCode:
    """Generated NumPy functions and their source; unused parts are None."""

    source: str
    variables: tuple[sp.Symbol, ...]
    value: Callable
    gradient: Callable | None = None
    hessian: Callable | None = None
    jacobian: Callable | None = None


def _names(symbols: Sequence[sp.Symbol]) -> dict[sp.Symbol, str]:
    names = {}
    for s in symbols:
        name = s.name
        while name in RESERVED or keyword.iskeyword(name) or name in names.values():
            name += "_"
        names[s] = name
    return names


def _function(name: str, args: str, doc: str, body: str) -> str:
    return f'def {name}({args}):\n    """{doc}"""\n    return {body}\n'


def _no_kinks(expr: sp.Expr) -> sp.Expr:
    # sign′ = 2δ: a point mass at the kink, taken as 0 like every kink in symnn (|r|″ = 0).
    return expr.replace(sp.DiracDelta, lambda *args: sp.S.Zero)


def _entries(
    printer: CodePrinter, exprs: Sequence[sp.Expr], shape: Sequence[int], args: str
) -> str:
    items = ", ".join(printer.doprint(_no_kinks(e)) for e in exprs)
    return f"_array([{items}], {tuple(shape)!r}, {args})"


def _load(source: str, names: Sequence[str]) -> list[Callable]:
    return [load_function(source, name) for name in names]


def calculus_code(f: str | sp.Expr, variables: str | Sequence[str] | None = None) -> CalculusCode:
    """f, its gradient and its Hessian as NumPy functions (arguments in the variables' order).

    Examples:
        >>> import numpy as np
        >>> code = calculus_code("exp(-x)*sin(y)", "x,y")
        >>> code.gradient(np.zeros(3), np.pi / 2).round(6).tolist()
        [[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0]]
    """
    symbols = resolve_variables([f], variables)
    expr = as_expression(f, symbols)
    names = _names(symbols)
    printer = CodePrinter(names)
    args = ", ".join(names[s] for s in symbols)
    n = len(symbols)
    grad = [sp.diff(expr, s) for s in symbols]
    hess = [sp.diff(g, s) for g in grad for s in symbols]
    source = "\n\n".join(
        [
            HELPER,
            _function("value", args, f"f = {sp.sstr(expr)}", printer.doprint(expr)),
            _function("gradient", args, "∇f, shape (n, ...)", _entries(printer, grad, (n,), args)),
            _function(
                "hessian",
                args,
                "∂²f/∂xᵢ∂xⱼ, shape (n, n, ...)",
                _entries(printer, hess, (n, n), args),
            ),
        ]
    )
    value, gradient, hessian = _load(source, ["value", "gradient", "hessian"])
    return CalculusCode(source, symbols, value, gradient, hessian)


def jacobian_code(
    functions: Sequence[str | sp.Expr], variables: str | Sequence[str] | None = None
) -> CalculusCode:
    """A vector function and its Jacobian (row i: the partials of output i) as NumPy functions.

    Examples:
        >>> jacobian_code(["x**2 + y", "2*x + 3*y"]).jacobian(1, 2).tolist()
        [[2.0, 1.0], [2.0, 3.0]]
    """
    symbols = resolve_variables(list(functions), variables)
    exprs = [as_expression(f, symbols) for f in functions]
    names = _names(symbols)
    printer = CodePrinter(names)
    args = ", ".join(names[s] for s in symbols)
    m, n = len(exprs), len(symbols)
    entries = [sp.diff(e, s) for e in exprs for s in symbols]
    outputs = _entries(printer, exprs, (m,), args)
    rows = _entries(printer, entries, (m, n), args)
    source = "\n\n".join(
        [
            HELPER,
            _function("value", args, "the outputs, shape (m, ...)", outputs),
            _function("jacobian", args, "row i: ∂f_i/∂x_j, shape (m, n, ...)", rows),
        ]
    )
    value, jacobian = _load(source, ["value", "jacobian"])
    return CalculusCode(source, symbols, value, jacobian=jacobian)

"""Evaluating user expressions at points and showing the numbers: the shared helpers of the
calculus refresher (``symnn.calculus.calculus``, ``symnn.calculus.taylor``,
``symnn.calculus.descent``).

Exact numbers stay exact (``value``); a rational with a terminating decimal is shown as that
decimal (``show``: 3/50 → 0.06); ``tidy`` simplifies cheaply and predictably.

Examples:
    >>> expr, symbols = setup("x**2 + 4*y**2")
    >>> value(expr, point_map(symbols, "1, 0.5")), show(sp.Rational(3, 50))
    (2, 0.0600000000000000)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import mpmath
import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.expressions import as_expression, as_point, resolve_variables
from symnn.core.functions import to_elementary
from symnn.core.program import parse_values
from symnn.core.steps import Derivation

Variables = str | Sequence[str | sp.Symbol] | None
Point = str | Sequence[Any] | None

# Names whose LaTeX differs from their text; templates pass these to the printer.
LATEX_NAMES = {
    "∇f": r"\nabla f",
    "|∇f|": r"\lVert \nabla f \rVert",
    "u": r"\mathbf{u}",
    "d": r"\mathbf{d}",
    "|d|": r"\lVert \mathbf{d} \rVert",
    "D_u f": r"D_{\mathbf{u}} f",
    "Δx": r"\Delta \mathbf{x}",
    "Δf_linear": r"\Delta f_{\text{linear}}",
    "Δf_exact": r"\Delta f_{\text{exact}}",
    "f_linear": r"f_{\text{linear}}",
    "error": r"\varepsilon",
    "relative error": r"\varepsilon / \Delta f_{\text{exact}}",
    "½ΔxᵀHΔx": r"\tfrac{1}{2} \Delta \mathbf{x}^{\mathsf{T}} H \, \Delta \mathbf{x}",
    "h·D_u f": r"h \, D_{\mathbf{u}} f",
}


def name(text: str) -> sp.Symbol:
    """A display symbol (∇f, Δx, …) for the left side of a step."""
    return sp.Symbol(text)


def symbol_names(*extra: dict[sp.Symbol, str]) -> dict[sp.Symbol, str]:
    """LaTeX names of the display symbols, for ``SymnnLatexPrinter(symbol_names=...)``."""
    names = {sp.Symbol(k): v for k, v in LATEX_NAMES.items()}
    for more in extra:
        names.update(more)
    return names


def setup(
    f: str | sp.Expr, variables: Variables = None, extra: Sequence[str | sp.Expr] = ()
) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    """The expression and its variables (given order, else order of appearance in the text)."""
    symbols = resolve_variables([f, *extra], variables)
    if not symbols:
        raise SymnnError(f"expression {f!s}: expected at least one variable, found none")
    return as_expression(f, symbols), symbols


def point_map(symbols: Sequence[sp.Symbol], at: Point, what: str = "point") -> dict:
    """``{x: 1, y: 1}`` from a point given as text or numbers, by position (``"1,1"``) or by
    name in any order (``"y=1, x=2"``).

    Examples:
        >>> x, y = sp.symbols("x y")
        >>> point_map((x, y), "y=2, x=1/2")
        {x: 1/2, y: 2}
    """
    if isinstance(at, str) and "=" in at:
        return _named_point(symbols, at, what)
    return dict(zip(symbols, as_point(at, len(symbols), what), strict=True))


def _named_point(symbols: Sequence[sp.Symbol], at: str, what: str) -> dict:
    """A point given by name, ``x=1, y=2``: every variable once, no other name."""
    body = at.strip()
    if body[:1] + body[-1:] in ("()", "[]"):
        body = body[1:-1]
    try:
        values = parse_values(body)
    except SymnnError as error:
        raise SymnnError(f"{what} {at!r}: {error}") from None
    names = ", ".join(s.name for s in symbols)
    unknown = [n for n in values if n not in {s.name for s in symbols}]
    if unknown:
        raise SymnnError(
            f"{what} {at!r}: unknown variable {unknown[0]!r}; the variables are {names}"
        )
    missing = [s.name for s in symbols if s.name not in values]
    if missing:
        raise SymnnError(
            f"{what} {at!r}: no value for {', '.join(missing)}; expected name=number for each of "
            f"{names}"
        )
    return {s: values[s.name] for s in symbols}


MAX_MAGNITUDE = 10_000  # decimal digits: values up to about 10**10000 are evaluated exactly

_MPMATH = {
    sp.exp: mpmath.exp,
    sp.log: mpmath.log,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: mpmath.tan,
    sp.asin: mpmath.asin,
    sp.acos: mpmath.acos,
    sp.atan: mpmath.atan,
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh,
    sp.Abs: abs,
    sp.sign: mpmath.sign,
}
_GROWING = (sp.exp, sp.sinh, sp.cosh)  # |f(u)| about e^|u|: refused before they are computed


class _TooLarge(Exception):
    def __init__(self, digits: float):
        self.digits = digits


def guard_magnitude(expr: sp.Expr, at: dict, label: str = "f") -> None:
    """Refuse, before SymPy evaluates anything, a point where some part of ``expr`` is beyond
    about 10**MAX_MAGNITUDE: SymPy would work for hours on exp(exp(10**6)) (its assumptions
    evaluate numbers to decide signs).

    Every part is evaluated bottom-up with mpmath at 64 bits, and exp, sinh, cosh and powers
    are checked before they are computed. Parts it cannot evaluate are left to SymPy.

    Examples:
        >>> x = sp.Symbol("x")
        >>> guard_magnitude(sp.exp(sp.exp(x)), {x: 10})  # about 10^9566: evaluated exactly
        >>> guard_magnitude(sp.exp(sp.exp(x)), {x: 11})
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: f at x = 11: a value of about 10^26,003 arises; ...
    """
    memo: dict = {}
    limit = MAX_MAGNITUDE * math.log(10)

    def digits(number) -> float:
        size = abs(number)
        return float(mpmath.log10(size)) if size > 1 else 0.0

    def check(number):
        if number is None or not mpmath.isfinite(number):
            return None  # log(0) and the like: undefined here, which SymPy reports
        if digits(number) > MAX_MAGNITUDE:
            raise _TooLarge(digits(number))
        return number

    def mp(node: sp.Basic):
        if node in memo:
            return memo[node]
        result = None
        try:
            if node in at:
                result = mp(sp.sympify(at[node]))
            elif node.is_Rational:
                result = mpmath.mpf(int(node.p)) / int(node.q)
            elif node.is_Float:
                result = mpmath.mpf(node)
            elif node is sp.pi:
                result = +mpmath.pi
            elif node is sp.E:
                result = +mpmath.e
            elif node.is_Add or node.is_Mul:
                parts = [mp(arg) for arg in node.args]
                if all(part is not None for part in parts):
                    result = mpmath.fsum(parts) if node.is_Add else mpmath.fprod(parts)
            elif node.is_Pow:
                base, exponent = mp(node.base), mp(node.exp)
                if base is not None and exponent is not None and base != 0:
                    size = abs(mpmath.re(exponent)) * abs(mpmath.log(abs(base)))
                    if size > limit:
                        raise _TooLarge(float(size / math.log(10)))
                    result = mpmath.power(base, exponent)
            elif node.func in _MPMATH and len(node.args) == 1:
                argument = mp(node.args[0])
                if argument is not None:
                    if node.func in _GROWING and abs(mpmath.re(argument)) > limit:
                        raise _TooLarge(float(abs(mpmath.re(argument)) / math.log(10)))
                    result = _MPMATH[node.func](argument)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            result = None  # undefined here (log 0, 1/0): SymPy decides and says so
        memo[node] = check(result)
        return memo[node]

    try:
        with mpmath.workprec(64):
            mp(to_elementary(sp.sympify(expr)))
    except _TooLarge as large:
        finite = math.isfinite(large.digits)
        size = f"of about 10^{large.digits:,.0f}" if finite else "too large to count its digits"
        raise SymnnError(
            f"{label} at {where(at)}: a value {size} arises; symnn "
            f"evaluates numbers up to about 10^{MAX_MAGNITUDE:,} (choose a point nearer the origin)"
        ) from None


def value(expr: sp.Expr, at: dict) -> sp.Expr:
    """The exact value of ``expr`` at a point (symnn functions rewritten so SymPy can evaluate)."""
    guard_magnitude(expr, at)
    result = to_elementary(sp.sympify(expr).xreplace(at))
    for number in result.atoms(sp.Rational):
        bits = max(int(number.p).bit_length(), int(number.q).bit_length())
        if bits * math.log10(2) > MAX_MAGNITUDE:
            raise SymnnError(
                f"at {where(at)}: an exact number of about {int(bits * math.log10(2)):,} digits "
                f"arises; symnn keeps exact numbers up to about {MAX_MAGNITUDE:,} digits"
            )
    return sp.nsimplify(result) if result.is_Float else tidy(result)


def where(at: dict) -> str:
    """A point as prose for messages: ``x = 1, y = 1/2``."""
    return ", ".join(f"{s} = {v}" for s, v in at.items())


@contextmanager
def evaluating(f: str | sp.Expr, at: dict) -> Iterator[None]:
    """Turn the arithmetic errors of evaluating ``f`` (or its derivatives) at a point into a
    SymnnError naming both: mpmath overflows on numbers such as exp(exp(exp(1000)))."""
    try:
        yield
    except SymnnError:  # a ValueError too, and already clear
        raise
    except (OverflowError, ValueError, ZeroDivisionError) as error:
        raise SymnnError(
            f"expression {f!s}: cannot evaluate at {where(at)} "
            f"({type(error).__name__}: {error or 'no details'})"
        ) from None


def defined_value(expr: sp.Expr, at: dict, label: str = "f") -> sp.Expr:
    """The exact value of ``expr`` at a point, which must be a finite real number.

    Examples:
        >>> x = sp.Symbol("x")
        >>> defined_value(sp.log(x), {x: 0})
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: f is not defined (finite and real) at x = 0
    """
    with evaluating(expr, at):
        number = value(expr, at)
        real, finite = number.is_extended_real, number.is_finite
        if real is None or finite is None:  # assumptions undecided: ask the digits
            decimal = sp.N(number, 17)
            real, finite = decimal.is_extended_real, decimal.is_finite
    if not (real and finite) or number.has(sp.nan, sp.zoo):
        raise SymnnError(f"{label} is not defined (finite and real) at {where(at)}")
    return number


def at_optional_point(build, expr: sp.Expr, symbols: tuple, at: Point, f_name: str) -> Derivation:
    """``build(expr, symbols, point, f_name)``; f is checked defined at the point when one is given.

    Without a point the result stays symbolic; with one, f must be finite and real there and any
    overflow while evaluating becomes a clear error naming the expression and the point.
    """
    point = point_map(symbols, at) if at is not None else None
    if point is None:
        return build(expr, symbols, None, f_name)
    defined_value(expr, point, f_name)
    with evaluating(expr, point):
        return build(expr, symbols, point, f_name)


def tidy(expr: sp.Expr) -> sp.Expr:
    """A cheap, predictable simplification (expand, collect common factors, rationalise).

    ``sp.simplify`` can take minutes on a sigmoid or a trigonometric value; this never does.

    Examples:
        >>> tidy((2*sp.Symbol("x") + 3)/sp.sqrt(2) + (3*sp.Symbol("x") + 2)/sp.sqrt(2))
        5*sqrt(2)*(x + 1)/2
    """
    expr = sp.sympify(expr)
    if expr.is_Atom:
        return expr
    return sp.radsimp(sp.factor_terms(sp.expand(expr)))


def approx(expr: sp.Expr) -> float | None:
    """The float of an exact number, or None when it is not a real number."""
    number = sp.N(to_elementary(expr), 17)
    if not (number.is_real and number.is_finite):
        return None
    decimal = float(number)
    return decimal if math.isfinite(decimal) else None  # beyond float range: exact only


def number_row(label: str, expr: sp.Basic, symbol: sp.Basic | None = None) -> dict[str, Any]:
    """One line of a template's table of numbers: label, exact value and its decimal value."""
    row: dict[str, Any] = {"label": label, "symbol": symbol, "exact": expr, "approx": None}
    if isinstance(expr, sp.Expr) and expr.is_number:
        decimal = approx(expr)
        if decimal is not None and not (expr.is_Integer or expr.is_Float or _short_decimal(expr)):
            row["approx"] = decimal
    return row


def _short_decimal(expr: sp.Expr) -> bool:
    # 3/50 prints better as 0.06, so a terminating decimal is shown as one, exactly: one of at
    # most 15 significant digits, which a float holds and prints back as written.
    if not expr.is_Rational:
        return False
    q, places = int(expr.q), 0
    for p in (2, 5):
        count = 0
        while q % p == 0:
            q //= p
            count += 1
        places = max(places, count)
    digits = str(abs(int(expr.p)) * 10**places // int(expr.q)).rstrip("0")
    return q == 1 and len(digits) <= 15


def show(expr: sp.Expr) -> sp.Expr:
    """A rational with a terminating decimal as a Float for display (3/50 → 0.06).

    The printers show such a Float as written; the exact rational stays in ``context["values"]``.
    """
    if isinstance(expr, sp.Rational) and not expr.is_Integer and _short_decimal(expr):
        return sp.Float(expr, 15)
    return expr


class CalculusDerivation(Derivation):
    """A ``Derivation`` of the calculus refresher; notebooks show it through its own templates.

    Its views are registered in ``symnn.output.notebook``: the refresher's Markdown, and no
    LaTeX view (the Markdown carries the maths).
    """

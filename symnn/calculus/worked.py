"""Arithmetic shown the way a worked example writes it: a point substituted into an expression,
then evaluated in stages, innermost brackets first, then each term, then the sum:

    f(0.6, −0.4) = (0.6 − 3)² + 2(−0.4 + 1)² = (−2.4)² + 2(0.6)² = 5.76 + 0.72 = 6.48

Every stage is computed here from the expression and the point (exact arithmetic; a terminating
decimal is shown as one), never typed. ``Over`` is a fraction kept as written (5/√2, 1/(√5·√10)).

Examples:
    >>> x, y = sp.symbols("x y")
    >>> shown = stages((x - 3)**2 + 2*(y + 1)**2, {x: sp.Rational(3, 5), y: -sp.Rational(2, 5)})
    >>> [text(s) for s in shown[1:3]], exact(shown[-1])
    (['(-2.4)**2 + 2*0.6**2', '5.76 + 0.72'], 162/25)
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symnn.calculus.evaluation import show, tidy, value
from symnn.printing.text import text

U = sp.UnevaluatedExpr


class Over(sp.Function):
    """A fraction as written, numerator over denominator, neither simplified (5/√2)."""

    def _latex(self, printer) -> str:
        top, bottom = (printer._print(a) for a in self.args)
        return rf"\frac{{{top}}}{{{bottom}}}"

    def _sympystr(self, printer) -> str:
        top, bottom = (printer.parenthesize(a, 50) for a in self.args)
        return f"{top}/{bottom}"

    def doit(self, **hints):
        top, bottom = (a.doit(**hints) for a in self.args)
        return top / bottom


class Bracketed(sp.Function):
    """A sum kept in brackets as one term of a bigger sum: + (x − 1), where a coefficient 1
    would be written 1(x − 1) and a bare sum would merge into the one around it."""

    def _latex(self, printer) -> str:
        return rf"\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"({printer._print(self.args[0])})"

    def doit(self, **hints):
        return self.args[0].doit(**hints)


class Written(sp.Add):
    """A sum whose terms stay in the order they were written: a Taylor polynomial by degree,
    f(a) + f′(a)(x − a) + …, not SymPy's order (the refresher's printers keep it)."""


def worked_sum(numbers: Sequence[sp.Expr]) -> sp.Expr:
    """Numbers added as written: 3 − 2 for 3 + (−2), each number kept whole."""
    terms = []
    for n in numbers:
        n = show(n)
        negative = n.is_number and n.is_extended_negative and not isinstance(n, Over)
        terms.append(sp.Mul(-1, U(-n), evaluate=False) if negative else U(n))
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def substitute(expr: sp.Expr, at: dict) -> sp.Expr:
    """``expr`` with the point's numbers in place of its variables, nothing combined
    (2·1 + 3·1 stays so; SymPy alone would collect it to 5·1)."""
    if expr in at:
        return U(show(at[expr]))
    if not expr.args or expr.is_number:
        return expr
    if expr.is_Add:  # in the order the expression prints (x − 3, not −3 + x)
        terms = [substitute(a, at) for a in expr.as_ordered_terms()]
        return sp.Add(*terms[:1], *map(_subtracted, terms[1:]), evaluate=False)
    if expr.is_Mul:  # in the order the expression prints (3x²y gives 3·1²·2), constants last
        factors = sorted(ordered_factors(expr), key=factor_place)
        return sp.Mul(*(substitute(a, at) for a in factors), evaluate=False)
    return _unevaluated(expr, [substitute(a, at) for a in expr.args])


def ordered_factors(expr: sp.Mul) -> list[sp.Expr]:
    """A product's factors in the order people write them, SymPy's printing order (3x²y, not
    the stored 3yx²), the coefficient first and whole (−2x, not −1·2·x).

    Examples:
        >>> x, y = sp.symbols("x y")
        >>> ordered_factors(-3 * x**2 * y)
        [-3, x**2, y]
    """
    coefficient, rest = expr.as_coeff_Mul()
    factors = rest.as_ordered_factors() if rest.is_Mul else [rest]
    return [coefficient, *factors] if coefficient != 1 else factors


def factor_place(factor: sp.Expr) -> int:
    """Where a factor of a worked product goes: a coefficient first, a constant (e, π) last,
    substituted values and worked numbers (η, an error, an input) in their order between."""
    if isinstance(factor, sp.Rational):  # a literal (a substituted value is Unevaluated)
        return 0
    if isinstance(factor, sp.NumberSymbol) or (
        factor.is_Pow and isinstance(factor.base, sp.NumberSymbol) and not factor.has(sp.Float)
    ):
        return 2
    return 1


def _unevaluated(expr: sp.Expr, args: list) -> sp.Expr:
    """``expr``'s kind of node over new arguments, left as built (no collecting, no order)."""
    if expr.is_Add:
        return sp.Add(*args, evaluate=False)
    if expr.is_Mul:
        return sp.Mul(*args, evaluate=False)
    if expr.is_Pow:
        return sp.Pow(*args, evaluate=False)
    return expr.func(*args, evaluate=False)


def _subtracted(term: sp.Expr) -> sp.Expr:
    """A negative number after the first term of a sum, written as a subtraction (1 − 0.4)."""
    inner = term.args[0] if isinstance(term, U) else None
    if inner is not None and inner.is_number and inner.is_extended_negative:
        return sp.Mul(-1, U(-inner), evaluate=False)
    return term


def exact(expr: sp.Expr) -> sp.Expr:
    """The exact value of a substituted expression (its shown decimals read back as written)."""
    floats = {f: sp.Rational(str(f)) for f in expr.atoms(sp.Float)}
    return value(expr.xreplace(floats).doit(), {})


def _number(expr: sp.Expr) -> sp.Expr:
    number = tidy(exact(expr))
    return U(show(number)) if not number.is_Atom or number.is_number else number


def _evaluate_inner(expr: sp.Expr, root: bool = True) -> sp.Expr:
    """Every bracketed sum below the top evaluated to one number."""
    if not expr.args or isinstance(expr, U):
        return expr
    if expr.is_Add and not root:
        return _number(expr)
    return _unevaluated(expr, [_evaluate_inner(a, False) for a in expr.args])


def _evaluate_terms(expr: sp.Expr) -> sp.Expr:
    """Each term of the top sum evaluated to one number, the sum kept."""
    if not expr.is_Add:
        return expr
    return worked_sum([exact(t) for t in expr.args])


def stages(expr: sp.Expr, at: dict) -> list[sp.Expr]:
    """The substituted expression, then each stage of its evaluation, ending with the value;
    stages that change nothing are left out."""
    found = [substitute(expr, at)]
    for stage in (_evaluate_inner, _evaluate_terms):
        following = stage(found[-1])
        if text(following) != text(found[-1]):
            found.append(following)
    final = show(tidy(exact(found[-1])))
    if text(final) != text(found[-1]):
        found.append(final)
    return found


class Ordinary(sp.Function):
    """d/dx of a function of one variable: written with d, not ∂ (there is nothing held fixed)."""

    def _latex(self, printer) -> str:
        body, x = self.args
        d = rf"\frac{{d}}{{d {printer._print(x)}}}"
        if isinstance(body, sp.Symbol):
            return rf"\frac{{d {printer._print(body)}}}{{d {printer._print(x)}}}"
        return rf"{d} \left({printer._print(body)}\right)"

    def _sympystr(self, printer) -> str:
        body, x = self.args
        shown = printer._print(body)
        return f"d{shown}/d{x}" if isinstance(body, sp.Symbol) else f"d({shown})/d{x}"


def ordinary(expr: sp.Basic) -> sp.Basic:
    """Every derivative in ``expr`` written as d/dx (one variable), the rest unchanged."""
    if isinstance(expr, sp.Derivative) and len(expr.variables) == 1:
        return Ordinary(expr.expr, expr.variables[0])
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    args = [ordinary(a) for a in expr.args]
    if args == list(expr.args):
        return expr
    if isinstance(expr, sp.Subs):
        return sp.Subs(args[0], expr.variables, expr.point)
    return expr.func(*args, evaluate=False) if expr.is_Add or expr.is_Mul else expr.func(*args)

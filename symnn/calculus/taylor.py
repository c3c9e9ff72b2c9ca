"""Second-order and vector calculus on user expressions: Taylor expansion, Hessian, Jacobian.

Conventions: the Jacobian has one row per output and one column per variable (numerator layout);
the Hessian entry (i, j) is ∂²f/∂xᵢ∂xⱼ, symmetric for smooth f (Schwarz); the Taylor polynomial of
order n at a is Σ_{|α| ≤ n} ∂^α f(a) / α! · (x − a)^α over multi-indices α.

Examples:
    >>> jacobian_of(["x**2 + y", "2*x + 3*y"]).results[0].rhs
    Matrix([
    [2*x, 1],
    [  2, 3]])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import sympy as sp

from symnn.calculus.calculus import (
    _context,
    at_point_steps,
    changing,
    number_text,
    partial_steps,
)
from symnn.calculus.evaluation import (
    CalculusDerivation,
    Point,
    Variables,
    at_optional_point,
    defined_value,
    evaluating,
    number_row,
    point_map,
    setup,
    show,
    tidy,
    value,
)
from symnn.calculus.worked import Bracketed, Over, Written, ordered_factors
from symnn.core.errors import SymnnError
from symnn.core.expressions import as_expression, as_point, resolve_variables
from symnn.core.steps import Derivation, Section, Step
from symnn.printing.text import prose, superscript

MAX_ORDER = 8


def _sub(n: int) -> str:
    """n in subscript digits (T₂): the row labels are prose, where T_2 would leak code."""
    return "".join(chr(0x2080 + int(d)) for d in str(n))


def multi_indices(n: int, order: int) -> list[tuple[int, ...]]:
    """Multi-indices α of ``n`` variables with |α| = ``order``, first variable's powers first.

    Examples:
        >>> multi_indices(2, 2)
        [(2, 0), (1, 1), (0, 2)]
    """
    combos = itertools.combinations_with_replacement(range(n), order)
    return [tuple(combo.count(i) for i in range(n)) for combo in combos]


def _term(coefficient: sp.Expr, factors: list[sp.Expr]) -> sp.Expr:
    """coefficient · (x − a)^i · (y − b)^j as written, unexpanded: (y − 1), not 1(y − 1)."""
    if not factors:
        return coefficient
    if abs(coefficient) == 1 and len(factors) == 1 and factors[0].is_Add:
        # A lone (y − 1) keeps its brackets, else the sum around it would swallow them.
        lone = Bracketed(factors[0])
        return lone if coefficient == 1 else sp.Mul(-1, lone, evaluate=False)
    if coefficient == 1:
        return sp.Mul(*factors, evaluate=False) if len(factors) > 1 else factors[0]
    return sp.Mul(coefficient, *factors, evaluate=False)


def _flat_sum(terms: list[sp.Expr]) -> sp.Expr:
    """The terms added in the order given (by degree, as a Taylor polynomial is written)."""
    flat = [t for term in terms for t in (term.args if term.is_Add else [term]) if t != 0]
    if not flat:
        return sp.S.Zero
    return Written(*flat, evaluate=False) if len(flat) > 1 else flat[0]


def _powers(factors: list[sp.Expr]) -> list[tuple[sp.Expr, int]]:
    return [(f.args[0], f.args[1]) if f.is_Pow else (f, 1) for f in factors]


def _derivative_of(f: sp.Basic, symbols: Sequence[sp.Symbol], alpha: Sequence[int]) -> sp.Basic:
    pairs = [(x, k) for x, k in zip(symbols, alpha, strict=True) if k]
    return sp.Derivative(f, *pairs, evaluate=False) if pairs else f


def taylor(
    f: str | sp.Expr,
    at: Point,
    order: int = 2,
    variables: Variables = None,
    step: Point = None,
    f_name: str = "f",
) -> Derivation:
    """The Taylor polynomial of ``f`` at a point to ``order``; with ``step``, compared with f there.

    Examples:
        >>> taylor("exp(x)*y", at="0,1", order=2).context["values"]["polynomial"]
        x**2/2 + x*(y - 1) + x + y
    """
    if not isinstance(order, int) or isinstance(order, bool) or not 0 <= order <= MAX_ORDER:
        raise SymnnError(f"order: expected a whole number from 0 to {MAX_ORDER}, found {order!r}")
    expr, symbols = setup(f, variables)
    point = point_map(symbols, at)
    with evaluating(expr, point):
        return _taylor(expr, symbols, point, order, step, f_name)


def derivative_name(f_name: str, k: int, argument: sp.Expr) -> tuple[sp.Basic, str]:
    """The k-th derivative of a function of one variable at ``argument`` as one display symbol,
    f′(x), f″(1), f⁽⁴⁾(0.5), and its LaTeX (f''(1), f^{(4)}(0.5)); f(1) itself for k = 0."""
    shown = show(argument)
    if k == 0:  # f itself, f(1) at a point
        return (sp.Symbol(f_name) if argument.is_Symbol else sp.Function(f_name)(shown)), ""
    marks = "′″‴"[k - 1] if k <= 3 else f"⁽{superscript(str(k))}⁾"
    tex_marks = "'" * k if k <= 3 else f"^{{({k})}}"
    words = argument.name if isinstance(argument, sp.Symbol) else number_text(argument)
    tex = sp.latex(shown)
    tex = rf"\left({tex}\right)" if r"\frac" in tex else f"({tex})"  # tall: f''\left(\frac13\right)
    return sp.Symbol(f"{f_name}{marks}({words})"), f"{f_name}{tex_marks}{tex}"


def _textbook_term(f_name: str, k: int, a: sp.Expr, move: sp.Expr) -> tuple[sp.Basic, str]:
    """t_k = f⁽ᵏ⁾(a)/k! · (x − a)ᵏ with the point's numbers, before the derivative's value."""
    at, tex = derivative_name(f_name, k, a)
    coefficient = Over(at, sp.Symbol(f"{k}!")) if k > 1 else at
    if k == 0:
        return coefficient, tex
    power = move if k == 1 else sp.Pow(move, k, evaluate=False)
    return sp.Mul(coefficient, power, evaluate=False), tex


def _taylor_note(f_name: str, k: int, one: bool) -> str:
    if not one:
        return f"sum over |α| = {k} of ∂ᵅ{f_name}(a)/α! · (x − a)ᵅ"
    if k < 2:
        return f"{f_name}(a)" if k == 0 else f"{f_name}′(a)(x − a)"
    marks = derivative_name(f_name, k, sp.Symbol("a"))[0].name
    return f"{marks}/{k}! · (x − a){superscript(str(k))}"


def _partial_rule(k: int) -> str:
    return ("partial_derivative", "second_partial")[k - 1] if k < 3 else "higher_partial"


def _one_rule(k: int) -> str:
    return ("first_derivative", "second_derivative")[k - 1] if k < 3 else "higher_derivative"


def _taylor(expr, symbols, point, order, step, f_name) -> Derivation:
    where = tuple(point.values())
    f_symbol = sp.Symbol(f_name)
    moves = [sp.Add(x, -point[x], evaluate=False) if point[x] else x for x in symbols]
    one = len(symbols) == 1  # the textbook polynomial: f(a) + f′(a)(x − a) + f″(a)/2! (x − a)²
    sections, terms, displays, latex_names = [], [], [], {}
    for k in range(order + 1):
        steps, parts = [], []
        for alpha in multi_indices(len(symbols), k):
            partial = expr
            for x, count in zip(symbols, alpha, strict=True):
                partial = sp.diff(partial, x, count) if count else partial
            lhs, at_name = _derivative_of(f_symbol, symbols, alpha), None
            if one:
                (lhs, lhs_tex), (at_name, at_tex) = (
                    derivative_name(f_name, k, symbols[0]),
                    derivative_name(f_name, k, where[0]),
                )
                latex_names |= {s: t for s, t in ((lhs, lhs_tex), (at_name, at_tex)) if t}
            if k:
                steps.append(Step(lhs, partial, _one_rule(k) if one else _partial_rule(k)))
            more, number = at_point_steps(lhs, partial, point, at_name)
            steps += more
            factorial = math.prod(math.factorial(a) for a in alpha)
            pairs = [(m, a) for m, a in zip(moves, alpha, strict=True) if a]
            factors = [m if a == 1 else sp.Pow(m, a, evaluate=False) for m, a in pairs]
            parts.append((number / factorial, factors))
        # Shown as coefficient × (x − a)^α, unexpanded; the sum below is the evaluated polynomial.
        shown = [_term(c, p) for c, p in parts if c]
        term = sp.Add(*(c * sp.Mul(*(m**a for m, a in _powers(p))) for c, p in parts))
        note = _taylor_note(f_name, k, one)
        display = _flat_sum(shown)
        t_k = sp.Symbol(f"t_{k}")
        if one:
            textbook, _ = _textbook_term(f_name, k, where[0], moves[0])
            steps.append(Step(t_k, textbook, "taylor_term_1d", note))
            steps += changing([steps[-1], Step(t_k, display, "evaluate_at_point")])[1:]
        else:
            steps.append(Step(t_k, display, "taylor_term", note))
        sections.append(Section(t_k, tuple(steps)))
        terms.append(term)
        displays.append(display)
    polynomial = sp.Add(*terms)
    t_name = sp.Symbol(f"T_{order}")
    at_words = f"{symbols[0]} = {number_text(where[0])}" if one else prose(where)
    results = [
        Step(t_name, _flat_sum(displays), "taylor", f"order {order} at {at_words}"),
        Step(t_name, sp.expand(polynomial), "taylor", "expanded"),
    ]
    values: dict[str, Any] = {"point": where, "order": order, "polynomial": polynomial}
    polynomial_row = number_row(f"Taylor polynomial T{_sub(order)}", sp.expand(polynomial))
    numbers = [number_row(f_name, expr), polynomial_row]
    if step is not None:
        delta = as_point(step, len(symbols), "step")
        moved = {x: point[x] + h for x, h in zip(symbols, delta, strict=True)}
        approx_value = value(polynomial, moved)
        exact_value = defined_value(expr, moved, f_name)
        error = tidy(exact_value - approx_value)
        values.update(step=delta, approximation=approx_value, exact_value=exact_value, error=error)
        numbers += [
            number_row(f"T{_sub(order)} at the moved point", approx_value),
            number_row(f"{f_name} at the moved point", exact_value),
            number_row("error", error),
        ]
        results.append(
            Step(
                sp.Function(f"T_{order}")(*map(show, moved.values())),
                show(approx_value),
                "evaluate_at_point",
            )
        )
    context = _context("taylor", expr, symbols, f_name, values, numbers)
    context["symbol_names"] |= latex_names
    title = f"Taylor expansion of {f_name} to order {order} at {at_words}"
    return CalculusDerivation(title, tuple(sections), tuple(results), context)


def _definiteness(matrix: sp.Matrix) -> str:
    if matrix.is_positive_definite:
        return "positive definite"
    if matrix.is_negative_definite:
        return "negative definite"
    if matrix.is_positive_semidefinite:
        return "positive semidefinite"
    if matrix.is_negative_semidefinite:
        return "negative semidefinite"
    return "indefinite"


def hessian(
    f: str | sp.Expr, variables: Variables = None, at: Point = None, f_name: str = "f"
) -> Derivation:
    """The Hessian matrix of second partial derivatives, and at a point its value and definiteness.

    Examples:
        >>> hessian("x**3 + x*y**2", at="1,2").context["values"]["hessian"]
        Matrix([
        [6, 4],
        [4, 2]])
    """
    expr, symbols = setup(f, variables)
    build = _second_derivative if len(symbols) == 1 else _hessian
    return at_optional_point(build, expr, symbols, at, f_name)


# How a function of one variable curves at a point, by the sign of f″ there.
CURVATURE = {
    "positive definite": "positive: the graph curves upward there (a minimum where f′ = 0)",
    "negative definite": "negative: the graph curves downward there (a maximum where f′ = 0)",
    "positive semidefinite": "zero: the second derivative alone does not say how the graph curves",
}


def _second_derivative(expr, symbols, point, f_name) -> Derivation:
    """The Hessian of a function of one variable written as what it is, the second derivative
    f″: f′(x), then f″(x) and its value, not the 1×1 matrix H = [(6x)] or ∂²f/∂x²."""
    x = symbols[0]
    (first, first_tex), (second, second_tex) = (derivative_name(f_name, k, x) for k in (1, 2))
    names = {first: first_tex, second: second_tex}
    slope = sp.diff(expr, x)
    curve = sp.diff(slope, x)
    remark = f"the Hessian of a function of one variable is its second derivative {f_name}″"
    steps = [
        Step(first, slope, "first_derivative"),
        Step(second, curve, "second_derivative", remark),
    ]
    results = [Step(second, curve, "second_derivative", remark)]
    numbers = [number_row(f_name, expr), number_row(f"second derivative {f_name}″", curve)]
    values: dict[str, Any] = {"matrix": sp.ImmutableMatrix([[curve]]), "symmetric": True}
    curvature = None
    if point is not None:
        at, at_tex = derivative_name(f_name, 2, point[x])
        names[at] = at_tex
        more, number = at_point_steps(second, curve, point, at)
        steps += more
        kind = _definiteness(sp.Matrix([[number]]))
        curvature = f"At the point {f_name}″ is " + CURVATURE[kind].replace("f′", f"{f_name}′")
        results.append(Step(at, show(number), "evaluate_at_point"))
        numbers.append(number_row(f"{f_name}″ at the point", number))
        at_matrix = sp.ImmutableMatrix([[number]])
        values.update(point=(point[x],), hessian=at_matrix, definiteness=kind)
    context = _context("hessian", expr, symbols, f_name, values, numbers)
    context["symbol_names"] |= names
    if curvature:
        context["curvature"] = curvature + "."
    title = f"Hessian of {f_name}({x}): the second derivative {f_name}″"
    return CalculusDerivation(title, (Section(second, tuple(steps)),), tuple(results), context)


def _hessian(expr, symbols, point, f_name) -> Derivation:
    f_symbol = sp.Symbol(f_name)
    n = len(symbols)
    entries = [[sp.S.Zero] * n for _ in range(n)]
    sections = []
    for i, xi in enumerate(symbols):
        first = sp.diff(expr, xi)
        steps = [Step(sp.Derivative(f_symbol, xi, evaluate=False), first, "partial_derivative")]
        for j, xj in enumerate(symbols):
            lhs = sp.Derivative(f_symbol, xi, xj, evaluate=False)
            entries[i][j] = sp.diff(first, xj)
            why = f"differentiate ∂{f_name}/∂{xi} with respect to {xj}"
            steps.append(Step(lhs, entries[i][j], "second_partial", why))
            if point is not None:
                steps += at_point_steps(lhs, entries[i][j], point)[0]
        sections.append(Section(sp.Derivative(f_symbol, xi, evaluate=False), tuple(steps)))
    matrix = sp.ImmutableMatrix(entries)
    h_name = sp.Symbol("H")
    layout = "entry (i, j) is the second partial in variables i then j"
    results = [Step(h_name, matrix, "hessian", layout)]
    numbers = [number_row(f_name, expr), number_row("Hessian", matrix, h_name)]
    values: dict[str, Any] = {"matrix": matrix, "symmetric": matrix == matrix.T}
    if point is not None:
        at_matrix = sp.ImmutableMatrix(n, n, [value(e, point) for e in entries_flat(entries)])
        where = tuple(point.values())
        kind = _definiteness(sp.Matrix(at_matrix))
        results.append(Step(sp.Subs(h_name, symbols, where), at_matrix, "evaluate_at_point", kind))
        numbers += [number_row("Hessian at the point", at_matrix)]
        values.update(point=where, hessian=at_matrix, definiteness=kind)
    context = _context("hessian", expr, symbols, f_name, values, numbers)
    return CalculusDerivation(f"Hessian of {f_name}", tuple(sections), tuple(results), context)


def entries_flat(rows: Sequence[Sequence[sp.Expr]]) -> list[sp.Expr]:
    return [e for row in rows for e in row]


def jacobian_of(
    functions: Sequence[str | sp.Expr],
    variables: Variables = None,
    at: Point = None,
    f_name: str = "f",
) -> Derivation:
    """The Jacobian of a vector-valued function: row i holds the partials of output i.

    Examples:
        >>> jacobian_of(["x*y", "x + y"], at="2,3").context["values"]["jacobian"]
        Matrix([
        [3, 2],
        [1, 1]])
    """
    if isinstance(functions, str) or not functions:
        raise SymnnError("functions: expected a list of expressions, one per output")
    symbols = resolve_variables(list(functions), variables)
    if not symbols:
        raise SymnnError("functions: expected at least one variable, found none")
    exprs = [as_expression(f, symbols) for f in functions]
    point = point_map(symbols, at) if at is not None else None
    if point is None:
        return _jacobian(exprs, symbols, None, f_name)
    for i, expr in enumerate(exprs, start=1):
        defined_value(expr, point, f"{f_name}_{i}")
    with evaluating(sp.Tuple(*exprs), point):
        return _jacobian(exprs, symbols, point, f_name)


def _jacobian(exprs, symbols, point, f_name) -> Derivation:
    rows, sections = [], []
    for i, expr in enumerate(exprs, start=1):
        fi = sp.Symbol(f"{f_name}_{i}")
        steps = [Step(fi, expr, "definition", f"output {i}")]
        row = []
        for x in symbols:
            lhs = sp.Derivative(fi, x, evaluate=False)
            part = partial_steps(expr, x, lhs, symbols)
            steps += part
            row.append(part[-1].rhs)
            if point is not None:
                steps += at_point_steps(lhs, row[-1], point)[0]
        sections.append(Section(fi, tuple(steps)))
        rows.append(row)
    matrix = sp.ImmutableMatrix(rows)
    j_name = sp.Symbol("J")
    layout = "row i: the partials of output i; column j: variable j"
    results = [Step(j_name, matrix, "jacobian", layout)]
    numbers = [number_row("Jacobian", matrix, j_name)]
    values: dict[str, Any] = {"matrix": matrix}
    if point is not None:
        where = tuple(point.values())
        at_matrix = sp.ImmutableMatrix(
            len(rows), len(symbols), [value(e, point) for e in entries_flat(rows)]
        )
        results.append(Step(sp.Subs(j_name, symbols, where), at_matrix, "evaluate_at_point"))
        numbers.append(number_row("Jacobian at the point", at_matrix))
        values.update(point=where, jacobian=at_matrix)
    context = _context("jacobian", sp.Tuple(*exprs), symbols, f_name, values, numbers)
    return CalculusDerivation(
        f"Jacobian of {prose(tuple(map(_reading_order, exprs)))}",
        tuple(sections),
        tuple(results),
        context,
    )


def _reading_order(expr: sp.Expr) -> sp.Expr:
    """A sum or product in the order people write it (x² + y, 3x²y: SymPy's printing order),
    for a title."""
    if expr.is_Mul:
        return sp.Mul(*ordered_factors(expr), evaluate=False)
    if not expr.is_Add:
        return expr
    return sp.Add(*map(_reading_order, expr.as_ordered_terms()), evaluate=False)

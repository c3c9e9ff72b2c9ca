"""The calculus refresher on user expressions: derivative, gradient, directional derivative, linear
prediction of a change. (Taylor, Hessian and Jacobian live in ``symnn.calculus.taylor``.)

Every function takes the expression as text (parsed safely by ``symnn.core.expressions``) or SymPy,
the variables in the order to use (else their order of first appearance in the text), and a point as
text (``"1,1"``) or numbers; decimals are exact (0.01 is 1/100). Each returns a ``Derivation`` whose
steps say which partial is taken, by which rule, and its value at the point; ``context`` carries the
numbers (``context["values"]``) and the rows a template prints (``context["numbers"]``).

Examples:
    >>> d = gradient("x**2 + 4*y**2", at="1,1")
    >>> d.context["values"]["gradient"], d.context["values"]["magnitude"]
    ((2, 8), 2*sqrt(17))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sympy as sp

from symnn.calculus.evaluation import (
    CalculusDerivation,
    Point,
    Variables,
    at_optional_point,
    defined_value,
    name,
    number_row,
    point_map,
    setup,
    show,
    symbol_names,
    tidy,
    value,
)
from symnn.core.errors import SymnnError
from symnn.core.expressions import as_point
from symnn.core.steps import Derivation, Section, Step
from symnn.printing.text import prose, text


def _squares(values: Sequence[sp.Expr]) -> sp.Expr:
    # Unevaluated so the step shows 2² + 8², not SymPy's regrouping of equal terms.
    return sp.Add(
        *(sp.Pow(sp.UnevaluatedExpr(show(v)), 2, evaluate=False) for v in values), evaluate=False
    )


def _rule(term: sp.Expr, x: sp.Symbol) -> tuple[str, str]:
    """The rule that differentiates ``term`` in ``x`` at the top level, with a short note."""
    if not term.has(x):
        return "constant_rule", f"no {x} in the term"
    coefficient, rest = term.as_independent(x, as_Add=False)
    if coefficient != 1:
        return "constant_multiple", f"the factor {prose(coefficient)} stays"
    if rest == x:
        return "power_rule", f"d{x}/d{x} = 1"
    if rest.is_Pow:
        base, exponent = rest.args
        if not exponent.has(x):
            if base == x:
                return "power_rule", f"n·{x}ⁿ⁻¹ with n = {prose(exponent)}"
            return "chain_rule", "power of an inner function: outer derivative × inner derivative"
        if not base.has(x) and exponent == x:
            return "elementary_derivative", "aˣ → aˣ·ln a"
        return "chain_rule", "outer derivative × inner derivative"
    if rest.is_Mul:
        return "product_rule", "(uv)′ = u′v + uv′"
    if isinstance(rest, sp.Function) and len(rest.args) == 1:
        if rest.args[0] == x:
            return "elementary_derivative", f"derivative of {type(rest).__name__.lower()}"
        return "chain_rule", "outer derivative × inner derivative"
    return "chain_rule", "outer derivative × inner derivative"


def partial_steps(expr: sp.Expr, x: sp.Symbol, lhs: sp.Basic, others: Sequence[sp.Symbol]) -> list:
    """The steps of one partial derivative: the sum rule, each term's rule, the result."""
    held = ", ".join(str(v) for v in others if v != x)
    note = f"in {x}" + (f", with {held} held constant" if held else "")
    steps = [Step(lhs, sp.Derivative(expr, x, evaluate=False), "partial_derivative", note)]
    terms = expr.as_ordered_terms() if expr.is_Add else [expr]
    if len(terms) > 1:
        split = sp.Add(*(sp.Derivative(t, x, evaluate=False) for t in terms), evaluate=False)
        steps.append(Step(lhs, split, "sum_rule", "differentiate term by term"))
    for term in terms:
        rule, why = _rule(term, x)
        steps.append(Step(sp.Derivative(term, x, evaluate=False), sp.diff(term, x), rule, why))
        if rule == "constant_multiple":
            _, rest = term.as_independent(x, as_Add=False)
            inner_rule, inner_why = _rule(rest, x)
            inner = sp.Derivative(rest, x, evaluate=False)
            steps.append(Step(inner, sp.diff(rest, x), inner_rule, inner_why))
    steps.append(Step(lhs, sp.diff(expr, x), "result"))
    return steps


def _without_powers_of_one(expr: sp.Expr) -> sp.Expr:
    """A substituted expression with every power of a substituted one dropped (3·e·1² is 3·e),
    rebuilt unevaluated: e¹ + 3·e¹ stays a sum (evaluating it would be the next step)."""
    if not expr.args:
        return expr
    if expr.is_Pow and expr.base == sp.UnevaluatedExpr(sp.S.One):
        return sp.S.One
    args = [_without_powers_of_one(a) for a in expr.args]
    if expr.is_Mul:
        args = [a for a in args if a != 1] or [sp.S.One]
        return args[0] if len(args) == 1 else sp.Mul(*args, evaluate=False)
    if expr.is_Add:
        return sp.Add(*args, evaluate=False)
    return expr.func(*args)


def at_point_steps(lhs: sp.Basic, expr: sp.Expr, at: dict) -> tuple[list, sp.Expr]:
    """Substitute the point into ``expr`` and evaluate: the steps and the exact value."""
    symbols = tuple(at)
    where = sp.Subs(lhs, symbols, tuple(at[s] for s in symbols))
    number = defined_value(expr, at, text(lhs))
    substituted = expr.xreplace({s: sp.UnevaluatedExpr(v) for s, v in at.items()})
    substituted = _without_powers_of_one(substituted)
    steps = []
    if expr.has(*symbols) and substituted != number:
        note = ", ".join(f"{s} = {v}" for s, v in at.items())
        steps.append(Step(where, substituted, "substitute_point", note))
    steps.append(Step(where, show(number), "evaluate_at_point"))
    return steps, number


def _partial_symbol(f_name: str, x: sp.Symbol) -> sp.Derivative:
    return sp.Derivative(sp.Symbol(f_name), x, evaluate=False)


def derivative(
    f: str | sp.Expr, variable: str | None = None, at: Point = None, f_name: str = "f"
) -> Derivation:
    """The derivative of a function of one variable, as an expression and at a point.

    Examples:
        >>> d = derivative("x**3 + 2*x", at=2)
        >>> d.results[0].rhs, d.context["values"]["slope"]
        (3*x**2 + 2, 14)
    """
    expr, symbols = setup(f, variable)
    if len(symbols) != 1:
        raise SymnnError(
            f"expression {f!s}: expected one variable, found {', '.join(map(str, symbols))}; "
            "use gradient for several"
        )
    grad = gradient(expr, symbols, at, f_name)
    values = dict(grad.context["values"])
    lhs = _partial_symbol(f_name, symbols[0])
    results = [Step(lhs, grad.results[0].rhs[0], "result")]
    sections = grad.sections
    if at is not None:
        values["slope"] = values["gradient"][0]
        where = sp.Subs(lhs, symbols, values["point"])
        results.append(Step(where, show(values["slope"]), "evaluate_at_point", "the slope"))
        sections = sections[:1]  # |f'| adds nothing for one variable
        values.pop("magnitude", None)
    numbers = [
        number_row("derivative", results[0].rhs, lhs) if row["label"] == "gradient" else row
        for row in grad.context["numbers"]
        if row["label"] != "magnitude |∇f|"
    ]
    context = {**grad.context, "kind": "derivative", "values": values, "numbers": numbers}
    title = f"Derivative of {f_name}({symbols[0]})"
    return CalculusDerivation(title, sections, tuple(results), context)


def gradient(
    f: str | sp.Expr, variables: Variables = None, at: Point = None, f_name: str = "f"
) -> Derivation:
    """The gradient ∇f (one partial per variable), and at a point its value and magnitude |∇f|.

    Examples:
        >>> gradient("x**2 + 3*x*y + y**2", at="1,1").context["values"]["gradient"]
        (5, 5)
    """
    expr, symbols = setup(f, variables)
    return at_optional_point(_gradient, expr, symbols, at, f_name)


def _gradient(expr: sp.Expr, symbols: tuple, point: dict | None, f_name: str) -> Derivation:
    partials, sections, numbers = [], [], [number_row(f"{f_name}", expr)]
    values: dict[str, Any] = {}
    for x in symbols:
        lhs = _partial_symbol(f_name, x)
        steps = partial_steps(expr, x, lhs, symbols)
        partials.append(steps[-1].rhs)
        if point is not None:
            more, _ = at_point_steps(lhs, partials[-1], point)
            steps += more
        sections.append(Section(lhs, tuple(steps)))
    grad = sp.Tuple(*partials)
    results = [Step(name("∇f"), grad, "gradient")]
    numbers.append(number_row("gradient", grad, name("∇f")))
    if point is not None:
        at_values = tuple(value(p, point) for p in partials)
        magnitude = sp.sqrt(sum(v**2 for v in at_values))
        magnitude_simplified = tidy(magnitude)
        where = tuple(point.values())
        grad_at = sp.Subs(name("∇f"), symbols, where)
        mag_at = sp.Subs(name("|∇f|"), symbols, where)
        mag_steps = [
            Step(name("|∇f|"), sp.sqrt(sp.Add(*(p**2 for p in partials))), "magnitude"),
            Step(mag_at, sp.sqrt(_squares(at_values), evaluate=False), "substitute_point"),
        ]
        total = tidy(sum(v**2 for v in at_values))
        if sp.sqrt(total, evaluate=False) != magnitude_simplified:
            mag_steps.append(Step(mag_at, sp.sqrt(total, evaluate=False), "evaluate_at_point"))
        mag_steps.append(Step(mag_at, magnitude_simplified, "evaluate_at_point"))
        sections.append(Section(name("|∇f|"), tuple(mag_steps)))
        results += [
            Step(grad_at, sp.Tuple(*map(show, at_values)), "evaluate_at_point"),
            Step(sp.Subs(name("|∇f|"), symbols, where), magnitude_simplified, "magnitude"),
        ]
        numbers += [
            number_row(f"∂{f_name}/∂{x}", v) for x, v in zip(symbols, at_values, strict=True)
        ]
        numbers.append(number_row("magnitude |∇f|", magnitude_simplified))
        values.update(
            point=where,
            value=value(expr, point),
            gradient=at_values,
            magnitude=magnitude_simplified,
        )
    context = _context("gradient", expr, symbols, f_name, values, numbers)
    title = f"Gradient of {f_name}({', '.join(map(str, symbols))})"
    return CalculusDerivation(title, tuple(sections), tuple(results), context)


def _context(kind, expr, symbols, f_name, values, numbers) -> dict[str, Any]:
    return {
        "kind": kind,
        "function": expr,
        "f_name": f_name,
        "variables": tuple(symbols),
        "values": values,
        "numbers": numbers,
        "symbol_names": symbol_names(),
    }


def directional_derivative(
    f: str | sp.Expr, direction: Point, at: Point, variables: Variables = None, f_name: str = "f"
) -> Derivation:
    """D_u f = ∇f·u along the direction d normalised to the unit vector u = d/|d|.

    Examples:
        >>> d = directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1")
        >>> d.context["values"]["directional"]
        5*sqrt(2)
    """
    grad = gradient(f, variables, at, f_name)
    expr, symbols = grad.context["function"], grad.context["variables"]
    d = as_point(direction, len(symbols), "direction")
    length = sp.sqrt(sum(c**2 for c in d))
    if length == 0:
        raise SymnnError("direction: expected a non-zero vector, found all zeros")
    u = tuple(sp.radsimp(c / length) for c in d)
    at_grad = grad.context["values"]["gradient"]
    partials = grad.results[0].rhs
    expr_dir = tidy(sum(p * c for p, c in zip(partials, u, strict=True)))
    result = tidy(sum(g * c for g, c in zip(at_grad, u, strict=True)))
    where = tuple(grad.context["values"]["point"])
    note = "the direction is normalised to unit length, so Dᵤf is the slope per unit distance"
    steps = [
        Step(name("d"), sp.Tuple(*d), "definition", "the direction as given"),
        Step(name("|d|"), tidy(length), "magnitude"),
        Step(name("u"), sp.Tuple(*u), "normalise", note),
        Step(name("D_u f"), expr_dir, "directional_derivative", "∇f · u"),
        Step(
            sp.Subs(name("D_u f"), symbols, where),
            sp.Add(*(sp.UnevaluatedExpr(g) * c for g, c in zip(at_grad, u, strict=True))),
            "substitute_point",
        ),
        Step(sp.Subs(name("D_u f"), symbols, where), result, "evaluate_at_point"),
    ]
    sections = (*grad.sections, Section(name("D_u f"), tuple(steps)))
    results = (*grad.results, Step(sp.Subs(name("D_u f"), symbols, where), result, "result"))
    numbers = [
        *grad.context["numbers"],
        number_row("unit direction u", sp.Tuple(*u)),
        number_row("directional derivative", result),
    ]
    values = {**grad.context["values"], "unit": u, "directional": result}
    context = _context("directional", expr, symbols, f_name, values, numbers)
    title = f"Directional derivative of {f_name} along {prose(tuple(d))}"
    return CalculusDerivation(title, sections, results, context)


def linear_approximation(
    f: str | sp.Expr, at: Point, step: Point, variables: Variables = None, f_name: str = "f"
) -> Derivation:
    """The first-order prediction Δf ≈ ∇f·Δx of a small move, against the exact change.

    Examples:
        >>> d = linear_approximation("x**2 + 4*y**2", "1,1", "0.01,0.005")
        >>> d.context["values"]["linear_change"], d.context["values"]["exact_change"]
        (3/50, 301/5000)
    """
    grad = gradient(f, variables, at, f_name)
    expr, symbols = grad.context["function"], grad.context["variables"]
    point = point_map(symbols, at)
    delta = as_point(step, len(symbols), "step")
    moved = {s: point[s] + h for s, h in zip(symbols, delta, strict=True)}
    at_grad = grad.context["values"]["gradient"]
    f_at = value(expr, point)
    f_moved = defined_value(expr, moved, f"{f_name} at the moved point")
    linear = tidy(sum(g * h for g, h in zip(at_grad, delta, strict=True)))
    exact = tidy(f_moved - f_at)
    error = tidy(exact - linear)
    predicted = f_at + linear
    fa = sp.Function(f_name)(*point.values())
    fm = sp.Function(f_name)(*map(show, moved.values()))
    products = [
        sp.Mul(sp.UnevaluatedExpr(show(g)), sp.UnevaluatedExpr(show(h)), evaluate=False)
        for g, h in zip(at_grad, delta, strict=True)
    ]
    steps = [
        Step(name("Δx"), sp.Tuple(*map(show, delta)), "definition", "the small move"),
        Step(name("Δf_linear"), sp.Add(*products, evaluate=False), "linear_approximation"),
        Step(name("Δf_linear"), show(linear), "evaluate_at_point"),
        Step(name("f_linear"), sp.Add(show(f_at), show(linear), evaluate=False), "tangent"),
        Step(name("f_linear"), show(predicted), "evaluate_at_point"),
        Step(fa, show(f_at), "evaluate_at_point"),
        Step(fm, show(f_moved), "evaluate_at_point"),
        Step(name("Δf_exact"), show(exact), "exact_change", f"{f_name}(a + Δx) − {f_name}(a)"),
        Step(name("error"), show(error), "approximation_error", "exact − linear"),
    ]
    results = (
        *grad.results,
        Step(name("Δf_linear"), show(linear), "linear_approximation"),
        Step(name("Δf_exact"), show(exact), "exact_change"),
    )
    numbers = [
        *grad.context["numbers"],
        number_row(f"{f_name} at the point", f_at),
        number_row("linear prediction of the change", linear),
        number_row("exact change", exact),
        number_row("predicted value (tangent)", predicted),
        number_row("exact value", f_moved),
        number_row("error of the linear prediction", error),
    ]
    values = {
        **grad.context["values"],
        "step": delta,
        "value": f_at,
        "linear_change": linear,
        "exact_change": exact,
        "predicted": predicted,
        "exact_value": f_moved,
        "error": error,
    }
    context = _context("linear", expr, symbols, f_name, values, numbers)
    sections = (*grad.sections, Section(name("Δf_linear"), tuple(steps)))
    return CalculusDerivation(
        f"Linear prediction of a change in {f_name}", sections, results, context
    )

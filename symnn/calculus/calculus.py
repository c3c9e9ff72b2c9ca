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
from dataclasses import replace
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
from symnn.calculus.worked import Over, ordinary, stages
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


def _power_of_sum(term: sp.Expr, x: sp.Symbol) -> tuple | None:
    """``(c, u, n)`` when ``term`` is c·uⁿ with u a sum in x and n, c free of x, else None."""
    coefficient, rest = term.as_independent(x, as_Add=False)
    if rest.is_Pow and rest.base.is_Add and not rest.exp.has(x):
        return coefficient, rest.base, rest.exp
    return None


def kept_form(term: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """d/dx of one term, in the form a person writes it: c·uⁿ (u a sum) gives (c·n·u′)·uⁿ⁻¹
    with the sum kept, 2(x − 3) and not −6 + 2x, which SymPy's product would expand.

    Examples:
        >>> x = sp.Symbol("x")
        >>> kept_form((x - 3)**2, x), kept_form(2*(x + 1)**3, x)
        (2*(x - 3), 6*(x + 1)**2)
    """
    found = _power_of_sum(term, x)
    if found is None:
        return sp.diff(term, x)
    c, u, n = found
    inner = sp.diff(u, x)
    factor = c * n * inner
    power = u if n - 1 == 1 else sp.Pow(u, n - 1, evaluate=False)
    if n - 1 == 0:
        return factor
    if not factor.has(x) and factor != 1:
        return sp.Mul(factor, power, evaluate=False)
    return factor * power


def _kept_sum(parts: list[sp.Expr]) -> sp.Expr:
    parts = [q for q in parts if q != 0]
    if not parts:
        return sp.S.Zero
    return sp.Add(*parts, evaluate=False) if len(parts) > 1 else parts[0]


def kept_partial(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """∂expr/∂x term by term in the user's form ((x − 3)² + 2(y + 1)² gives 2(x − 3)).

    Examples:
        >>> x, y = sp.symbols("x y")
        >>> kept_partial((x - 3)**2 + 2*(y + 1)**2, y)
        4*(y + 1)
    """
    terms = expr.as_ordered_terms() if expr.is_Add else [expr]
    return _kept_sum([kept_form(t, x) for t in terms])


def partial_steps(expr: sp.Expr, x: sp.Symbol, lhs: sp.Basic, others: Sequence[sp.Symbol]) -> list:
    """The steps of one partial derivative: the sum rule, each term's rule (what a rule uses is
    derived before it: d(y²)/dy = 2y before d(4y²)/dy = 8y), the result in the user's form."""
    held = ", ".join(str(v) for v in others if v != x)
    note = f"in {x}" + (f", with {held} held constant" if held else "")
    steps = [Step(lhs, sp.Derivative(expr, x, evaluate=False), "partial_derivative", note)]
    terms = expr.as_ordered_terms() if expr.is_Add else [expr]
    if len(terms) > 1:
        split = sp.Add(*(sp.Derivative(t, x, evaluate=False) for t in terms), evaluate=False)
        steps.append(Step(lhs, split, "sum_rule", "differentiate term by term"))
    parts = []
    for term in terms:
        rule, why = _rule(term, x)
        found = _power_of_sum(term, x) if term.has(x) else None
        if found is not None:
            c, u, n = found
            steps.append(Step(sp.Derivative(u, x, evaluate=False), sp.diff(u, x), "sum_rule",
                              "the inner function's derivative"))  # fmt: skip
            rule, why = (
                "chain_rule",
                (
                    f"outer derivative {prose(n)}·u^{prose(n - 1)} with u = {sp.sstr(u)}, "
                    f"times the inner derivative {sp.sstr(sp.diff(u, x))}"
                    + (f", times the factor {prose(c)}" if c != 1 else "")
                ),
            )
        elif rule == "constant_multiple":
            _, rest = term.as_independent(x, as_Add=False)
            inner_rule, inner_why = _rule(rest, x)
            inner = sp.Derivative(rest, x, evaluate=False)
            steps.append(Step(inner, sp.diff(rest, x), inner_rule, inner_why))
        parts.append(kept_form(term, x))
        steps.append(Step(sp.Derivative(term, x, evaluate=False), parts[-1], rule, why))
    steps.append(Step(lhs, _kept_sum(parts), "result"))
    return steps


def at_point_steps(
    lhs: sp.Basic, expr: sp.Expr, at: dict, where: sp.Basic | None = None
) -> tuple[list, sp.Expr]:
    """Substitute the point into ``expr`` and evaluate in stages: the steps and the exact value
    (2(0.6 − 3) = 2·(−2.4) = −4.8). ``where`` names the value (default: lhs at the point)."""
    symbols = tuple(at)
    if where is None:
        where = sp.Subs(lhs, symbols, tuple(show(at[s]) for s in symbols))
    number = defined_value(expr, at, text(lhs))
    steps = []
    if expr.has(*symbols):
        shown = stages(expr, at)
        steps.append(Step(where, shown[0], "substitute_point", where_text(at)))
        steps += [Step(where, stage, "evaluate_at_point") for stage in shown[1:-1]]
    steps.append(Step(where, show(number), "evaluate_at_point"))
    return changing(steps), number


def changing(steps: list[Step]) -> list[Step]:
    """The steps without any that repeats the line above it: x at x = 1 is 1, said once."""
    kept = steps[:1]
    for st in steps[1:]:
        if st.lhs != kept[-1].lhs or text(st.rhs) != text(kept[-1].rhs):
            kept.append(st)
    return kept


def _partial_symbol(f_name: str, x: sp.Symbol) -> sp.Derivative:
    return sp.Derivative(sp.Symbol(f_name), x, evaluate=False)


def _ordinary_steps(steps) -> tuple:
    """Steps with every ∂ written d (a function of one variable holds nothing fixed)."""
    return tuple(
        replace(
            s,
            lhs=ordinary(s.lhs),
            rhs=ordinary(s.rhs),
            rule="derivative" if s.rule == "partial_derivative" else s.rule,
        )
        for s in steps
    )


def _one_variable(sections, results, x: sp.Symbol, f_name: str) -> tuple[tuple, tuple]:
    """A one-variable derivation: d/dx throughout, and no |∇f| (for one variable it is |f′|,
    which says nothing the slope does not)."""
    kept = [sec for sec in sections if sec.subject != name("|∇f|")]
    sections = tuple(Section(ordinary(sec.subject), _ordinary_steps(sec.steps)) for sec in kept)
    one = []
    for r in results:
        if r.lhs.has(name("|∇f|")):
            continue
        if r.lhs.has(name("∇f")):  # ∇f = (f′) is the derivative itself
            f = _partial_symbol(f_name, x)
            lhs = sp.Subs(f, r.lhs.variables, r.lhs.point) if isinstance(r.lhs, sp.Subs) else f
            r = replace(r, lhs=lhs, rhs=r.rhs[0])
        one.append(r)
    return sections, _ordinary_steps(one)


def _one_move(st: Step) -> Step:
    """A step of a one-variable linear prediction: the move a plain number (not "(0.01)"), the
    prediction f′(a)·Δx and the tangent line (there is no gradient or plane to speak of)."""
    if st.lhs == name("Δx") and isinstance(st.rhs, sp.Tuple):
        return replace(st, rhs=st.rhs[0])
    renamed = {"linear_approximation": "linear_approximation_1d", "tangent": "tangent_line"}
    return replace(st, rule=renamed.get(st.rule, st.rule))


# One variable: the move is a number Δx (not the bold vector Δ𝐱), and the error's leading part
# is ½ f″(a) Δx² (the Hessian of one variable is f″). Same letters in text, own LaTeX names.
ONE_MOVE = sp.Symbol("Δx", real=True)


def _second_order_name(f_name: str) -> str:
    return f"½{f_name}″(a)Δx²"


def _one_variable_second_order(sections, context: dict, f_name: str) -> tuple[tuple, dict]:
    """A one-variable linear prediction's move and second-order term in its own notation."""
    second = name(_second_order_name(f_name))
    renamed = {name("Δx"): ONE_MOVE, name("½ΔxᵀHΔx"): second}
    notes = {"the error's leading part, from the Hessian": (
        f"the error's leading part, from the second derivative {f_name}″"
    )}  # fmt: skip
    sections = tuple(
        Section(sec.subject, tuple(
            replace(st, lhs=renamed.get(st.lhs, st.lhs), note=notes.get(st.note, st.note))
            for st in sec.steps
        ))
        for sec in sections
    )  # fmt: skip
    latex = {ONE_MOVE: r"\Delta x", second: rf"\tfrac{{1}}{{2}} {f_name}''(a) \, \Delta x^{{2}}"}
    return sections, {**context, "symbol_names": {**context["symbol_names"], **latex}}


def tangent_line(x: sp.Symbol, a: sp.Expr, fa: sp.Expr, slope: sp.Expr) -> sp.Expr:
    """y = f(a) + f′(a)(x − a) as written: 12 + 14(x − 2)."""
    move = sp.Add(x, -show(a), evaluate=False) if a != 0 else x
    rise = move if slope == 1 else sp.Mul(show(slope), move, evaluate=False)
    return sp.Add(sp.UnevaluatedExpr(show(fa)), rise, evaluate=False) if fa != 0 else rise


def derivative(
    f: str | sp.Expr, variable: str | None = None, at: Point = None, f_name: str = "f"
) -> Derivation:
    """The derivative of a function of one variable, as an expression and at a point, with the
    tangent line there.

    Examples:
        >>> d = derivative("x**3 + 2*x", at=2)
        >>> sp.expand(d.results[0].rhs), d.context["values"]["slope"]
        (3*x**2 + 2, 14)
        >>> d.context["values"]["tangent"]
        14*x - 16
    """
    expr, symbols = setup(f, variable)
    if len(symbols) != 1:
        raise SymnnError(
            f"expression {f!s}: expected one variable, found {', '.join(map(str, symbols))}; "
            "use gradient for several"
        )
    grad = _all_partials(expr, symbols, at, f_name)
    values = dict(grad.context["values"])
    lhs = _partial_symbol(f_name, symbols[0])
    results = [Step(lhs, grad.results[0].rhs[0], "result")]
    sections, _ = _one_variable(grad.sections, (), symbols[0], f_name)
    if at is not None:
        x, a = symbols[0], values["point"][0]
        values["slope"] = values["gradient"][0]
        values.pop("magnitude", None)
        where = sp.Subs(lhs, symbols, (show(a),))
        results.append(Step(where, show(values["slope"]), "evaluate_at_point", "the slope"))
        line = tangent_line(x, a, values["value"], values["slope"])
        values["tangent"] = tidy(values["value"] + values["slope"] * (x - a))
        y = sp.Symbol("y")
        note = f"y = {f_name}(a) + {f_name}′(a)(x − a) at a = {where_text({x: a}).split(' = ')[1]}"
        sections += (Section(y, (Step(y, line, "tangent_line", note),)),)
        results.append(Step(y, line, "tangent_line"))
    labels = {f"∂{f_name}/∂{symbols[0]}": f"slope d{f_name}/d{symbols[0]} at the point"}
    numbers = [
        number_row("derivative", ordinary(results[0].rhs), ordinary(lhs))
        if row["label"] == "gradient"
        else {**row, "label": labels.get(row["label"], row["label"])}
        for row in grad.context["numbers"]
        if row["label"] != "magnitude |∇f|"
    ]
    if at is not None:
        numbers.append(number_row("tangent line y", values["tangent"]))
    context = {**grad.context, "kind": "derivative", "values": values, "numbers": numbers}
    title = f"Derivative of {f_name}({symbols[0]})"
    results = _ordinary_steps(results)
    return CalculusDerivation(title, sections, results, context)


def gradient(
    f: str | sp.Expr, variables: Variables = None, at: Point = None, f_name: str = "f"
) -> Derivation:
    """The gradient ∇f (one partial per variable), and at a point its value and magnitude |∇f|.

    Examples:
        >>> gradient("x**2 + 3*x*y + y**2", at="1,1").context["values"]["gradient"]
        (5, 5)
    """
    grad = _all_partials(f, variables, at, f_name)
    symbols = grad.context["variables"]
    return _one_variable_gradient(grad) if len(symbols) == 1 else grad


def _all_partials(f, variables: Variables, at: Point, f_name: str) -> Derivation:
    """The gradient as a vector of partials, whatever the number of variables (what the
    derivative, the directional derivative and the linear prediction are built from)."""
    expr, symbols = setup(f, variables)
    return at_optional_point(_gradient, expr, symbols, at, f_name)


ONE_VARIABLE = "for one variable the gradient is the derivative f′ (one slope, no length)"


def _one_variable_gradient(grad: Derivation) -> Derivation:
    """The gradient of a function of one variable, written as what it is: the derivative f′(a),
    with d/dx, and no |∇f| (the length of a 1-vector is |f′|, which says nothing the slope does
    not) and no vector brackets."""
    ctx = grad.context
    x, f_name = ctx["variables"][0], ctx["f_name"]
    sections, results = _one_variable(grad.sections, grad.results, x, f_name)
    remark = ONE_VARIABLE.replace("f′", f"{f_name}′")
    sections = tuple(
        Section(sec.subject, tuple(
            replace(st, note=f"{st.note}; {remark}" if st.note else remark)
            if st.rule == "result" else st
            for st in sec.steps
        ))
        for sec in sections
    )  # fmt: skip
    labels = {
        "gradient": f"derivative {f_name}′",
        f"∂{f_name}/∂{x}": f"slope {f_name}′ at the point",
    }
    numbers = [
        {**row, "exact": row["exact"][0] if row["label"] == "gradient" else row["exact"],
         "label": labels.get(row["label"], row["label"])}
        for row in ctx["numbers"]
        if row["label"] != "magnitude |∇f|"
    ]  # fmt: skip
    return CalculusDerivation(grad.title, sections, results, {**ctx, "numbers": numbers})


def value_section(expr: sp.Expr, point: dict, f_name: str) -> Section:
    """f at the point, the arithmetic shown: f(0.6, −0.4) = (0.6 − 3)² + 2(−0.4 + 1)²
    = (−2.4)² + 2(0.6)² = 5.76 + 0.72 = 6.48."""
    at = sp.Function(f_name)(*(show(v) for v in point.values()))
    shown = stages(expr, point)
    steps = [Step(at, shown[0], "substitute_point", where_text(point))]
    steps += [Step(at, stage, "evaluate_at_point") for stage in shown[1:]]
    return Section(at, tuple(changing(steps)))


def where_text(point: dict) -> str:
    """The point in words, decimals as written: x = 0.6, y = −0.4."""

    return ", ".join(f"{s} = {number_text(v)}" for s, v in point.items())


def number_text(v: sp.Expr) -> str:
    """A number of a point as the user wrote it: 0.6, −1, 1/3."""
    shown = show(v)
    return f"{float(shown):.15g}" if isinstance(shown, sp.Float) else sp.sstr(shown)


def _gradient(expr: sp.Expr, symbols: tuple, point: dict | None, f_name: str) -> Derivation:
    partials, sections, numbers = [], [], [number_row(f"{f_name}", expr)]
    values: dict[str, Any] = {}
    if point is not None:  # the value first: the given, then what is derived from it
        sections.append(value_section(expr, point, f_name))
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
        shown = tuple(map(show, where))  # the label as the user gave the point (0.5, not 1/2)
        grad_at = sp.Subs(name("∇f"), symbols, shown)
        mag_at = sp.Subs(name("|∇f|"), symbols, shown)
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
            Step(mag_at, magnitude_simplified, "magnitude"),
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
    grad = _all_partials(f, variables, at, f_name)
    expr, symbols = grad.context["function"], grad.context["variables"]
    d = as_point(direction, len(symbols), "direction")
    length = sp.sqrt(sum(c**2 for c in d))
    if length == 0:
        raise SymnnError("direction: expected a non-zero vector, found all zeros")
    if len(symbols) == 1:  # a line has two directions: the slope f′(a) and its negative
        raise SymnnError(
            f"directional: {f_name} has one variable ({symbols[0]}), so its only directions are "
            f"+{symbols[0]} and -{symbols[0]}, along which the slope is ±{f_name}′(a); "
            "use derivative (or add a variable with --vars)"
        )
    u = tuple(sp.radsimp(c / length) for c in d)
    at_grad = grad.context["values"]["gradient"]
    partials = grad.results[0].rhs
    expr_dir = tidy(sum(p.doit() * c for p, c in zip(partials, u, strict=True)))
    result = tidy(sum(g * c for g, c in zip(at_grad, u, strict=True)))
    where = tuple(grad.context["values"]["point"])
    note = "the direction is normalised to unit length, so Dᵤf is the slope per unit distance"
    size = tidy(length)
    # u as written, d/|d| (1/√2, not √2/2), and Dᵤf as the sum of its products, 5/√2 + 5/√2
    u_shown = sp.Tuple(*(Over(show(c), size) if size != 1 else show(c) for c in d))
    products = [
        sp.Mul(sp.UnevaluatedExpr(show(g)), sp.UnevaluatedExpr(c), evaluate=False)
        for g, c in zip(at_grad, u_shown, strict=True)
    ]
    quotients = [
        Over(show(g * c), size) if size != 1 else show(g * c)
        for g, c in zip(at_grad, d, strict=True)
    ]
    at_dir = sp.Subs(name("D_u f"), symbols, tuple(map(show, where)))
    steps = [
        Step(name("d"), sp.Tuple(*d), "definition", "the direction as given"),
        Step(name("|d|"), sp.sqrt(_squares(d), evaluate=False), "magnitude"),
        Step(name("|d|"), size, "evaluate_at_point"),
        Step(name("u"), u_shown, "normalise", note),
        Step(name("D_u f"), expr_dir, "directional_derivative", "∇f · u"),
        Step(at_dir, sp.Add(*products, evaluate=False), "substitute_point"),
    ]
    if len(d) > 1 and size != 1:
        steps.append(Step(at_dir, sp.Add(*quotients, evaluate=False), "evaluate_at_point"))
    steps.append(Step(at_dir, result, "evaluate_at_point"))
    # Against the true change: a step h along u changes f by about h·Dᵤf.
    h = sp.Rational(1, 100)
    point = dict(zip(symbols, where, strict=True))
    moved = {s: point[s] + h * c for s, c in zip(symbols, u, strict=True)}
    f_moved = defined_value(expr, moved, f"{f_name} moved along u")
    true_change = tidy(f_moved - value(expr, point))
    predicted = tidy(h * result)
    check_error = tidy(true_change - predicted)
    steps += [
        Step(name("h"), show(h), "definition", "a short step along u, to check Dᵤf"),
        Step(name("h·D_u f"), sp.Float(f"{float(predicted):.10g}", 15), "linear_approximation",
             "the predicted change, to 10 digits"),
        Step(name("Δf_exact"), sp.Float(f"{float(true_change):.10g}", 15), "exact_change",
             "f(a + h u) − f(a), to 10 digits"),
        Step(name("error"), sp.Float(f"{float(check_error):.4g}", 15), "approximation_error",
             "exact − predicted: second order in h"),
    ]  # fmt: skip
    sections = (*grad.sections, Section(name("D_u f"), tuple(steps)))
    results = (*grad.results, Step(at_dir, result, "result"))
    numbers = [
        *grad.context["numbers"],
        number_row("unit direction u", sp.Tuple(*u)),
        number_row("directional derivative", result),
    ]
    numbers += [
        number_row("change along u for h = 0.01, predicted h·Dᵤf", predicted),
        number_row("change along u for h = 0.01, exact", true_change),
    ]
    values = {
        **grad.context["values"],
        "unit": u,
        "directional": result,
        "check_step": h,
        "check_predicted": predicted,
        "check_exact": true_change,
        "check_error": check_error,
    }
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
    grad = _all_partials(f, variables, at, f_name)
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
        *(Step(fm, stage, "evaluate_at_point") for stage in stages(expr, moved)),
        Step(name("Δf_exact"), show(exact), "exact_change", f"{f_name}(a + Δx) − {f_name}(a)"),
        Step(name("error"), show(error), "approximation_error", "exact − linear"),
    ]
    # The error's leading part is the next Taylor term, ½ ΔxᵀHΔx: halve the move, quarter it.
    hess = sp.hessian(expr, symbols)
    second = defined_value(
        sp.Rational(1, 2)
        * sum(
            hess[i, j] * delta[i] * delta[j]
            for i in range(len(symbols))
            for j in range(len(symbols))
        ),
        point,
        "the second-order term",
    )
    steps.append(
        Step(
            name("½ΔxᵀHΔx"),
            show(second),
            "second_order",
            "the error's leading part, from the Hessian",
        )
    )
    if exact != 0:
        relative = sp.Float(f"{float(error / exact):.4g}", 15)
        steps.append(Step(name("relative error"), relative, "approximation_error",
                          "error / exact change, to 4 digits"))  # fmt: skip
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
    numbers.append(number_row("second-order term ½ΔxᵀHΔx", second))
    values = {
        **grad.context["values"],
        "second_order": second,
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
    if len(symbols) == 1:  # a tangent line, d/dx, f′ and f″, no |∇f|, no Hessian
        sections, results = _one_variable(sections, results, symbols[0], f_name)
        sections = tuple(Section(sec.subject, tuple(map(_one_move, sec.steps))) for sec in sections)
        results = tuple(map(_one_move, results))
        sections, context = _one_variable_second_order(sections, context, f_name)
        derivative_rows = _one_variable_gradient(grad).context["numbers"]
        labels = {
            "predicted value (tangent)": "predicted value (tangent line)",
            "second-order term ½ΔxᵀHΔx": f"second-order term {_second_order_name(f_name)}",
        }
        context["numbers"] = derivative_rows + [
            {**row, "label": labels.get(row["label"], row["label"])}
            for row in numbers[len(grad.context["numbers"]) :]
        ]
    return CalculusDerivation(
        f"Linear prediction of a change in {f_name}", sections, results, context
    )

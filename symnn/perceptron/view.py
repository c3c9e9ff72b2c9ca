"""The perceptron as recorded steps: the dot product and its angle view, and a training run.

Examples:
    >>> d = dot_product([1, 1], [2, 0], bias=-1)
    >>> d.context["values"]["dot"], d.context["values"]["cos"], d.context["values"]["alignment"]
    (2, sqrt(2)/2, 'aligned')
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.calculus.evaluation import CalculusDerivation, number_row, show, tidy
from symnn.calculus.worked import Over, worked_sum
from symnn.core.errors import SymnnError
from symnn.core.expressions import as_point
from symnn.core.steps import Derivation, Section, Step
from symnn.perceptron.run import CONVENTIONS, PerceptronRun, hyperplane, step, weighted_sum

LATEX_NAMES = {
    "w·x": r"\mathbf{w} \cdot \mathbf{x}",
    "|w|": r"\lVert \mathbf{w} \rVert",
    "|x|": r"\lVert \mathbf{x} \rVert",
    "cos θ": r"\cos \theta",
    "θ": r"\theta",
    "θ*": r"\theta^{*}",
    "cos θ*": r"\cos \theta^{*}",
    "d₀": r"d_{0}",
    "d(x)": r"d(\mathbf{x})",
    "b": "b",
    "given": r"\text{given}",
    "bias": r"\text{the bias and the angle}",
    "boundary": r"\text{the boundary } \mathbf{w} \cdot \mathbf{x} + b = 0",
    "ŷ": r"\hat{y}",
    "∠ before": r"\angle(\mathbf{w}, \mathbf{x})_{\text{before}}",
    "∠ after": r"\angle(\mathbf{w}, \mathbf{x})_{\text{after}}",
    "w": r"\mathbf{w}",
    "x": r"\mathbf{x}",
}


def symbol_names() -> dict[sp.Symbol, str]:
    """LaTeX names of the display symbols used here."""
    return {sp.Symbol(k): v for k, v in LATEX_NAMES.items()}


def _sym(value: Any) -> sp.Expr:
    if isinstance(value, Fraction):
        return show(sp.Rational(value.numerator, value.denominator))
    if isinstance(value, float):
        return sp.Float(float(f"{value:.10g}"), 15)
    return show(sp.sympify(value))


def _sum_of_products(w: Sequence[sp.Expr], x: Sequence[sp.Expr], b: sp.Expr | None = None):
    terms = [
        sp.Mul(sp.UnevaluatedExpr(wi), sp.UnevaluatedExpr(xi), evaluate=False)
        for wi, xi in zip(w, x, strict=True)
    ]
    if b is not None:
        terms.append(b)
    return sp.Add(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def _squares(values: Sequence[sp.Expr]) -> sp.Expr:
    return sp.sqrt(
        sp.Add(*(sp.Pow(sp.UnevaluatedExpr(v), 2, evaluate=False) for v in values), evaluate=False),
        evaluate=False,
    )


def _degrees(cos: sp.Expr) -> sp.Expr:
    """acos in degrees: exact when it is a whole number of degrees, else to 0.01°."""
    exact = sp.nsimplify(sp.acos(cos) * 180 / sp.pi)
    return exact if exact.is_Rational else sp.Float(round(float(exact), 2), 15)


def dot_product(weights: Any, point: Any, bias: Any = 0, fires: str = "ge") -> Derivation:
    """w·x + b with the angle view: cos θ = w·x / (|w| |x|), positive exactly when aligned; the
    bias moves the angle at which the neuron starts to fire, and the boundary w·x + b = 0 is the
    line (hyperplane) normal to w at distance −b/|w| from the origin.

    Examples:
        >>> dot_product("1,-1", "1,1").context["values"]["alignment"]
        'orthogonal'
    """
    w, x = as_point(weights, what="weights"), as_point(point, what="point")
    if len(w) != len(x):
        raise SymnnError(f"weights and point: expected the same length, found {len(w)}, {len(x)}")
    b = as_point(bias, 1, "bias")[0]
    w_shown, x_shown = [show(c) for c in w], [show(c) for c in x]
    products = [wi * xi for wi, xi in zip(w, x, strict=True)]
    dot = tidy(sum(products))
    norm_w = sp.sqrt(sum(c**2 for c in w))
    norm_x = sp.sqrt(sum(c**2 for c in x))
    S = sp.Symbol
    given = Section(
        S("given"),
        (
            Step(S("w"), sp.Tuple(*w_shown), "definition", "the weights"),
            Step(S("x"), sp.Tuple(*x_shown), "definition", "the input"),
            Step(S("b"), show(b), "definition", "the bias"),
        ),
    )
    steps = [
        Step(S("w·x"), _sum_of_products(w_shown, x_shown), "dot_product", "multiply, add"),
    ]
    if len(products) > 1:
        steps.append(Step(S("w·x"), worked_sum(products), "evaluate_at_point"))
    steps += [
        Step(S("w·x"), show(dot), "evaluate_at_point"),
        Step(S("|w|"), _squares(w_shown), "magnitude"),
        Step(S("|w|"), norm_w, "evaluate_at_point"),
        Step(S("|x|"), _squares(x_shown), "magnitude"),
        Step(S("|x|"), norm_x, "evaluate_at_point"),
    ]
    sections = [given, Section(S("w·x"), tuple(steps))]
    values: dict[str, Any] = {"dot": dot, "norm_w": norm_w, "norm_x": norm_x}
    z = dot + b
    if norm_w == 0 or norm_x == 0:
        values.update(cos=None, angle=None, alignment="undefined (a zero vector has no direction)")
    else:
        cos = sp.radsimp(dot / (norm_w * norm_x))
        degrees = _degrees(cos)
        alignment = "aligned" if dot > 0 else "opposed" if dot < 0 else "orthogonal"
        why = {
            "aligned": "θ < 90°: w and x point the same way, so w·x > 0",
            "opposed": "θ > 90°: w and x point apart, so w·x < 0",
            "orthogonal": "θ = 90°: w·x = 0, x lies along the boundary's direction",
        }[alignment]
        angle = [
            Step(
                S("cos θ"),
                Over(show(dot), sp.Mul(norm_w, norm_x, evaluate=False)),
                "angle",
            ),
            Step(S("cos θ"), cos, "evaluate_at_point"),
            Step(S("θ"), degrees, "angle", f"in degrees; {why}"),
        ]
        sections.append(Section(S("θ"), tuple(angle)))
        values.update(cos=cos, angle=degrees, alignment=alignment)
        sections.append(Section(S("bias"), tuple(_bias_steps(b, norm_w, norm_x, cos, values))))
    fired = step(z, fires)
    decide = [
        Step(
            S("z"),
            worked_sum([dot, b]) if b else show(dot),
            "dot_product",
            "z = w·x + b",
        ),
        Step(S("z"), show(z), "evaluate_at_point"),
        Step(S("ŷ"), sp.Integer(fired), "step_activation", f"fires when {CONVENTIONS[fires]}"),
    ]
    sections.append(Section(S("z"), tuple(decide)))
    values.update(z=z, y_hat=fired)
    if norm_w != 0:
        sections.append(Section(S("boundary"), tuple(_plane_steps(w, b, z, norm_w, values))))
    plane = hyperplane(w, b, [f"x{i}" for i in range(1, len(w) + 1)])
    results = (Step(S("z"), z, "result"), Step(plane.lhs, sp.S.Zero, "hyperplane"))
    numbers = [
        number_row("w·x", dot),
        number_row("|w|", norm_w),
        number_row("|x|", norm_x),
        number_row("z = w·x + b", z),
    ]
    if values["cos"] is not None:
        numbers += [number_row("cos θ", values["cos"]), number_row("θ (degrees)", values["angle"])]
    if values.get("distance") is not None:
        numbers.append(number_row("signed distance of x from the boundary", values["distance"]))
    context = {
        "kind": "dot_product",
        "operands": (tuple(w), tuple(x), b),  # what the picture of w and x is drawn from
        "values": values,
        "numbers": numbers,
        "convention": f"ŷ = 1 when {CONVENTIONS[fires]}, else 0",
        "symbol_names": symbol_names(),
    }
    return CalculusDerivation(
        "Dot product, angle and step activation", tuple(sections), results, context
    )


def _bias_steps(b, norm_w, norm_x, cos, values: dict) -> list:
    """What the bias does to the angle view: without it the neuron fires exactly when θ ≤ 90°
    (w·x ≥ 0); with it, when w·x ≥ −b, that is cos θ ≥ −b / (|w| |x|), a cone around w that b < 0
    narrows and b > 0 widens (for inputs of this length |x|)."""
    S = sp.Symbol
    limit = sp.radsimp(-b / (norm_w * norm_x))
    steps = [
        Step(
            S("cos θ*"),
            Over(show(-b), sp.Mul(norm_w, norm_x, evaluate=False)),
            "bias_angle",
            "fires when w·x ≥ −b, i.e. cos θ ≥ −b/(|w| |x|)",
        ),
        Step(S("cos θ*"), limit, "evaluate_at_point"),
    ]
    values["cos_limit"] = limit
    if limit > 1:
        values["angle_limit"] = None
        note = "−b > |w| |x|: no direction of this length fires"
        steps.append(Step(S("θ*"), S("none"), "bias_angle", note))
    elif limit < -1:
        values["angle_limit"] = None
        note = "b > |w| |x|: every direction of this length fires"
        steps.append(Step(S("θ*"), S("all"), "bias_angle", note))
    else:
        limit_deg = _degrees(limit)
        values["angle_limit"] = limit_deg
        how = "narrows" if b < 0 else "widens" if b > 0 else "keeps"
        note = f"fires for θ ≤ θ*: the bias {how} the 90° cone around w"
        steps.append(Step(S("θ*"), limit_deg, "bias_angle", note))
    return steps


def _plane_steps(w, b, z, norm_w, values: dict) -> list:
    """The boundary w·x + b = 0: normal to w, at signed distance −b/|w| from the origin; x lies
    z/|w| from it on the side w points to (z > 0) or the other (z < 0)."""
    S = sp.Symbol
    offset = sp.radsimp(-b / norm_w)
    distance = sp.radsimp(z / norm_w)
    values.update(offset=offset, distance=distance)
    return [
        Step(S("d₀"), Over(show(-b), norm_w),
             "hyperplane", "the boundary is normal to w, −b/|w| from the origin along w"),
        Step(S("d₀"), offset, "evaluate_at_point"),
        Step(S("d(x)"), Over(show(z), norm_w),
             "hyperplane", "x's signed distance z/|w|: on w's side when positive"),
        Step(S("d(x)"), distance, "evaluate_at_point"),
    ]  # fmt: skip


def angle_degrees(a: Sequence[Any], b: Sequence[Any]) -> sp.Float | None:
    """The angle between two vectors in degrees, to 0.1°, or None when one of them is zero.

    Examples:
        >>> angle_degrees([1, 0], [1, 1]), angle_degrees([0, 0], [1, 1])
        (45.0000000000000, None)
    """
    a, b = [sp.nsimplify(_sym(v)) for v in a], [sp.nsimplify(_sym(v)) for v in b]
    norms = sp.sqrt(sum(v**2 for v in a)) * sp.sqrt(sum(v**2 for v in b))
    if norms == 0:
        return None
    cos = sum(p * q for p, q in zip(a, b, strict=True)) / norms
    return sp.Float(round(float(sp.acos(cos) * 180 / sp.pi), 1), 15)


def turn_steps(before: Sequence[Any], after: Sequence[Any], x: Sequence[Any], error: int) -> list:
    """The geometry of an update: w + ηx turns w toward x (y − ŷ = 1), w − ηx away from it
    (y − ŷ = −1); the angle between w and x before and after, as numbers."""
    old, new = angle_degrees(before, x), angle_degrees(after, x)
    if new is None:
        return []
    way = "toward" if error > 0 else "away from"
    if old is None:  # w was 0: no direction before the update
        return [Step(sp.Symbol("∠ after"), new, "angle", f"w now points {way} x")]
    return [
        Step(sp.Symbol("∠ before"), old, "angle", "in degrees, before the update"),
        Step(sp.Symbol("∠ after"), new, "angle", f"after it: w turned {way} x"),
    ]


def run_derivation(run: PerceptronRun, only_mistakes: bool = False) -> Derivation:
    """Every presentation as steps: z = w·x + b, ŷ by the step, and the update when ŷ ≠ y.

    Examples:
        >>> from symnn.perceptron.run import gate, train_perceptron
        >>> d = run_derivation(train_perceptron(*gate("or")), only_mistakes=True)
        >>> [str(s.subject) for s in d.sections][:3]
        ['epoch 1, sample 1', 'epoch 1, sample 2', 'epoch 2, sample 1']
    """
    S = sp.Symbol
    eta = _sym(run.learning_rate)
    sections = []
    w, b = run.initial_weights, run.initial_bias
    bias = S(run.bias_names[1])  # b, or w₃ / w₀ where the source makes the bias a column
    sum_text = weighted_sum(run.bias_input, run.bias_names[1])

    def sum_step(rhs: sp.Expr) -> Step:
        # A bias column (Cornell's w3 on x3 = −1) is named in the sum as in the table: not b.
        if not run.bias_column:
            return Step(S("z"), rhs, "dot_product")
        return Step(S("z"), rhs, "weighted_sum", sum_text)

    for u in run.updates:
        if only_mistakes and not u.changed:
            w, b = u.weights, u.bias
            continue
        ws, xs, bs = [_sym(v) for v in w], [_sym(v) for v in u.x], _sym(b)
        c = _sym(run.bias_input)
        verdict = "fires" if u.y_hat else "does not fire"
        bias_term = (
            bs
            if run.bias_input == 1
            else sp.Mul(sp.UnevaluatedExpr(c), sp.UnevaluatedExpr(bs), evaluate=False)
        )
        steps = [
            sum_step(_sum_of_products(ws, xs, bias_term)),
            Step(S("z"), _sym(u.z), "evaluate_at_point"),
            Step(S("ŷ"), sp.Integer(u.y_hat), "step_activation", f"{verdict}: {run.convention}"),
        ]
        if u.changed:
            error = sp.UnevaluatedExpr(sp.Integer(u.error))
            factor = sp.Mul(eta, error, evaluate=False)
            if run.bias_input != 1:
                factor = sp.Mul(eta, error, sp.UnevaluatedExpr(c), evaluate=False)
            moved = [
                sp.Add(
                    wi, sp.Mul(eta, error, sp.UnevaluatedExpr(xi), evaluate=False), evaluate=False
                )
                for wi, xi in zip(ws, xs, strict=True)
            ]
            steps += [
                Step(S("w"), sp.Tuple(*moved), "perceptron_rule", f"y − ŷ = {u.error}"),
                Step(S("w"), sp.Tuple(*(_sym(v) for v in u.weights)), "evaluate_at_point"),
                Step(
                    bias,
                    sp.Add(bs, factor, evaluate=False),
                    "perceptron_rule",
                    f"input {_sym(run.bias_input)}",
                ),
                Step(bias, _sym(u.bias), "evaluate_at_point"),
                *turn_steps(w, u.weights, u.x, u.error),
            ]
        subject = S(f"epoch {u.epoch}, sample {u.sample}")
        sections.append(Section(subject, tuple(steps)))
        w, b = u.weights, u.bias
    plane = hyperplane(run.weights, run.offset, run.names)
    results = (
        Step(S("w"), sp.Tuple(*(_sym(v) for v in run.weights)), "result"),
        Step(bias, _sym(run.bias), "result"),
        Step(plane.lhs, sp.S.Zero, "hyperplane"),
    )
    names = symbol_names()
    names.update({s.subject: rf"\text{{{s.subject.name}}}" for s in sections})
    context = {
        "kind": "perceptron",
        "rows": run.updates,
        "summary": run.summary(),
        "convention": run.convention,
        "learning_rate": eta,
        "run": run,
        "symbol_names": names,
    }
    return CalculusDerivation(
        "Perceptron training, step by step", tuple(sections), results, context
    )

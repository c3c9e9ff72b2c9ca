"""The refresher at the seed's level of detail (issue 18, item 4): the user's form kept, the
arithmetic of a substitution shown in stages, d/dx and the tangent line for one variable, what a
rule uses derived before it, directional and linear predictions against the true change, long
descent runs summarised. Every number is checked against an independent evaluation."""

import json

import sympy as sp

from symnn.calculus.calculus import (
    derivative,
    directional_derivative,
    gradient,
    kept_partial,
    linear_approximation,
)
from symnn.calculus.descent import detailed_steps, gradient_descent
from symnn.calculus.worked import Ordinary, exact, stages
from symnn.output.refresher import _printer, render_refresher

x, y = sp.symbols("x y")
BOWL = "(x - 3)**2 + 2*(y + 1)**2"


def latex(expr) -> str:
    return _printer({}).doprint(expr)


def test_users_form_is_kept():
    assert latex(kept_partial((x - 3) ** 2 + 2 * (y + 1) ** 2, x)) == r"2 \left(x - 3\right)"
    assert latex(kept_partial((x - 3) ** 2 + 2 * (y + 1) ** 2, y)) == r"4 \left(y + 1\right)"
    d = gradient(BOWL)
    f, (u, _) = d.context["function"], d.context["variables"]  # the parser's own symbols
    assert sp.expand(d.results[0].rhs[0].doit() - sp.diff(f, u)) == 0


def test_value_at_the_point_in_stages():
    d = gradient(BOWL, at="0.6,-0.4")
    first = d.sections[0]
    shown = [latex(s.rhs) for s in first.steps]
    assert shown == [
        r"\left(0.6 - 3\right)^{2} + 2 \cdot \left(-0.4 + 1\right)^{2}",
        r"\left(-2.4\right)^{2} + 2 \cdot 0.6^{2}",
        "5.76 + 0.72",
        "6.48",
    ]
    assert d.context["values"]["value"] == sp.Rational(162, 25)


def test_stages_end_at_the_value_for_many_points():
    f = x**3 - 2 * x * y + sp.exp(y) * (x + 1) ** 2
    for a, b in [(0, 0), (1, -1), (sp.Rational(1, 2), 2), (-3, sp.Rational(1, 3))]:
        shown = stages(f, {x: a, y: b})
        for stage in shown:
            assert abs(float(exact(stage)) - float(f.subs({x: a, y: b}))) < 1e-12


def test_one_variable_is_d_dx_with_the_tangent_line():
    d = derivative("x**3 + 2*x", at=2)
    assert isinstance(d.results[0].lhs, Ordinary)
    (u,) = d.context["variables"]
    assert d.context["values"]["tangent"] == 14 * u - 16
    assert latex(d.results[-1].rhs) == r"12 + 14 \left(x - 2\right)"
    md = render_refresher(d, "md")
    assert r"\partial" not in md and "nabla" not in md and "tangent plane" not in md
    assert r"\frac{d f}{d x}" in md


def test_linear_prediction_for_one_variable_has_no_gradient_norm():
    d = linear_approximation("x**3 + 2*x", "2", "0.01")
    md = render_refresher(d, "md")
    assert "lVert" not in md and "tangent-plane" not in md and "tangent line" in md
    v = d.context["values"]
    assert v["error"] == v["exact_change"] - v["linear_change"] == sp.Rational(601, 1000000)
    assert v["second_order"] == sp.Rational(6, 10000)  # ½ f″(2) Δx² = ½·12·0.0001


def test_linear_prediction_for_one_variable_says_derivative_and_plain_move():
    d = linear_approximation("x**3 + 2*x", "2", "0.01")
    md = render_refresher(d, "md")
    assert "gradient · move" not in md and "f′(a)·Δx" in md
    assert r"= 0.01$" in md and r"\left( 0.01\right)" not in md
    two = render_refresher(linear_approximation("x**2 + y", "1,1", "0.01,0.02"), "md")
    assert "gradient · move" in two  # two variables keep the gradient wording


def test_what_a_rule_uses_comes_first():
    d = gradient("x**2 + 4*y**2")
    steps = [str(s.lhs) for s in d.sections[1].steps]
    inner = steps.index("Derivative(y**2, y)")
    outer = steps.index("Derivative(4*y**2, y)")
    assert inner < outer


def test_directional_sum_as_written_and_checked_against_the_true_change():
    d = directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1")
    md = render_refresher(d, "md")
    assert r"\frac{5}{\sqrt{2}} + \frac{5}{\sqrt{2}}" in md
    v = d.context["values"]
    f = x**2 + 3 * x * y + y**2
    h = sp.Rational(1, 100)
    true = f.subs({x: 1 + h / sp.sqrt(2), y: 1 + h / sp.sqrt(2)}) - 5
    assert sp.simplify(v["check_exact"] - true) == 0
    assert sp.simplify(v["check_predicted"] - h * 5 * sp.sqrt(2)) == 0
    assert 0 < float(v["check_error"]) < 1e-3


def test_gradient_json_has_f_at_the_point(capsys):
    from symnn.cli.main import main

    assert main(["calc", "gradient", BOWL, "--at=0.6,-0.4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exact"]["value"] == "162/25" and data["values"]["value"] == 6.48


def test_long_descent_run_is_summarised():
    assert detailed_steps(8) == list(range(1, 9))
    assert detailed_steps(20) == [1, 2, 3, 19, 20]
    assert detailed_steps(20, "all") == list(range(1, 21))
    run = gradient_descent(BOWL, "0,0", "0.1", 20, exact=True)
    d = run.derivation()
    assert len(d.sections) == 1 + 5
    md = render_refresher(run, "md")
    assert "Steps 4 to 18 are in the table only" in md
    assert md.count("\n| ") >= 21  # the table keeps every step
    full = render_refresher(run, "md", detail="all")
    assert "in the table only" not in full
    # every worked value ends at the run's own value
    for section in d.sections[1:]:
        k = int(str(section.subject.args[0]).split("_")[1])
        assert exact(section.steps[-1].rhs) == run.iterates[k].value

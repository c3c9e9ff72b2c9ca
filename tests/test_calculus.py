"""The calculus refresher: worked examples exactly, every formula against SymPy or differences."""

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import sympy as sp

from symnn.calculus.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.calculus.taylor import hessian, jacobian_of, multi_indices, taylor
from symnn.core.errors import SymnnError
from symnn.core.expressions import parse_expression, symbol
from symnn.core.functions import to_elementary
from symnn.core.steps import RULES
from symnn.output.refresher import render_refresher

x, y, z = symbol("x"), symbol("y"), symbol("z")
FUNCTIONS = [
    "x**2 + 4*y**2",
    "x**2 + 3*x*y + y**2",
    "exp(-x)*sin(y)",
    "sigmoid(x*y) + log(1 + x**2)*y",
    "x**3*y - 2*x*y**2 + tanh(x - y)",
    "sqrt(x**2 + y**2 + 1)/(1 + y**2)",
]
POINTS = [(sp.Rational(1, 2), sp.Rational(-3, 4)), (1, 2), (0, 0)]


def numeric(expr, at):
    return float(sp.N(to_elementary(expr).subs(at), 30))


# Worked examples of the issue, exactly.


def test_gradient_of_x2_plus_4y2():
    d = gradient("x**2 + 4*y**2", at="1,1")
    values = d.context["values"]
    assert values["gradient"] == (2, 8)
    assert values["magnitude"] == sp.sqrt(68)
    assert round(float(values["magnitude"]), 6) == 8.246211
    assert d.results[0].rhs == sp.Tuple(2 * x, 8 * y)


def test_linear_prediction_of_a_small_move():
    values = linear_approximation("x**2 + 4*y**2", "1,1", "0.01,0.005").context["values"]
    assert values["linear_change"] == sp.Rational(6, 100)
    assert values["exact_change"] == sp.Rational(602, 10000)
    assert values["error"] == sp.Rational(2, 10000)


def test_jacobian_of_the_issue():
    d = jacobian_of(["x**2 + y", "2*x + 3*y"])
    assert d.results[0].rhs == sp.ImmutableMatrix([[2 * x, 1], [2, 3]])


def test_directional_derivative_along_the_diagonal():
    d = directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1")
    values = d.context["values"]
    assert values["gradient"] == (5, 5)
    assert values["unit"] == (1 / sp.sqrt(2), 1 / sp.sqrt(2))
    assert values["directional"] == 5 * sp.sqrt(2)
    assert round(float(values["directional"]), 7) == 7.0710678
    assert any(s.rule == "normalise" and "normalised" in s.note for s in d.steps)


def test_tangent_line_of_x_squared_at_3():
    values = linear_approximation("x**2", 3, "0.01").context["values"]
    assert values["predicted"] == sp.Rational(906, 100)
    assert values["exact_value"] == sp.Rational(90601, 10000)


def test_slope_and_tangent_of_cubic_at_2():
    assert derivative("x**3 + 2*x", at=2).context["values"]["slope"] == 14
    values = linear_approximation("x**3 + 2*x", 2, 0.01).context["values"]
    assert values["predicted"] == sp.Rational(1214, 100)
    assert values["exact_value"] == sp.Rational(12140601, 1000000)


def test_huge_values_fail_with_the_expression_and_the_point():
    # mpmath raised OverflowError from |∇f| = sqrt(sum of squares); now refused before it runs.
    with pytest.raises(
        SymnnError, match=r"f at x = 1, y = 1: a value too large to count its digits arises"
    ):
        gradient("exp(exp(exp(1000)))*x*y", at="1,1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: derivative("log(x)", at=0), "f is not defined (finite and real) at x = 0"),
        (lambda: derivative("log(x)", at=-1), "f is not defined (finite and real) at x = -1"),
        (
            lambda: gradient("x*log(y)", at="1,0"),
            "f is not defined (finite and real) at x = 1, y = 0",
        ),
        (lambda: derivative("sqrt(x)", at=0), "∂f/∂x is not defined (finite and real) at x = 0"),
        (lambda: linear_approximation("log(x)", 1, -1), "f at the moved point is not defined"),
        (lambda: taylor("log(x)", at=0), "f is not defined (finite and real) at x = 0"),
        (lambda: hessian("sqrt(x)", at=0), "f″(x) is not defined"),  # one variable: f″
        (lambda: jacobian_of(["x", "log(x)"], at=0), "f_2 is not defined"),
    ],
)
def test_undefined_at_the_point(call, message):
    with pytest.raises(SymnnError, match=re.escape(message)):
        call()


def test_derivative_has_no_magnitude():
    d = derivative("x**3", at=2)
    labels = [row["label"] for row in d.context["numbers"]]
    assert not any("magnitude" in label for label in labels) and "derivative" in labels
    assert "magnitude" not in d.context["values"] and d.context["values"]["slope"] == 12
    assert "|∇f|" not in str(d)


# Every formula against SymPy and finite differences.


@pytest.mark.parametrize("text", FUNCTIONS)
def test_gradient_matches_sympy_and_finite_differences(text):
    f = parse_expression(text)
    d = gradient(text, "x,y")
    for g, v in zip(d.results[0].rhs, (x, y), strict=True):
        difference = to_elementary(g - sp.diff(f, v))
        for point in [(0.3, -1.7), (2.1, 0.4)]:
            assert abs(numeric(difference, dict(zip((x, y), point, strict=True)))) < 1e-12
    for point in POINTS:
        at = dict(zip((x, y), point, strict=True))
        values = gradient(text, "x,y", at=point).context["values"]["gradient"]
        h = 1e-6
        for v, value in zip((x, y), values, strict=True):
            plus, minus = dict(at), dict(at)
            plus[v] += sp.Float(h)
            minus[v] -= sp.Float(h)
            fd = (numeric(f, plus) - numeric(f, minus)) / (2 * h)
            assert math.isclose(float(sp.N(to_elementary(value))), fd, rel_tol=1e-6, abs_tol=1e-8)


def test_every_partial_step_is_a_true_equation():
    text = "x**3*y - 2*exp(x)*y**2 + sin(x*y) + 5"
    d = gradient(text, at="1,2")
    f = {sp.Symbol("f"): parse_expression(text)}
    checked = 0
    for step in d.steps:
        assert step.rule in RULES
        if isinstance(step.lhs, sp.Derivative):
            assert sp.simplify(step.lhs.subs(f).doit() - step.rhs.doit()) == 0
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("text", FUNCTIONS)
def test_hessian_matches_sympy_and_is_symmetric(text):
    f = parse_expression(text)
    d = hessian(text, "x,y", at="1,2")
    expected = sp.hessian(f, (x, y))
    assert sp.simplify(to_elementary(d.results[0].rhs - expected)) == sp.zeros(2, 2)
    at = d.context["values"]["hessian"]
    assert at == at.T
    # second differences of f itself, independently of any symbolic derivative
    h = 1e-4
    point = {x: sp.Integer(1), y: sp.Integer(2)}
    for i, vi in enumerate((x, y)):
        for j, vj in enumerate((x, y)):

            def f_at(di, dj, vi=vi, vj=vj):
                p = dict(point)
                p[vi] += di
                p[vj] += dj
                return numeric(f, p)

            fd = (f_at(h, h) - f_at(h, -h) - f_at(-h, h) + f_at(-h, -h)) / (4 * h * h)
            assert math.isclose(
                float(sp.N(to_elementary(at[i, j]))), fd, rel_tol=1e-4, abs_tol=1e-5
            )


def test_hessian_definiteness():
    assert hessian("x**2 + y**2", at="0,0").context["values"]["definiteness"] == "positive definite"
    assert hessian("x**2 - y**2", at="0,0").context["values"]["definiteness"] == "indefinite"


def test_taylor_one_variable_matches_series():
    d = taylor("exp(x)*cos(x)", at=0, order=5)
    f = sp.exp(x) * sp.cos(x)
    assert sp.expand(d.context["values"]["polynomial"] - sp.series(f, x, 0, 6).removeO()) == 0


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_taylor_multivariate_matches_every_partial_at_the_point(order):
    text = "exp(x)*sin(y) + x**2*y**3"
    f = parse_expression(text)
    d = taylor(text, at="1/2,1", order=order)
    polynomial = d.context["values"]["polynomial"]
    point = {x: sp.Rational(1, 2), y: 1}
    for k in range(order + 1):
        for alpha in multi_indices(2, k):
            df, dp = f, polynomial
            for v, count in zip((x, y), alpha, strict=True):
                df, dp = sp.diff(df, v, count), sp.diff(dp, v, count)
            assert sp.simplify((df - dp).subs(point)) == 0


def test_taylor_error_shrinks_with_the_right_power():
    # |f − T_2| = O(h³): halving h divides the error by about 8.
    errors = []
    for h in ("0.02", "0.01"):
        d = taylor("exp(x)*sin(y)", at="0,1", order=2, step=f"{h},{h}")
        errors.append(abs(float(d.context["values"]["error"])))
    assert 7 < errors[0] / errors[1] < 9


def test_jacobian_matches_sympy_at_a_point():
    exprs = ["x*y*z", "sin(x) + z**2", "exp(y - z)"]
    d = jacobian_of(exprs, at="1,2,2")
    expected = sp.Matrix([parse_expression(e) for e in exprs]).jacobian([x, y, z])
    assert d.results[0].rhs == sp.ImmutableMatrix(expected)
    assert d.context["values"]["jacobian"] == expected.subs({x: 1, y: 2, z: 2})


def test_directional_derivative_against_finite_differences():
    text = "x**2*exp(y) - 3*y"
    d = directional_derivative(text, "3,-4", "1,0")
    f = parse_expression(text)
    h = 1e-6
    fd = (numeric(f, {x: 1 + 0.6 * h, y: -0.8 * h}) - numeric(f, {x: 1 - 0.6 * h, y: 0.8 * h})) / (
        2 * h
    )
    assert math.isclose(float(d.context["values"]["directional"]), fd, rel_tol=1e-7)
    assert d.context["values"]["unit"] == (sp.Rational(3, 5), sp.Rational(-4, 5))


def test_variable_order_follows_the_text():
    d = gradient("y**2 + x", at="1,2")  # y first: the point is (y, x) = (1, 2)
    assert d.context["variables"] == (y, x)
    assert d.context["values"]["gradient"] == (2, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gradient("x + y", at="1"), "expected 2 coordinate"),
        (lambda: directional_derivative("x", "0", "1"), "non-zero"),
        (lambda: derivative("x*y"), "one variable"),
        (lambda: taylor("x", at=0, order=99), "order"),
        (lambda: gradient("3"), "at least one variable"),
        (lambda: gradient("x + z", "x,y"), "unknown variable 'z'"),
    ],
)
def test_bad_calls(call, message):
    with pytest.raises(SymnnError, match=re.escape(message)):
        call()


# Rendering through the templates.


@pytest.mark.parametrize("fmt", ["tex", "md", "text"])
def test_renders_every_kind(fmt):
    items = [
        gradient("x**2 + 4*y**2", at="1,1"),
        directional_derivative("x**2 + 3*x*y + y**2", "1,1", "1,1"),
        linear_approximation("x**2 + 4*y**2", "1,1", "0.01,0.005"),
        taylor("exp(x)*y", at="0,1", order=2),
        hessian("x**3 + x*y**2", at="1,2"),
        jacobian_of(["x**2 + y", "2*x + 3*y"], at="1,2"),
    ]
    outputs = [render_refresher(item, fmt) for item in items]
    assert "8.246211" in outputs[0]
    assert "0.0602" in outputs[2]
    if fmt == "tex":
        assert r"\sqrt{68}" in outputs[0]
        assert r"\frac{\partial f}{\partial x}" in outputs[0]
        assert "normalised" in outputs[1]
    if fmt == "md":
        assert outputs[0].startswith("# Gradient")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_article_compiles(tmp_path):
    d = taylor("exp(x)*sin(y) + sigmoid(x)", at="0,1", order=2, step="0.1,0.1")
    (tmp_path / "t.tex").write_text(render_refresher(d, "tex", document=True))
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_every_worked_example_renders_and_compiles(tmp_path):
    from symnn.gallery.refresher import worked_examples

    # The committed gallery is what the code writes (tests/test_gallery.py checks it), so the
    # fragments are read from it rather than generating the whole gallery once more.
    gallery = Path(__file__).resolve().parent.parent / "derivations"
    folders = ("calculus-refresher", "gradient-descent", "perceptron")
    fragments = [
        path.read_text(encoding="utf-8")
        for path in sorted(p for folder in folders for p in (gallery / folder).glob("*.tex"))
    ]
    assert len(fragments) == len(list(worked_examples())) >= 16
    body = "\n\\clearpage\n".join(fragments)
    # the fragments carry TikZ figures (each says "% requires: tikz")
    preamble = "\\documentclass{article}\n\\usepackage{amsmath,amssymb,tikz}\n\\begin{document}\n"
    (tmp_path / "all.tex").write_text(preamble + body + "\n\\end{document}\n")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "all.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]


# Generated NumPy code, from the same expressions.


@pytest.mark.parametrize("text", FUNCTIONS)
def test_generated_numpy_gradient_and_hessian_match_finite_differences(text):
    import numpy as np

    from symnn.calculus.code import calculus_code

    code = calculus_code(text, "x,y")
    rng = np.random.default_rng(0)
    points = rng.uniform(-1.5, 1.5, size=(2, 5))
    h = 1e-6
    grad, hess = code.gradient(*points), code.hessian(*points)
    assert grad.shape == (2, 5) and hess.shape == (2, 2, 5)
    for i in range(2):
        step = np.zeros((2, 1))
        step[i] = h
        fd = (code.value(*(points + step)) - code.value(*(points - step))) / (2 * h)
        np.testing.assert_allclose(grad[i], fd, rtol=1e-6, atol=1e-7)
        fd_grad = (code.gradient(*(points + step)) - code.gradient(*(points - step))) / (2 * h)
        np.testing.assert_allclose(hess[:, i], fd_grad, rtol=1e-5, atol=1e-6)
    # the same numbers as the derivation at an exact point
    exact = gradient(text, "x,y", at="1/2,-3/4").context["values"]["gradient"]
    np.testing.assert_allclose(code.gradient(0.5, -0.75), [float(v) for v in exact], rtol=1e-12)


def test_generated_jacobian_and_names_that_would_shadow():
    import numpy as np

    from symnn.calculus.code import jacobian_code

    code = jacobian_code(["numpy*gradient", "exp(numpy) + relu**2"], "numpy,gradient,relu")
    assert "def jacobian(numpy_, gradient_, relu_):" in code.source
    j = code.jacobian(1.0, 2.0, 3.0)
    np.testing.assert_allclose(j, [[2, 1, 0], [math.e, 0, 6]])
    assert code.value(np.array([0.0, 1.0]), 2.0, 3.0).shape == (2, 2)


def test_notebooks_show_the_calculus_templates():
    from symnn.calculus.descent import gradient_descent
    from symnn.perceptron.run import gate, train_perceptron

    assert gradient("x**2 + 4*y**2", at="1,1")._repr_markdown_().startswith("# Gradient")
    assert gradient("x**2", at="1")._repr_latex_() is None  # the Markdown carries the maths
    assert (
        "3.9456" in gradient_descent("(x - 3)**2 + 2*(y + 1)**2", "0,0", "0.1", 2)._repr_markdown_()
    )
    assert "converged" in train_perceptron(*gate("or"))._repr_markdown_()

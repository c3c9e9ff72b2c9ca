"""Gradient descent: the worked example exactly, momentum by hand, floats, divergence, plots."""

import math

import pytest
import sympy as sp

from symnn.calculus.descent import gradient_descent
from symnn.core.errors import SymnnError
from symnn.core.functions import to_elementary
from symnn.output.refresher import render_refresher

BOWL = "(x - 3)**2 + 2*(y + 1)**2"
R = sp.Rational


def test_worked_example_exactly():
    run = gradient_descent(BOWL, "0,0", "0.1", 2, exact=True)
    points = [it.point for it in run.iterates]
    values = [it.value for it in run.iterates]
    assert points == [(0, 0), (R(6, 10), R(-4, 10)), (R(108, 100), R(-64, 100))]
    assert values == [11, R(648, 100), R(39456, 10000)]
    assert run.iterates[0].gradient == (-6, 4)
    assert run.iterates[1].gradient == (R(-48, 10), R(24, 10))
    rows = run.table()
    assert [row["k"] for row in rows] == [0, 1, 2]
    assert rows[1]["update"] == (R(6, 10), R(-4, 10))


def test_floats_agree_with_the_exact_run():
    exact = gradient_descent(BOWL, "0,0", 0.1, 20, exact=True)
    floats = gradient_descent(BOWL, "0,0", 0.1, 20)
    for a, b in zip(exact.iterates, floats.iterates, strict=True):
        assert math.isclose(float(a.value), b.value, rel_tol=1e-12)
        assert all(
            math.isclose(float(p), q, abs_tol=1e-12) for p, q in zip(a.point, b.point, strict=True)
        )
    # closed form: x_k = 3 − 3·0.8^k, y_k = −1 + 0.6^k
    assert floats.final.point == pytest.approx((3 - 3 * 0.8**20, -1 + 0.6**20), abs=1e-12)


def test_momentum_by_hand():
    # v1 = −η g0 = (0.6, −0.4); x1 = (0.6, −0.4); g1 = (−4.8, 2.4)
    # v2 = 0.9 v1 − 0.1 g1 = (0.54 + 0.48, −0.36 − 0.24) = (1.02, −0.6); x2 = (1.62, −1)
    run = gradient_descent(BOWL, "0,0", "0.1", 2, momentum="0.9", exact=True)
    assert run.iterates[1].point == (R(6, 10), R(-4, 10))
    assert run.iterates[1].velocity == (R(102, 100), R(-6, 10))
    assert run.final.point == (R(162, 100), -1)
    assert run.final.value == (R(162, 100) - 3) ** 2


def test_one_variable_and_the_gradient_formula():
    run = gradient_descent("x**4 - 3*x", "2", "0.01", 3, exact=True)
    x = 2
    for it in run.iterates[1:]:
        x = x - R(1, 100) * (4 * x**3 - 3)
        assert it.point == (x,)


def test_divergence_stops_with_a_message():
    run = gradient_descent("x**2", "1", 1.5, 5000)
    assert run.stopped.startswith("stopped at step")
    assert "diverged" in run.stopped
    assert len(run.iterates) < 5000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"f": "exp(x)", "start": "1", "exact": True}, "not a rational"),
        ({"f": "x**2", "start": "1", "learning_rate": "-1"}, "positive"),
        ({"f": "x**2", "start": "1", "momentum": "1"}, "momentum"),
        ({"f": "x**2", "start": "1,2"}, "expected 1 coordinate"),
        ({"f": "x**2", "start": "1", "steps": -1}, "steps"),
    ],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(SymnnError, match=message):
        gradient_descent(**kwargs)


def test_steps_record_gradient_update_and_value():
    derivation = gradient_descent(BOWL, "0,0", "0.1", 2, exact=True).derivation()
    rules = [step.rule for step in derivation.steps]
    assert rules.count("descent_update") == 2
    assert derivation.results[-1].rhs == sp.Float("3.9456", 15)


@pytest.mark.parametrize("fmt", ["tex", "md", "text"])
def test_table_renders(fmt):
    text = render_refresher(gradient_descent(BOWL, "0,0", "0.1", 2, exact=True), fmt)
    for number in ("0.6", "-0.4", "6.48", "1.08", "-0.64", "3.9456"):
        assert number in text


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_contour_plot_files(tmp_path, suffix):
    from symnn.training.plots.contour import plot_descent

    run = gradient_descent(BOWL, "0,0", 0.1, 10, momentum=0.5)
    (path,) = plot_descent(run, tmp_path / f"gd{suffix}")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG" if suffix == ".png" else b"%PDF")
    assert len(data) > 5000


def test_curve_plot_for_one_variable(tmp_path):
    from symnn.training.plots.contour import plot_descent

    paths = plot_descent(gradient_descent("x**2 + sigmoid(x)", "2", 0.2, 5), tmp_path / "c")
    assert [p.suffix for p in paths] == [".png", ".pdf"]
    assert all(p.stat().st_size > 5000 for p in paths)


def test_variable_names_cannot_shadow_the_numeric_namespace(tmp_path):
    from symnn.training.plots.contour import plot_descent

    text = "numpy**2 + abs(math) + sigmoid(numpy*math) + exp(-math)*sin(numpy)"
    floats = gradient_descent(text, "1,1", "0.1", 3)
    at = dict(zip(floats.variables, floats.final.point, strict=True))
    reference = float(to_elementary(floats.function).evalf(30, subs=at))
    assert math.isclose(floats.final.value, reference, rel_tol=1e-12)
    (path,) = plot_descent(floats, tmp_path / "shadow.png")
    assert path.read_bytes().startswith(b"\x89PNG")

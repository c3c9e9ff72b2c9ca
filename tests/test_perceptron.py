"""The perceptron: gates converge to hand-checked weights, XOR stops, ties are decided exactly."""

from fractions import Fraction

import pytest
import sympy as sp

from symnn.core.errors import SymnnError
from symnn.output.refresher import render_refresher
from symnn.perceptron.run import (
    gate,
    hyperplane,
    linearly_separable,
    read_csv,
    step,
    train_perceptron,
)
from symnn.perceptron.view import dot_product, run_derivation


def reference(X, Y, eta, epochs, fires_at_zero=True):
    """An independent textbook loop with exact fractions, for comparison."""
    w, b = [Fraction(0)] * len(X[0]), Fraction(0)
    for epoch in range(1, epochs + 1):
        mistakes = 0
        for x, y in zip(X, Y, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b
            y_hat = 1 if (z >= 0 if fires_at_zero else z > 0) else 0
            if y != y_hat:
                mistakes += 1
                w = [wi + eta * (y - y_hat) * xi for wi, xi in zip(w, x, strict=True)]
                b += eta * (y - y_hat)
        if not mistakes:
            return tuple(w), b, epoch
    return tuple(w), b, None


# Worked by hand from w = (0, 0), b = 0, η = 1, fires at w·x + b ≥ 0, samples in truth-table order.
# OR: epoch 1 updates at (0,0) and (0,1); epoch 2 at (0,0) and (1,0); epoch 3 at (0,0);
# epoch 4 is clean, leaving w = (1, 1), b = −1.
EXPECTED = {
    "and": ((2, 1), -3, 6),
    "or": ((1, 1), -1, 4),
    "nand": ((-2, -1), 2, 6),
}


@pytest.mark.parametrize("name", ["and", "or", "nand"])
def test_gates_converge_to_the_expected_weights(name):
    X, Y = gate(name)
    run = train_perceptron(X, Y)
    weights, bias, epochs = EXPECTED[name]
    assert run.converged and run.separable
    assert run.weights == weights and run.bias == bias and run.epochs == epochs
    assert reference(X, Y, 1, 100) == (weights, bias, epochs)
    # the learned line separates the data under the stated convention
    for x, y in zip(X, Y, strict=True):
        assert step(sum(w * xi for w, xi in zip(weights, x, strict=True)) + bias) == y
    last_epoch = [u for u in run.updates if u.epoch == run.epochs]
    assert len(last_epoch) == 4 and not any(u.changed for u in last_epoch)
    assert f"epoch {epochs} had no errors" in run.summary()


def test_or_table_rows_by_hand():
    run = train_perceptron(*gate("or"))
    first = run.updates[0]
    assert (first.epoch, first.sample, first.z, first.y_hat, first.error) == (1, 1, 0, 1, -1)
    assert (first.weights, first.bias) == ((0, 0), -1)
    second = run.updates[1]
    assert (second.z, second.y_hat, second.error, second.weights, second.bias) == (
        -1,
        0,
        1,
        (0, 1),
        0,
    )


def test_xor_has_no_separating_line_and_stops():
    run = train_perceptron(*gate("xor"), max_epochs=25)
    assert not run.converged
    assert run.separable is False
    assert run.epochs == 25 and len(run.updates) == 25 * 4
    assert "no separating line exists" in run.summary()


def test_separability_by_exact_linear_program():
    for name in ("and", "or", "nand", "nor"):
        separable, (w, b) = linearly_separable(*gate(name))
        assert separable
        X, Y = gate(name)
        for x, y in zip(X, Y, strict=True):
            z = sum(wi * xi for wi, xi in zip(w, x, strict=True)) + b
            assert (z >= 1) if y else (z <= -1)
    assert linearly_separable(*gate("xor")) == (False, None)


def test_exact_arithmetic_decides_ties_that_floats_get_wrong():
    X, Y = gate("and")
    exact = train_perceptron(X, Y, learning_rate="0.1")
    # With zero start, η only scales the weights: exactly a tenth of the η = 1 run.
    assert exact.weights == (Fraction(2, 10), Fraction(1, 10)) and exact.bias == Fraction(-3, 10)
    assert exact.epochs == 6
    floats = train_perceptron(X, Y, learning_rate=0.1, exact=False)
    # 0.2 + 0.1 − 0.3 is not 0 in floating point: a tie the float run decides the other way.
    ties = [u for u in floats.updates if u.z != 0 and abs(u.z) < 1e-12]
    assert ties and ties[0].y_hat == 0
    assert floats.epochs != exact.epochs


def test_threshold_convention_is_configurable_and_stated():
    X, Y = gate("and")
    strict = train_perceptron(X, Y, fires="gt")
    assert strict.convention == "ŷ = 1 when w·x + b > 0, else ŷ = 0"
    assert strict.updates[0].y_hat == 0  # z = 0 does not fire under '>'
    assert reference(X, Y, 1, 100, fires_at_zero=False) == (
        strict.weights,
        strict.bias,
        strict.epochs,
    )
    with pytest.raises(SymnnError, match="threshold convention"):
        train_perceptron(X, Y, fires="≥")


def test_csv_input(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("a,b,c,label\n2,1/2,9,1\n-1,0.5,9,0\n3,2,9,1\n-2,-1,9,0\n")
    X, Y, names = read_csv(path, ["a", "b"], "label")
    assert X[0] == (Fraction(2), Fraction(1, 2)) and Y == (1, 0, 1, 0) and names == ("a", "b")
    run = train_perceptron(X, Y, names=names)
    assert run.converged and "a" in str(run.hyperplane())
    assert read_csv(path)[2] == ("a", "b", "c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n", "label 'y' expected 0 or 1"),
        ("x,y\n1,abc\n", "expected a number"),
        ("x,y\n1\n", "expected 2 values"),
        ("x,y\n", "expected data rows after the header"),
        ("1,0\n2,1\n", "expected a header row"),
        ("a,a,y\n1,2,1\n", "header: expected each column name once, found 'a'"),
    ],
)
def test_bad_csv(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SymnnError, match=message):
        read_csv(path)


@pytest.mark.parametrize("name", ["a\\input{x}$%", "b_#^~", "1x", "a b", "x" * 33])
def test_csv_column_names_must_be_identifiers(tmp_path, name):
    # Column names become SymPy symbols printed raw in LaTeX maths: only plain names may pass.
    path = tmp_path / "p.csv"
    path.write_text(f"{name},ok,y\n1,2,1\n-1,-2,0\n", encoding="utf-8")
    with pytest.raises(SymnnError, match=r"column .*expected a letter then letters, digits or _"):
        read_csv(path)
    with pytest.raises(SymnnError, match="input name"):
        train_perceptron([(1,)], [1], names=[name])


def test_csv_byte_order_mark_is_not_part_of_the_first_name(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text("u,v,y\n2,1,1\n-1,-2,0\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    X, Y, names = read_csv(path)
    assert names == ("u", "v") and Y == (1, 0)


def test_missing_column(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("x,y\n1,0\n")
    with pytest.raises(SymnnError, match="column 'z' not found"):
        read_csv(path, ["z"])


def test_dot_product_angle_view():
    d = dot_product("1,2", "3,-1", bias=-1)
    values = d.context["values"]
    assert values["dot"] == 1 and values["z"] == 0 and values["y_hat"] == 1
    assert values["cos"] == sp.Rational(1) / (sp.sqrt(5) * sp.sqrt(10))
    assert values["alignment"] == "aligned"
    assert dot_product("1,0", "-1,1").context["values"]["alignment"] == "opposed"
    assert dot_product("1,1", "1,1").context["values"]["angle"] == 0
    assert dot_product("1,0", "1,1").context["values"]["angle"] == 45


def test_hyperplane():
    assert hyperplane([2, 1], -3) == sp.Eq(2 * sp.Symbol("x1") + sp.Symbol("x2") - 3, 0)


def test_derivation_and_rendering():
    run = train_perceptron(*gate("and"))
    derivation = run_derivation(run)
    assert len(derivation.sections) == len(run.updates)
    assert sum(s.rule == "perceptron_rule" for s in derivation.steps) == 2 * run.mistakes
    for fmt in ("tex", "md", "text"):
        text = render_refresher(run, fmt)
        assert "converged" in text and ("≥" in text or r"\ge" in text)


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_plot_files(tmp_path, suffix):
    pytest.importorskip("matplotlib", reason="matplotlib is the optional plot extra")
    from symnn.training.plots.perceptron import plot_perceptron

    (path,) = plot_perceptron(train_perceptron(*gate("nand")), tmp_path / f"p{suffix}")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG" if suffix == ".png" else b"%PDF") and len(data) > 5000

"""Mazur's conventions (issue 18): notation "mazur" writes the 2-2-2 example as the post does.

One bias shared by a layer (b1, b2), the error as E_o1 + E_o2, each path term ∂E_o1/∂out_h1,
∂E_o2/∂out_h1 worked with its number and then summed; the post's printed numbers reproduce to
every digit it prints.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.engine.element import derive
from symnn.engine.values import worked_numbers
from symnn.output.document import render_derivation
from symnn.spec.specfile import load_spec
from tests.cli_harness import run_cli
from tests.test_proof_order import numeric_order_errors, symbolic_order_errors

TWO = load_spec("examples/two_two_two.toml")
MAZUR = replace(TWO, notation="mazur")


@pytest.fixture(scope="module")
def document() -> str:
    derivation = derive(MAZUR, ["W1[1,1]", "W2[1,1]"])
    return render_derivation(derivation, "md", numeric=True, digits=9)


def _value(numbers, lhs) -> float:
    for _, lines in numbers.backward:
        for line in lines:
            if line.lhs == lhs:
                return line.value
    raise KeyError(lhs)


def test_the_posts_printed_numbers_reproduce(document):
    # Mazur's post: E_total = 0.298371109, w5+ = 0.35891648, w1+ = 0.149780716,
    # ∂E_o1/∂out_h1 = 0.055399425, ∂E_o2/∂out_h1 = −0.019049119, their sum 0.036350306.
    for printed in ("0.298371109", "0.35891648", "0.149780716", "0.274811083", "0.0235600256"):
        assert printed in document, printed
    assert "0.0553994247 + (-0.0190491183)" in document
    assert "= 0.0363503064" in document
    numbers = worked_numbers(derive(MAZUR, "W1[1,1]"))
    h1 = nt.a(1, 1)
    e1, e2 = (nt.LOSS_TERM(2, j) for j in (1, 2))
    paths = [_value(numbers, sp.Derivative(e, h1, evaluate=False)) for e in (e1, e2)]
    assert [round(p, 6) for p in paths] == [0.055399, -0.019049]
    assert f"{sum(paths):.6f}" == "0.036350"


def test_path_terms_agree_with_sympy_of_each_output_error():
    # ∂E_o1/∂out_h1 is checked against SymPy's derivative of E_o1 written out in out_h1.
    numbers = worked_numbers(derive(MAZUR, "W1[1,1]"))
    given = dict(numbers.given)
    forward = {line.lhs: line.value for line in numbers.forward}
    a11, a12 = sp.symbols("a11 a12")
    for j, (row, target) in enumerate(((0, 0.01), (1, 0.99)), start=1):
        w = [given[nt.w(2, row + 1, k)] for k in (1, 2)]
        net = w[0] * a11 + w[1] * a12 + given[nt.b(2, row + 1)]
        error = sp.Rational(1, 2) * (target - 1 / (1 + sp.exp(-net))) ** 2
        expected = error.diff(a11).subs({a11: forward[nt.a(1, 1)], a12: forward[nt.a(1, 2)]})
        path = sp.Derivative(nt.LOSS_TERM(2, j), nt.a(1, 1), evaluate=False)
        assert _value(numbers, path) == pytest.approx(float(expected), rel=1e-12)


def test_shared_bias_is_printed_once_and_its_gradient_is_a_sum(document):
    given = document[document.index("### Given") : document.index("### Forward pass")]
    assert given.count("b_{1} = 0.35") == 1 and given.count("b_{2} = 0.6") == 1
    assert r"w_{1} i_{1} + w_{2} i_{2} + b_{1}" in document
    assert r"w_{3} i_{1} + w_{4} i_{2} + b_{1}" in document
    assert "its gradient is the sum over the layer's units" in document
    assert r"\partial b_{1} = \delta_{h_{1}} + \delta_{h_{2}}" in document


def test_the_error_is_split_per_output_and_the_paths_are_summed(document):
    assert r"E_{\mathrm{total}} & = E_{o_{1}} + E_{o_{2}}" in document
    hidden = r"\frac{\partial E_{\mathrm{total}}}{\partial \mathrm{out}_{h_{1}}} & = "
    summed = r"\frac{\partial E_{o_{1}}}{\partial \mathrm{out}_{h_{1}}} + "
    assert hidden + summed in document
    # The plain neuron notation keeps the engine's own form.
    plain = render_derivation(derive(TWO, "W1[1,1]"), "md", notation="neuron")
    assert "E_{o_{1}}" not in plain and r"b_{h_{1}}" in plain


def test_mazur_derivation_keeps_proof_order():
    for wrt in ("W1[1,1]", "all"):
        derivation = derive(MAZUR, wrt)
        assert symbolic_order_errors(derivation) == []
        assert numeric_order_errors(derivation) == []


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"bias": [0.35, 0.4]}, "different biases"),
        ({"trainable_bias": True}, "trains a bias per unit"),
    ],
)
def test_biases_that_are_not_one_per_layer_are_refused(change, says):
    layers = (replace(MAZUR.layers[0], **change), MAZUR.layers[1])
    with pytest.raises(SymnnError, match=says):
        derive(replace(MAZUR, layers=layers), "W1[1,1]")


def test_softmax_output_is_refused():
    from symnn.spec.network import Dense, Network

    layers = [Dense(2, "sigmoid", trainable_bias=False), Dense(2, "softmax", trainable_bias=False)]
    net = Network(2, layers, "cross_entropy", notation="mazur")
    with pytest.raises(SymnnError, match="softmax couples them"):
        derive(net, "W1[1,1]")


def test_cli_notation_mazur():
    argv = ["derive", "two_two_two", "--notation", "mazur", "--numeric", "--wrt", "W2[1,1]"]
    result = run_cli([*argv, "--format", "md", "--digits", "8"], seconds=120)
    assert result.code == 0, result.describe()
    assert "0.35891648" in result.stdout and "E_{o_{2}}" in result.stdout
    assert re.search(r"b_\{2\} = 0\.6", result.stdout)


def test_cli_refuses_mazur_for_a_loss_not_split_per_output():
    result = run_cli(["derive", "softmax_three_classes", "--notation", "mazur"], seconds=120)
    assert result.clean_error and "mazur" in result.stderr, result.describe()

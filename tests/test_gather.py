"""The "layers" layout of generated code: gathered statements agree with the per-unit lines and
with finite differences, and are used only where the element-level expressions have the form."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from symnn.codegen.element import UNIT_LINES_UP_TO, compile_gradients, element_source
from symnn.codegen.gather import LayerCode
from symnn.core.errors import SymnnError
from symnn.core.graph import product, weighted_sum
from symnn.engine import backprop_for
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Dense, Network
from symnn.training.check import finite_differences, random_batch, random_params
from tests.helpers import ELEMENTWISE, network, output_activation_for


def assert_layouts_agree(net, seed=0, samples=(1, 7)):
    units = compile_gradients(net, layout="units")
    layers = compile_gradients(net, layout="layers")
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    for n in samples:
        X, Y = random_batch(net, rng, n)
        loss_u, grads_u = units(params, X, Y)
        loss_l, grads_l = layers(params, X, Y)
        assert loss_l == pytest.approx(loss_u, rel=1e-12, abs=1e-14)
        assert list(grads_l) == list(grads_u)
        for name in grads_u:
            assert grads_l[name].shape == grads_u[name].shape
            np.testing.assert_allclose(grads_l[name], grads_u[name], rtol=1e-10, atol=1e-13)
    return layers


@pytest.mark.parametrize(("hidden", "loss"), [(h, l) for h in ELEMENTWISE for l in LOSSES.names()])
def test_every_activation_loss_pair(hidden, loss):
    assert_layouts_agree(network((3, 4, 2), hidden, loss))


@pytest.mark.parametrize("output", ACTIVATIONS.names())
def test_every_activation_at_the_output(output):
    assert_layouts_agree(network((3, 2, 3), "tanh", "squared_error", output=output))


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 3))
    widths = [draw(st.integers(1, 5)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(LOSSES.names()))
    output = output_activation_for(loss)
    if output == "softmax":
        widths[-1] = max(widths[-1], 2)
    layers = [
        Dense(w, draw(st.sampled_from(ELEMENTWISE)), bias=draw(st.booleans())) for w in widths[1:-1]
    ]
    layers.append(Dense(widths[-1], output, bias=draw(st.booleans())))
    return Network(widths[0], layers, loss)


@given(networks(), st.integers(0, 2**16))
def test_random_networks_agree_with_units_and_finite_differences(net, seed):
    f = assert_layouts_agree(net, seed=seed)
    rng = np.random.default_rng(seed + 1)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 3)
    _, grads = f(params, X, Y)
    numeric = finite_differences(f, params, X, Y, f.parameter_names)
    for name in f.parameter_names:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-5, atol=1e-7)


def test_frozen_bias_is_used_and_not_trained():
    net = Network(2, [Dense(3, "tanh", trainable_bias=False), Dense(2)], "mse")
    f = assert_layouts_agree(net)
    assert "b1" not in f.parameter_names and "+ b1" in f.source


def test_a_layer_is_one_statement_when_the_forms_fit():
    net = network((8, 16, 4), "relu", "softmax_cross_entropy")
    source = element_source(net)  # 212 parameters: "auto" gathers
    for line in (
        "z_1 = X @ W1.T + b1",
        "a_1 = relu(z_1)",
        "dL_da_1 = delta_2 @ W2",
        "delta_1 = dL_da_1*indicator(z_1)",
        'grads["W1"] = delta_1.T @ X / n',
        'grads["b2"] = numpy.mean(delta_2, axis=0)',
        "L = logsumexp(*a_2.T) + numpy.sum(-Y*a_2, axis=1)",
    ):
        assert f"    {line}\n" in source
    assert "    z_1_1 =" not in source and "numpy.stack" not in source


def test_softmax_layer_delta_stays_per_unit_and_is_stacked_for_the_next_product():
    # δ_j = Σ_i ∂L/∂a_i · a_i(δ_ij − a_j): each unit reads every other, so it is not one form.
    source = element_source(network((2, 3, 3), "sigmoid", "cross_entropy"), layout="layers")
    assert "delta_2_1 = " in source
    assert "delta_2 = numpy.stack([delta_2_1, delta_2_2, delta_2_3], axis=1)" in source
    assert "a_2 = numpy.exp(z_2 - logsumexp(*z_2.T)[:, None])" in source


def test_auto_layout_reads_per_unit_for_small_networks():
    small = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")])
    assert small.parameter_count <= UNIT_LINES_UP_TO
    assert "delta_1_1 = " in element_source(small)
    assert "delta_1 = " in element_source(small, layout="layers")


def test_unknown_layout():
    with pytest.raises(SymnnError, match="layout: expected one of auto, units, layers"):
        element_source(Network(1, [Dense(1)]), layout="rows")


@pytest.fixture
def code():
    return LayerCode(backprop_for(network((2, 3, 2), "tanh", "mse")))


def s(name):
    return sp.Symbol(name, real=True)


def test_weighted_sum_form_is_read_from_the_expressions(code):
    z = [s(f"b_1_{j}") + s(f"w_1_{j}_1") * s("x_1") + s(f"w_1_{j}_2") * s("x_2") for j in (1, 2, 3)]
    assert code.weighted_sum(z, 3) == "X @ W1.T + b1"
    missing = [*z[:2], s("b_1_3") + s("w_1_3_1") * s("x_1")]  # unit 3 lacks its x_2 term
    assert code.weighted_sum(missing, 3) is None
    crossed = [*z[:2], s("b_1_3") + s("w_1_2_1") * s("x_1") + s("w_1_3_2") * s("x_2")]
    assert code.weighted_sum(crossed, 3) is None
    twice = [e + s("w_1_1_1") * s("x_1") for e in z]  # a weight shared by every unit
    assert code.weighted_sum(twice, 3) is None


def test_template_needs_the_same_form_in_every_unit(code):
    tanh = [sp.tanh(s(f"z_1_{j}")) for j in (1, 2, 3)]
    assert code.code(code.template(tanh, 3)) == "numpy.tanh(z_1)"
    mixed = [*tanh[:2], sp.sin(s("z_1_3"))]
    assert code.template(mixed, 3) is None
    other_unit = [sp.tanh(s(f"z_1_{j}")) * s("x_1") for j in (1, 2, 3)]  # x_1 in every unit
    assert code.template(other_unit, 3) is None


def test_outer_product_form(code):
    grads = [[s(f"delta_1_{r}") * s(f"x_{c}") for c in (1, 2)] for r in (1, 2, 3)]
    assert code.outer(grads) == "delta_1.T @ X / n"
    grads[2][1] = s("delta_1_3") * s("x_1")
    assert code.outer(grads) is None


@given(st.from_regex(r"[a-zA-Z][a-z0-9_]{0,6}", fullmatch=True), st.text("xyzw_1290", min_size=1))
def test_fast_product_is_sympys_product(left, right):
    a, b = sp.Symbol(left, real=True), sp.Symbol(right)
    c, d = sp.Symbol(right, real=True), sp.Dummy(right, real=True)  # c: ordered by name alone
    for x, y in ((a, b), (b, a), (a, a), (a, c), (c, a), (c, d), (d, a)):
        fast = product(x, y)
        assert fast == x * y and fast.args == (x * y).args and hash(fast) == hash(x * y)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True),
            st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True), max_size=2),
    st.booleans(),
)
def test_fast_weighted_sum_is_sympys_sum(pairs, extra, real):
    terms = [sp.Symbol(w, real=real) * sp.Symbol(x, real=real) for w, x in pairs]
    extras = [sp.Symbol(e, real=real) for e in extra]
    fast, slow = weighted_sum(terms, extras), sp.Add(*terms, *extras)
    assert fast == slow and fast.args == slow.args and hash(fast) == hash(slow)

"""Vectorised generated code: agrees with the element-level code and finite differences."""

import ast

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients, matrix_source
from symnn.layers.base import is_fresh
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Dense, Network
from symnn.training.check import finite_differences, random_batch, random_params, relative_error
from tests.helpers import assert_saved_module_runs_alone, network, output_activation_for

PAIRS = [(act, loss) for act in ACTIVATIONS for loss in LOSSES]


def _agree(net, seed=0, n=7, tolerance=1e-10):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    matrix = compile_matrix_gradients(net)
    element = compile_gradients(net)
    loss, grads = matrix(params, X, Y)
    ref_loss, ref_grads = element(params, X, Y)
    assert loss == pytest.approx(ref_loss, rel=1e-12, abs=1e-12)
    assert set(grads) == set(ref_grads) == set(matrix.parameter_names)
    for name in ref_grads:
        assert grads[name].shape == ref_grads[name].shape
        assert relative_error(grads[name], ref_grads[name]) < tolerance, name
    return matrix, params, X, Y


@pytest.mark.parametrize(("activation", "loss"), PAIRS)
def test_every_activation_and_loss_agree_with_the_element_level(activation, loss):
    _agree(network((3, 4, 3), activation, loss))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_as_output_layer(activation):
    _agree(network((2, 3, 2), "tanh", "mse", activation))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_finite_differences(loss):
    net = Network(
        3, [Dense(4, "softplus"), Dense(3, "tanh"), Dense(3, output_activation_for(loss))], loss
    )
    rng = np.random.default_rng(1)
    f = compile_matrix_gradients(net)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 16)
    _, grads = f(params, X, Y)
    numeric = finite_differences(f, params, X, Y, f.parameter_names)
    for name in f.parameter_names:
        assert relative_error(grads[name], numeric[name]) < 1e-6, name


@st.composite
def networks(draw, max_depth=4, max_width=5):
    """Depth 1–4, widths 1–5, any activations, biases present, absent or frozen, any loss."""
    loss = draw(st.sampled_from(list(LOSSES)))
    depth = draw(st.integers(1, max_depth))
    layers = []
    for index in range(depth):
        activation = draw(st.sampled_from(list(ACTIVATIONS)))
        if index == depth - 1 and output_activation_for(loss) != "identity":
            activation = output_activation_for(loss)  # the loss needs these outputs
        if index == depth - 1 and LOSSES[loss].output_activation:
            activation = LOSSES[loss].output_activation
        smallest = 1 if ACTIVATIONS[activation].elementwise else 2
        units = draw(st.integers(smallest, max_width))
        bias = draw(st.sampled_from([True, True, False]))
        layers.append(Dense(units, activation, bias, None, draw(st.booleans())))
    return Network(draw(st.integers(1, max_width)), layers, loss)


@given(networks(), st.integers(1, 6), st.integers(0, 2**16))
def test_random_networks_agree_with_the_element_level(net, n, seed):
    _agree(net, seed, n, tolerance=1e-9)


def test_source_is_vectorised_and_readable():
    net = Network(784, [Dense(128, "relu"), Dense(10)], "softmax_cross_entropy")
    source = compile_matrix_gradients(net).source
    ast.parse(source)
    body = source[source.index("# forward") :]
    assert "Z1 = X @ W1.T + b1" in body
    # ReLU′ as a boolean mask, scaling the fresh product in place (no second temporary)
    assert "Delta1 = Delta2 @ W2\n    Delta1 *= (Z1 > 0)\n" in body
    # the loss summed in one pass from the same exponential, no per-sample array and mean
    assert "L = LSE2.sum() - numpy.vdot(A2, Y)\n" in body
    assert "return float(L) / N, grads" in body
    assert "Delta2 = (S2 - Y) / N\n" in body  # the batch mean's 1/N once, at the output
    assert 'grads["W1"] = Delta1.T @ X\n' in body
    backward = body.split("Delta2 = (S2 - Y) / N\n")[1].split("return")[0]
    assert "/ N" not in backward
    assert "S2, LSE2 = softmax_logsumexp_rows(A2)" in body
    assert "[" not in body.replace('grads["', "")  # no per-unit indexing anywhere
    assert len(body.splitlines()) < 20  # the same code for any widths


def test_squared_loss_shares_its_residual_with_the_output_gradient():
    net = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")
    body = matrix_source(net)
    # E = ŷ − y once: ½ E·E is the summed loss, E/N ⊙ σ′ the output's Δ
    assert "E2 = A2 - Y\n    L = (1/2)*numpy.vdot(E2, E2)\n    Delta2 = E2 / N\n" in body
    assert "Delta2 *= A2*(1 - A2)\n" in body
    mse = matrix_source(Network(2, [Dense(3, "tanh"), Dense(1)], "mse"))  # (y − ŷ)², k = 2
    assert "E2 = A2 - Y\n    L = numpy.vdot(E2, E2)\n    Delta2 = E2 * (2 / N)\n" in mse


def test_only_fresh_arrays_are_scaled_in_place():
    # a name or a slice may share memory with another block's gradient: never written in place
    assert is_fresh("Delta2 @ W2") and is_fresh("(S2 - Y) / N") and is_fresh("-G3")
    assert not is_fresh("G3") and not is_fresh("G3[:, 0:2]") and not is_fresh("X.T")
    assert not is_fresh("numpy.transpose(G3)") and not is_fresh("not code (")


def test_saved_source_runs_standalone(tmp_path):
    net = Network(2, [Dense(3, "gelu"), Dense(2, "softmax")], "cross_entropy")
    assert_saved_module_runs_alone(compile_matrix_gradients(net), net, tmp_path)


def test_frozen_and_missing_biases():
    net = Network(
        1,
        [
            Dense(1, "identity", bias=[2.0], weights=[[3.0]], trainable_bias=False),
            Dense(1, "identity", bias=False, weights=[[1.0]]),
        ],
    )
    f = compile_matrix_gradients(net)
    loss, grads = f(net.given_params(), [[1.0]], [[0.0]])
    assert loss == pytest.approx(0.5 * 25.0)
    assert set(grads) == {"W1", "W2"} == set(f.parameter_names)
    assert grads["W1"][0, 0] == pytest.approx(5.0)
    assert grads["W2"][0, 0] == pytest.approx(25.0)


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "cross_entropy"])
def test_extreme_logits_stay_finite(loss):
    output = "identity" if loss == "softmax_cross_entropy" else "softmax"
    net = Network(2, [Dense(3, output)], loss)
    f = compile_matrix_gradients(net)
    params = {"W1": np.array([[1000.0, 0.0], [-1000.0, 0.0], [0.0, 0.0]]), "b1": np.zeros(3)}
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    Y = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    loss_value, grads = f(params, X, Y)
    assert np.isfinite(loss_value) and all(np.all(np.isfinite(g)) for g in grads.values())
    # Sample 1 puts all mass on its target; sample 2's target has logit −1000 against +1000.
    assert loss_value == pytest.approx(2000.0 / 2, rel=1e-12)
    np.testing.assert_allclose(grads["b1"], [-0.5, 0.5, 0.0], atol=1e-12)


def test_hyperparameters_reach_the_generated_code():
    net = Network(
        2,
        [
            Dense(3, "leaky_relu", activation_params={"slope": 0.2}),
            Dense(3, "elu", activation_params={"alpha": 0.5}),
            Dense(2),
        ],
        "huber",
        loss_params={"delta": 0.3},
    )
    f, *_ = _agree(net, n=9)
    assert "leaky_relu(Z1, 0.2)" in f.source and "0.5" in f.source and "0.3" in f.source

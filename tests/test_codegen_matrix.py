"""Vectorised generated code: agrees with the element-level code and finite differences."""

import ast
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients, matrix_source
from symnn.core.errors import SymnnError
from symnn.layers.base import is_fresh
from symnn.numerics import kept
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
    try:
        return Network(draw(st.integers(1, max_width)), layers, loss)
    except SymnnError:  # e.g. one output for a softmax loss: not a network, draw another
        reject()


@given(networks(), st.integers(1, 6), st.integers(0, 2**16))
def test_random_networks_agree_with_the_element_level(net, n, seed):
    _agree(net, seed, n, tolerance=1e-9)


def test_source_is_vectorised_and_readable():
    net = Network(784, [Dense(128, "relu"), Dense(10)], "softmax_cross_entropy")
    source = compile_matrix_gradients(net).source
    ast.parse(source)
    body = source[source.index("# forward") :]
    kept = 'numpy.matmul(X, W1.T, out=kept(work, "Z1", (N, 128)))\n    Z1 += b1\n'
    assert f"Z1 = {kept}" in body  # into an array the caller may keep, the bias added in place
    assert 'A1 = relu(Z1, out=kept(work, "A1", (N, 128)))' in body
    # ReLU′ as a boolean mask, scaling the product in place (no second temporary)
    delta = 'Delta1 = numpy.matmul(Delta2, W2, out=kept(work, "Delta1", (N, 128)))\n'
    assert f"{delta}    Delta1 *= (Z1 > 0)\n" in body
    # the loss summed in one pass from the same exponential, no per-sample array and mean
    assert "L = LSE2.sum() - numpy.vdot(A2, Y)\n" in body
    assert "return float(L) / N, grads" in body
    assert "Delta2 = (S2 - Y) / N\n" in body  # the batch mean's 1/N once, at the output
    assert 'grads["W1"] = Delta1.T @ X\n' in body
    backward = body.split("Delta2 = (S2 - Y) / N\n")[1].split("return")[0]
    assert "/ N" not in backward
    assert "S2, LSE2 = softmax_logsumexp_rows(A2)" in body
    assert "[" not in body.replace('grads["', "")  # no per-unit indexing anywhere
    assert len(body.splitlines()) < 22  # the same code for any widths


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


@settings(max_examples=30, deadline=None)
@given(networks(), st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**16))
def test_kept_arrays_give_the_fresh_arrays_results_and_never_alias(net, n, m, seed):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    batches = [random_batch(net, rng, size) for size in (n, m, n)]
    compiled = compile_matrix_gradients(net)
    work: dict = {}
    kept = [compiled.function(params, X, Y, work=work) for X, Y in batches]
    fresh = [compiled.function(params, X, Y) for X, Y in batches]
    snapshot = {name: g.copy() for name, g in kept[0][1].items()}
    for (loss, grads), (ref_loss, ref_grads) in zip(kept, fresh, strict=True):
        assert loss == ref_loss
        assert all(np.array_equal(grads[k], ref_grads[k]) for k in ref_grads)
    # the first call's gradients survive the later calls: they are never a kept array
    assert all(np.array_equal(kept[0][1][k], snapshot[k]) for k in snapshot)
    assert compiled(params, *batches[0])[0] == kept[0][0]


def test_a_second_call_allocates_only_its_gradients():
    # 512 samples × 64 units: each Z, A, Δ is 256 KiB. Fresh, a call holds several at once; kept
    # in `work`, a call after the first allocates only the gradients and N × 4 or boolean arrays.
    # (A derivative written as an expression, tanh's 1 − A², still makes its temporaries.)
    net = Network(32, [Dense(64, "relu"), Dense(64, "relu"), Dense(4)], "softmax_cross_entropy")
    compiled = compile_matrix_gradients(net)
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(net, rng), random_batch(net, rng, 512)
    work: dict = {}
    compiled.function(params, X, Y, work=work)

    def peak(call) -> int:
        tracemalloc.start()
        call()
        found = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return found

    one_array = 512 * 64 * 8
    assert peak(lambda: compiled.function(params, X, Y)) > 3 * one_array
    assert peak(lambda: compiled.function(params, X, Y, work=work)) < one_array
    assert sorted(work) == ["A1", "A2", "Delta1", "Delta2", "Z1", "Z2", "Z3"]


def test_each_thread_keeps_its_own_arrays():
    net = Network(3, [Dense(4, "sigmoid"), Dense(2)], "mse")
    compiled = compile_matrix_gradients(net)
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    batches = [random_batch(net, rng, 5 + k) for k in range(4)]
    expected = [compiled.function(params, X, Y) for X, Y in batches]
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda b: [compiled(params, *b) for _ in range(50)][-1], batches))
    for (loss, grads), (ref_loss, ref_grads) in zip(found, expected, strict=True):
        assert loss == ref_loss and all(np.array_equal(grads[k], ref_grads[k]) for k in grads)


def test_kept_makes_an_array_once_per_shape():
    assert kept(None, "Z1", (2, 3)) is None
    work: dict = {}
    first = kept(work, "Z1", (2, 3))
    assert first.shape == (2, 3) and kept(work, "Z1", (2, 3)) is first
    assert kept(work, "Z1", (5, 3)).shape == (5, 3) and work["Z1"] is not first

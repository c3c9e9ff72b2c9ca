"""The batch forms with numbers (issue 18): each entry checked against NumPy and generated code."""

from __future__ import annotations

import numpy as np
import pytest

from symnn import compile_gradients
from symnn.core import notation as nt
from symnn.core.matexpr import Grad
from symnn.engine.batch_numbers import batch_numbers
from symnn.engine.matrix import BATCH_LOSS
from symnn.spec.network import Data, Dense, Network
from tests.test_cli import symnn

NET = Network(
    2,
    [
        Dense(3, "tanh", weights=[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]], bias=[0.1, 0.0, -0.1]),
        Dense(2, "sigmoid", weights=[[0.2, -0.3, 0.4], [0.5, 0.1, -0.2]], bias=[0.05, -0.05]),
    ],
    "squared_error",
    data=Data(x=[[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], y=[[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
    learning_rate=0.1,
)
ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}


def test_every_entry_is_the_textbook_batch_computation():
    numbers = batch_numbers(NET)
    given = {symbol: value for symbol, value in numbers.given}
    values = {step.lhs: value for step, value in numbers.steps}
    X, Y = given[nt.batch("A", 0, 2)], given[nt.target_batch(2)]
    A, As = X, [X]
    for l, layer in enumerate(NET.layers, start=1):
        W, b = np.asarray(layer.weights), np.asarray(layer.bias)
        Z = A @ W.T + np.ones((3, 1)) @ b[None, :]
        np.testing.assert_allclose(values[nt.batch("Z", l, W.shape[0])], Z, rtol=1e-12)
        A = ACTIVATIONS[layer.activation](Z)
        np.testing.assert_allclose(values[nt.batch("A", l, W.shape[0])], A, rtol=1e-12)
        As.append(A)
    # Δ by the batch recursion, from the output back
    D2 = (As[2] - Y) * As[2] * (1 - As[2])
    D1 = (D2 @ np.asarray(NET.layers[1].weights)) * (1 - As[1] ** 2)
    np.testing.assert_allclose(values[nt.batch("Delta", 2, 2)], D2, rtol=1e-10)
    np.testing.assert_allclose(values[nt.batch("Delta", 1, 3)], D1, rtol=1e-10)
    # (1/N) Δᵀ A is the mean gradient the generated code computes
    _, grads = compile_gradients(NET)(NET.given_params(), X, Y)
    for l, before in ((1, X), (2, As[1])):
        W = nt.weights(l, NET.widths[l], NET.widths[l - 1])
        np.testing.assert_allclose(values[Grad(BATCH_LOSS, W)], grads[f"W{l}"], rtol=1e-10)
        b = nt.vector("b", l, NET.widths[l])
        np.testing.assert_allclose(values[Grad(BATCH_LOSS, b)][:, 0], grads[f"b{l}"], rtol=1e-10)
        outer = sum(np.outer(d, a) for d, a in zip([D1, D2][l - 1], before, strict=True)) / 3
        np.testing.assert_allclose(values[Grad(BATCH_LOSS, W)], outer, rtol=1e-10)
    assert numbers.samples == 3


def test_matrix_level_numbers_in_a_document(tmp_path):
    spec = tmp_path / "net.toml"
    spec.write_text(
        'inputs = 2\nloss = "squared_error"\nlearning_rate = 0.5\n'
        '[[layers]]\nunits = 2\nactivation = "sigmoid"\n'
        "weights = [[0.15, 0.20], [0.25, 0.30]]\nbias = [0.35, 0.35]\n"
        '[[layers]]\nunits = 1\nactivation = "tanh"\nweights = [[0.40, 0.45]]\nbias = [0.60]\n'
        "[data]\nx = [[0.05, 0.10], [0.7, -0.3]]\ny = [[0.01], [0.99]]\n"
    )
    md = symnn("derive", spec, "--level", "matrix", "--numeric", "--format", "md")
    assert md.returncode == 0, md.stderr
    text = md.stdout
    assert "## The batch with numbers" in text and "### Given (2 samples)" in text
    assert r"X = \left[\begin{matrix}0.05 & 0.1\\0.7 & -0.3\end{matrix}\right]" in text
    # the mean of the two samples' outer products δ aᵀ, then the value
    assert r"& = \frac{1}{2} \left(\left[\begin{matrix}0.167316 & 0.168336" in text
    assert r"& = \left[\begin{matrix}0.0641723 & 0.0643695\end{matrix}\right]" in text
    plain = symnn("derive", spec, "--level", "matrix", "--format", "md")
    assert "batch with numbers" not in plain.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("residual", "--level", "matrix", "--numeric", "--format", "md"), "plain stack"),
        (("two_two_two", "--level", "matrix", "--numeric", "--json"), "JSON worked numbers"),
    ],
)
def test_matrix_numbers_refuse_clearly(args, message):
    result = symnn("derive", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _sample_lines(sample: int = 1, data=None):
    from symnn.output.numbers import AtSample, Mean, batch_lines

    net = NET if data is None else Network(NET.inputs, NET.layers, NET.loss, data=data)
    _, lines = batch_lines(batch_numbers(net), 6, sample)
    at = [line for line in lines if isinstance(line.lhs, AtSample)]
    means = [line for line in lines if isinstance(line.lhs, Mean)]
    return batch_numbers(net), at, means


def test_each_samples_delta_vectors_and_their_mean():
    # Issue 18: worked numbers for every sample of a batch and their mean, at the matrix level.
    numbers, at, means = _sample_lines()
    values = {step.lhs: value for step, value in numbers.steps}
    assert [(line.lhs.args[0].name, line.lhs.args[1]) for line in at] == [
        (f"deltavec_{l}", n) for l in (2, 1) for n in (1, 2, 3)
    ]
    for line in at:
        delta = values[nt.batch("Delta", int(line.lhs.args[0].name[-1]), line.value.shape[0])]
        row = delta[int(line.lhs.args[1]) - 1]
        assert [float(str(v)) for v in line.value] == pytest.approx(row, rel=1e-5)
    for line in means:  # the mean δ is the mean bias gradient, ∂L̄/∂b
        layer = int(line.lhs.args[0].name[-1])
        b = nt.vector("b", layer, line.value.shape[0])
        expected = values[Grad(BATCH_LOSS, b)].ravel()
        assert [float(str(v)) for v in line.value] == pytest.approx(expected, rel=1e-5)


def test_a_large_batch_shows_the_chosen_samples_deltas():
    rng = np.random.default_rng(3)
    data = Data(x=rng.normal(size=(6, 2)).tolist(), y=rng.uniform(size=(6, 2)).tolist())
    _, at, means = _sample_lines(5, data)
    assert [int(line.lhs.args[1]) for line in at] == [5, 5] and len(means) == 2
    with pytest.raises(Exception, match="from 1 to 6"):
        _sample_lines(7, data)

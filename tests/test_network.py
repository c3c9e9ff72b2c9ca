"""Spec validation: bad input names the key, what was expected and what was found."""

import math

import numpy as np
import pytest

from symnn.core.errors import SymnnError
from symnn.spec.network import MAX_UNITS, Data, Dense, Network


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Network(0, [Dense(1)]), "inputs: expected a positive integer, found 0"),
        (lambda: Network(-2, [Dense(1)]), "inputs: expected a positive integer, found -2"),
        (lambda: Network(2.5, [Dense(1)]), "inputs: expected a positive integer, found 2.5"),
        (lambda: Network(True, [Dense(1)]), "inputs: expected a positive integer, found True"),
        (lambda: Network(2, [Dense(MAX_UNITS + 1)]), "layers[1].units: expected at most"),
        (lambda: Network(2, []), "layers: expected at least one layer"),
        (lambda: Network(2, [Dense(0)]), "layers[1].units: expected a positive integer, found 0"),
        (
            lambda: Network(2, [Dense(1, "sigmoud")]),
            "layers[1].activation: unknown activation 'sigmoud'; known: identity",
        ),
        (lambda: Network(2, [Dense(1)], "l2"), "loss: unknown loss 'l2'; known: squared_error"),
        (
            lambda: Network(2, [Dense(1, "softmax")], "cross_entropy"),
            "layers[1].units: expected at least 2 units for softmax",
        ),
        (
            lambda: Network(2, [Dense(2, weights=[[1, 2]])]),
            "layers[1].weights: expected 2 rows of 2 numbers, found '1 rows'",
        ),
        (
            lambda: Network(2, [Dense(2, weights=[[1, 2], [3]])]),
            "layers[1].weights[1]: expected a list of 2 numbers",
        ),
        (
            lambda: Network(2, [Dense(1, weights=[[1, math.nan]])]),
            "layers[1].weights[0][1]: expected a finite number, found nan",
        ),
        (
            lambda: Network(2, [Dense(1, weights=[[1, math.inf]])]),
            "expected a finite number, found inf",
        ),
        (
            lambda: Network(2, [Dense(1, weights=[[1, "a"]])]),
            "layers[1].weights[0][1]: expected a number, found 'a'",
        ),
        (
            lambda: Network(2, [Dense(2, bias=[1.0])]),
            "layers[1].bias: expected a list of 2 numbers",
        ),
        (
            lambda: Network(2, [Dense(2, "leaky_relu", activation_params={"alpha": 1})]),
            "layers[1].activation_params: unknown parameter 'alpha'; known: slope",
        ),
        (
            lambda: Network(2, [Dense(2, "softmax")], "softmax_cross_entropy"),
            "found 'softmax'; for probabilities from a softmax use loss 'cross_entropy'",
        ),
        (
            lambda: Network(2, [Dense(1)], data=Data([[1, 2, 3]], [[1]])),
            "data.x[0]: expected a list of 2 numbers, found '3 numbers'",
        ),
        (
            lambda: Network(2, [Dense(1)], data=Data([[1, 2]], [[1, 2]])),
            "data.y[0]: expected a list of 1 numbers",
        ),
        (
            lambda: Network(2, [Dense(1)], data=Data([[1, 2]], [])),
            "data: expected as many rows of y as of x",
        ),
        (
            lambda: Network(
                2, [Dense(2, "softmax")], "cross_entropy", data=Data([[1, 2]], [[0.5, 0.6]])
            ),
            "data.y: expected targets for cross_entropy: probability distributions",
        ),
        (
            lambda: Network(2, [Dense(1)], "hinge", data=Data([[1, 2]], [[0.0]])),
            "data.y: expected targets for hinge: labels -1 or +1",
        ),
        (
            lambda: Network(2, [Dense(1)], learning_rate=-1),
            "learning_rate: expected a positive number",
        ),
        (
            lambda: Network(2, [Dense(1)], "binary_cross_entropy"),
            "takes probabilities, so the last layer's activation must be sigmoid or softmax, "
            "found 'identity'; on logits use loss 'binary_cross_entropy_logits'",
        ),
        (
            lambda: Network(2, [Dense(2, "relu")], "cross_entropy"),
            "on logits use loss 'softmax_cross_entropy'",
        ),
        (
            lambda: Network(2, [Dense(1)], "softmax_cross_entropy"),
            "layers[1].units: expected at least 2 outputs for loss 'softmax_cross_entropy'",
        ),
        (
            lambda: Network(2, [Dense(1)], "huber", loss_params={"delta": -1}),
            "loss_params.delta: expected a positive number, found -1.0",
        ),
        (
            lambda: Network(2, [Dense(1, "elu", activation_params={"alpha": 0})]),
            "layers[1].activation_params.alpha: expected a positive number, found 0.0",
        ),
        (
            lambda: Network(2, [Dense(1)], notation="fancy"),
            "notation: unknown notation 'fancy'; known: layered, yhat, neuron",
        ),
    ],
)
def test_bad_specs_name_the_culprit(build, message):
    with pytest.raises(SymnnError) as error:
        build()
    assert message in str(error.value)


def test_parameter_names_and_shapes():
    net = Network(3, [Dense(4, "relu"), Dense(2, bias=False)], "mse")
    assert net.parameter_shapes() == [("W1", (4, 3)), ("b1", (4,)), ("W2", (2, 4))]
    assert net.parameter_count == 12 + 4 + 8


def test_given_params_and_frozen_bias():
    net = Network(
        2, [Dense(1, "sigmoid", bias=[0.5], weights=[[1, 2]], trainable_bias=False)], "mse"
    )
    params = net.given_params()
    np.testing.assert_array_equal(params["W1"], [[1.0, 2.0]])
    np.testing.assert_array_equal(params["b1"], [0.5])
    assert net.trainable("W1") and not net.trainable("b1")
    with pytest.raises(SymnnError, match="layers\\[1\\].weights: expected the weights"):
        Network(2, [Dense(1)]).given_params()


def test_specs_are_hashable_and_keyed_by_value():
    a = Network(2, [Dense(2, "leaky_relu", activation_params={"slope": 0.2})])
    b = Network(2, [Dense(2, "leaky_relu", activation_params={"slope": 0.2})])
    assert a == b and hash(a) == hash(b) and a.key() == b.key()

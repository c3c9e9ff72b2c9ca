"""Property tests over the whole rule set: random depth (1–4), widths (1–5), every registered
activation (with random hyperparameters) and loss, biases present, absent or frozen. For each
network, five computations of the same gradients must agree: the engine's derivation, sympy.diff
of the composed loss, the element-level and the matrix-level generated code, finite differences
and the autograd oracle.

The CI profile is short and derandomised; `HYPOTHESIS_PROFILE=long python3 -m pytest
-W ignore::DeprecationWarning tests/test_properties.py` runs 500 examples. Failing examples, once
found, are kept below as @example cases (or, when they were bad input, as spec errors in
tests/test_network.py).
"""

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Dense, Network
from symnn.training.check import check_gradients, random_batch, random_params
from tests.helpers import ELEMENTWISE, output_activation_for
from tests.test_engine import assert_engine_matches_sympy_diff


@st.composite
def layers_of(draw, units: int, activation: str) -> Dense:
    entry = ACTIVATIONS[activation]
    params = {name: draw(st.floats(0.05, 2.0)) for name in entry.defaults}
    bias = draw(st.sampled_from(["yes", "no", "frozen"]))
    return Dense(
        units,
        activation,
        bias=bias != "no",
        trainable_bias=bias != "frozen",
        activation_params=params,
    )


@st.composite
def networks(draw) -> Network:
    depth = draw(st.integers(1, 4))
    widths = [draw(st.integers(1, 5)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(LOSSES.names()))
    output = output_activation_for(loss)
    if output == "softmax" or LOSSES[loss].min_outputs > 1:
        widths[-1] = max(widths[-1], 2)
    layers = []
    for units in widths[1:-1]:
        hidden = draw(st.sampled_from(ELEMENTWISE + (["softmax"] if units >= 2 else [])))
        layers.append(draw(layers_of(units, hidden)))
    layers.append(draw(layers_of(widths[-1], output)))
    loss_params = {name: draw(st.floats(0.2, 2.0)) for name in LOSSES[loss].defaults}
    return Network(widths[0], layers, loss, loss_params=loss_params)


@given(networks(), st.integers(0, 2**16))
@example(  # a softmax hidden layer feeding a bias-free output
    Network(3, [Dense(3, "softmax"), Dense(2, "tanh", bias=False)], "mse"), 7
)
@example(  # frozen biases everywhere, leaky slope and ELU alpha away from their defaults
    Network(
        2,
        [
            Dense(4, "leaky_relu", trainable_bias=False, activation_params={"slope": 0.3}),
            Dense(3, "elu", trainable_bias=False, activation_params={"alpha": 0.5}),
            Dense(2, "softmax"),
        ],
        "cross_entropy",
    ),
    11,
)
@example(  # found by the long profile: the bias gradient is exactly 0 (balanced residuals)
    Network(1, [Dense(1)], "mae"), 0
)
def test_five_computations_of_the_gradients_agree(net, seed):
    assert_engine_matches_sympy_diff(net, seed=seed, limit=2)
    report = check_gradients(net, samples=4, seed=seed)
    assert report.passed, report.table()
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 6)
    element_loss, element = compile_gradients(net)(params, X, Y)
    matrix_loss, matrix = compile_matrix_gradients(net)(params, X, Y)
    assert np.isclose(matrix_loss, element_loss, rtol=1e-12, atol=1e-12)
    assert set(matrix) == set(element)
    for name in element:
        np.testing.assert_allclose(matrix[name], element[name], rtol=1e-9, atol=1e-12)

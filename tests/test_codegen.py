"""Generated NumPy code: readable, saveable, runs on its own, and agrees with references."""

import numpy as np
import pytest

from symnn.codegen.element import compile_gradients
from symnn.spec.network import Dense, Network
from symnn.training.check import check_gradients, finite_differences, random_batch, random_params
from tests.helpers import assert_saved_module_runs_alone


def test_saved_source_runs_standalone(tmp_path):
    net = Network(2, [Dense(3, "gelu"), Dense(2, "softmax")], "cross_entropy")
    assert_saved_module_runs_alone(compile_gradients(net), net, tmp_path)


def test_source_is_readable():
    f = compile_gradients(Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")]))
    assert "delta_1_1 = " in f.source
    assert 'grads["W1"][0, 0] = numpy.mean(delta_1_1*X[:, 0])' in f.source
    assert "from symnn.numerics import sigmoid" in f.source


def test_generated_gradients_match_finite_differences_on_a_batch():
    net = Network(3, [Dense(4, "softplus"), Dense(3, "tanh"), Dense(2)], "huber")
    rng = np.random.default_rng(5)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 32)
    f = compile_gradients(net)
    _, grads = f(params, X, Y)
    numeric = finite_differences(f, params, X, Y, f.parameter_names)
    for name in f.parameter_names:
        np.testing.assert_allclose(grads[name], numeric[name], rtol=1e-6, atol=1e-9)


def test_frozen_bias_gets_no_gradient_but_is_used():
    net = Network(1, [Dense(1, "identity", bias=[2.0], weights=[[3.0]], trainable_bias=False)])
    f = compile_gradients(net)
    loss, grads = f(net.given_params(), [[1.0]], [[0.0]])
    assert loss == pytest.approx(0.5 * 25.0)
    assert set(grads) == {"W1"}
    assert grads["W1"][0, 0] == pytest.approx(5.0)


def test_check_report_table_and_failure():
    net = Network(2, [Dense(2, "tanh"), Dense(1)], "mse")
    report = check_gradients(net)
    assert report.passed and "PASS" in report.table() and "W1" in report.table()
    strict = check_gradients(net, tolerance=0.0)
    assert not strict.passed and "FAIL" in strict.table()

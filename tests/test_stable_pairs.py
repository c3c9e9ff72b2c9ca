"""Every loss on every output activation it accepts stays finite and correct at saturated logits.

The sweep (issue 22): 78 (loss, output activation) pairs — the six losses that take any output
(squared_error, mse, mae, huber, hinge, perceptron) on each of the 12 activation names (swish
included), the two probability losses on sigmoid and softmax, the two logits losses on identity —
each at logits ±1000 and ±1e5 (4), with two target vectors (2), for the output layer alone and
behind a tanh hidden layer (2), at the element and the matrix level (2): 78 × 32 = 2,496 cases.
Each loss and gradient is compared with the composed symbolic loss and its sympy.diff gradient,
evaluated with mpmath at 50 digits. Before that evaluation two exact identities,
1 − σ(u) = σ(−u) and 1 − softmax_k = Σ_{j≠k} softmax_j, and Φ(u) = erfc(−u/√2)/2, keep
50 digits from cancelling to log(0) (1 − σ(1e5) would need 43,430 digits).
"""

from __future__ import annotations

from functools import cache

import mpmath
import numpy as np
import pytest
import sympy as sp

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.functions import GELU, NormalCDF, Sigmoid, Softmax, to_elementary
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.build import build_graph
from symnn.spec.network import PROBABILITY_OUTPUTS, Dense, Network

LOGITS = (1000.0, -1000.0, 1e5, -1e5)
DEPTHS = (1, 2)
LEVELS = ("element", "matrix")


def _pairs() -> list[tuple[str, str]]:
    pairs = []
    for loss_name in LOSSES:
        loss = LOSSES[loss_name]
        for activation in ACTIVATIONS:
            if loss.output_activation and activation != loss.output_activation:
                continue
            if loss.probabilities and activation not in PROBABILITY_OUTPUTS:
                continue
            pairs.append((loss_name, activation))
    return pairs


def _targets(loss_name: str) -> list[list[float]]:
    if "labels -1 or +1" in LOSSES[loss_name].targets:
        return [[1.0, -1.0], [-1.0, 1.0]]
    return [[1.0, 0.0], [0.0, 1.0]]


PAIRS = _pairs()
CASES = [
    (loss, activation, depth, logit, tuple(y), level)
    for loss, activation in PAIRS
    for depth in DEPTHS
    for logit in LOGITS
    for y in _targets(loss)
    for level in LEVELS
]


def _network(loss: str, activation: str, depth: int) -> Network:
    hidden = [Dense(1, "tanh")] if depth == 2 else []
    return Network(1, [*hidden, Dense(2, activation)], loss)


def _params(depth: int, logit: float) -> dict[str, np.ndarray]:
    """Output logits (logit, −logit): directly, or as the bias behind a tanh unit."""
    if depth == 1:
        return {"W1": np.array([[logit], [-logit]]), "b1": np.zeros(2)}
    return {
        "W1": np.array([[1.0]]),
        "b1": np.zeros(1),
        "W2": np.array([[0.5], [-0.5]]),
        "b2": np.array([logit, -logit]),
    }


def _without_cancellation(expr: sp.Expr) -> sp.Expr:
    """Exact identities that spare 50 digits from 1 − (1 − ε); then elementary functions."""

    def complement(e: sp.Expr) -> sp.Expr | None:
        if not (isinstance(e, sp.Add) and len(e.args) == 2 and sp.S.One in e.args):
            return None
        other = e.args[1] if e.args[0] == 1 else e.args[0]
        inner = -other
        if isinstance(inner, Sigmoid):
            return Sigmoid(-inner.args[0])
        if isinstance(inner, Softmax):
            i, *zs = inner.args
            return sp.Add(*[Softmax(j, *zs) for j in range(1, len(zs) + 1) if j != i])
        return None

    expr = expr.replace(lambda e: complement(e) is not None, complement)
    expr = expr.replace(
        lambda e: isinstance(e, GELU), lambda e: e.args[0] * sp.erfc(-e.args[0] / sp.sqrt(2)) / 2
    )
    expr = expr.replace(
        lambda e: isinstance(e, NormalCDF), lambda e: sp.erfc(-e.args[0] / sp.sqrt(2)) / 2
    )
    return to_elementary(expr)


@cache
def _reference_functions(loss: str, activation: str, depth: int):
    graph = build_graph(_network(loss, activation, depth))
    symbols = [*graph.inputs, *graph.targets]
    entries = [(p.name, index, s) for p in graph.parameters for index, s in p.entries()]
    symbols += [s for _, _, s in entries]
    composed = _without_cancellation(graph.composed_loss())
    value = sp.lambdify(symbols, composed, "mpmath")
    grads = [sp.lambdify(symbols, sp.diff(composed, s), "mpmath") for _, _, s in entries]
    return value, grads, entries


def reference(loss, activation, depth, logit, y):
    """Loss and gradients from the composed symbolic loss, evaluated with mpmath at 50 digits."""
    value, grads, entries = _reference_functions(loss, activation, depth)
    params = _params(depth, logit)
    with mpmath.workdps(50):
        args = [mpmath.mpf(1.0), *map(mpmath.mpf, y)]
        args += [mpmath.mpf(float(params[name][index])) for name, index, _ in entries]
        loss_value = float(value(*args))
        gradients = {name: np.zeros(params[name].shape) for name in params}
        for (name, index, _), g in zip(entries, grads, strict=True):
            gradients[name][index] = float(g(*args))
    return loss_value, gradients


@cache
def _compiled(loss: str, activation: str, depth: int, level: str):
    net = _network(loss, activation, depth)
    return compile_gradients(net) if level == "element" else compile_matrix_gradients(net)


def test_the_sweep_has_2496_cases():
    assert len(PAIRS) == 78
    assert len(CASES) == 2496
    probability = [c for c in CASES if LOSSES[c[0]].probabilities]
    assert len(probability) == 4 * 32


def _failures(loss: str, activation: str) -> list[str]:
    failures = []
    for case in CASES:
        if case[:2] != (loss, activation):
            continue
        _, _, depth, logit, y, level = case
        with np.errstate(divide="raise", invalid="raise"):  # 1/0 or a nan fails the case
            try:
                value, grads = _compiled(loss, activation, depth, level)(
                    _params(depth, logit), [[1.0]], [list(y)]
                )
            except FloatingPointError as error:
                failures.append(f"{case}: {error}")
                continue
        ref_value, ref_grads = reference(loss, activation, depth, logit, y)
        finite = np.isfinite(value) and all(np.all(np.isfinite(g)) for g in grads.values())
        # atol: the reference's own floor (the textbook gradient cancels terms of order 1, so
        # 50 digits leave residues near 1e-51 where the exact value is e^{-200000}).
        close = np.isclose(value, ref_value, rtol=1e-9, atol=1e-30) and all(
            np.allclose(grads[name], ref_grads[name], rtol=1e-9, atol=1e-30) for name in grads
        )
        if not (finite and close):
            failures.append(f"{case}: {value} vs {ref_value}; {grads} vs {ref_grads}")
    return failures


@pytest.mark.parametrize(("loss", "activation"), PAIRS)
def test_saturated_logits_give_finite_correct_loss_and_gradients(loss, activation):
    failures = _failures(loss, activation)
    assert not failures, "\n".join(failures[:4])


@pytest.mark.parametrize(
    ("activation", "loss", "Y"),
    [
        ("sigmoid", "binary_cross_entropy", [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]),
        ("softmax", "cross_entropy", [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]),
    ],
)
def test_a_saturated_textbook_network_trains_the_same_at_both_levels(activation, loss, Y):
    """Logits of ±1000, most of them confidently wrong: the loss is finite and falls."""
    from symnn.training.train import train

    net = Network(2, [Dense(2, "tanh"), Dense(2, activation)], loss)
    params = {
        "W1": np.array([[1.0, 0.0], [0.0, 1.0]]),
        "b1": np.zeros(2),
        "W2": np.array([[600.0, -600.0], [-600.0, 600.0]]),
        "b2": np.zeros(2),
    }
    X = np.array([[3.0, -3.0], [-3.0, 3.0], [-2.0, 2.0]])  # tanh(±3): logits about ±1190
    runs = {}
    for level in LEVELS:
        with np.errstate(divide="raise", invalid="raise"):
            runs[level] = train(
                net, X, np.array(Y), params=params, steps=30, lr=0.001, gradient=level
            )
    element, matrix = runs["element"], runs["matrix"]
    assert len(element.loss) == 31 and np.all(np.isfinite(element.loss))
    assert element.loss[0] > 100 and element.loss[-1] < element.loss[0]
    np.testing.assert_allclose(element.loss, matrix.loss, rtol=1e-12)
    for name in params:
        np.testing.assert_allclose(element.params[name], matrix.params[name], rtol=1e-12)


def test_element_layouts_and_matrix_agree_on_the_fused_pairs():
    """Three outputs: the gathered layout and the matrix level give what one line per unit does."""
    for loss, activation in PAIRS:
        if not LOSSES[loss].probabilities:
            continue
        net = Network(2, [Dense(3, "tanh"), Dense(3, activation)], loss)
        params = _params_3(1000.0)
        X, Y = [[1.0, -1.0]], [[0.0, 1.0, 0.0]]
        units = compile_gradients(net, layout="units")(params, X, Y)
        for other in (
            compile_gradients(net, layout="layers")(params, X, Y),
            compile_matrix_gradients(net)(params, X, Y),
        ):
            assert np.isfinite(units[0]) and units[0] == pytest.approx(other[0], rel=1e-12)
            for name in units[1]:
                np.testing.assert_allclose(units[1][name], other[1][name], rtol=1e-12, atol=1e-300)


def _params_3(logit: float) -> dict[str, np.ndarray]:
    return {
        "W1": np.eye(3, 2),
        "b1": np.zeros(3),
        "W2": np.array([[logit, 0.0, 0.0], [-logit, 0.0, 0.0], [0.0, logit, 0.0]]),
        "b2": np.zeros(3),
    }


def _saturated(activation: str, loss: str, y: list[float]) -> Network:
    from symnn.spec.network import Data

    layer = Dense(2, activation, weights=[[1000.0], [-1000.0]], bias=[0.0, 0.0])
    return Network(1, [layer], loss, learning_rate=0.5, data=Data(x=((1.0,),), y=(tuple(y),)))


SATURATED = [
    ("sigmoid", "binary_cross_entropy", [0.0, 0.0], 500.0),
    ("sigmoid", "binary_cross_entropy", [1.0, 1.0], 500.0),
    ("sigmoid", "cross_entropy", [0.0, 1.0], 1000.0),
    ("softmax", "cross_entropy", [0.0, 1.0], 2000.0),
    ("softmax", "binary_cross_entropy", [0.0, 1.0], 2000.0),
]


@pytest.mark.parametrize(("activation", "loss", "y", "expected"), SATURATED)
def test_worked_numbers_at_saturated_outputs_say_infinite_not_nan(activation, loss, y, expected):
    from symnn.engine import derive
    from symnn.engine.values import Values, point
    from symnn.output.document import render_derivation
    from symnn.training.worked_step import worked_step

    net = _saturated(activation, loss, y)
    derivation = derive(net, "all")
    graph = build_graph(net)
    numbers = Values(derivation.context["backprop"], point(graph, net.given_params(), [1.0], y))
    values = numbers.values
    assert values[sp.Symbol("L", real=True)] == pytest.approx(expected, rel=1e-12)
    reference_value, reference_grads = reference_of(net, y)
    assert values[sp.Symbol("L", real=True)] == pytest.approx(reference_value, rel=1e-12)
    for name, grad in reference_grads.items():
        for index, value in np.ndenumerate(grad):
            theta = graph.parameter(name).symbols[index]
            assert numbers.gradient(theta) == pytest.approx(value, rel=1e-12, abs=1e-300)
    assert not any(np.isnan(v) for v in values.values())
    for fmt in ("md", "tex"):
        text = render_derivation(derivation, fmt, numeric=True)
        assert "nan" not in text.lower().replace("nand", "")
        assert "fused and stably" in text
        if any(np.isinf(v) for v in values.values()):
            assert r"\infty" in text and "is infinite at these numbers" in text
        step = worked_step(net, fmt=fmt, steps=3)
        assert "nan" not in step.lower() and "fused and stably" in step
    assert any(np.isinf(v) for v in values.values())  # −y/a at a = 0 (or its twin) is infinite


def reference_of(net: Network, y: list[float]):
    """The sweep's 50-digit reference for the one-layer network at logits (1000, −1000)."""
    return reference(net.loss, net.layers[-1].activation, 1, 1000.0, tuple(y))


def test_check_reports_finite_errors_at_saturated_outputs():
    from symnn.training.check import check_gradients

    for activation, loss, y, _ in SATURATED:
        net = _saturated(activation, loss, y)
        with np.errstate(divide="raise", invalid="raise"):
            report = check_gradients(net, X=[[1.0]], Y=[y], params=net.given_params())
        assert report.passed, (activation, loss, y)

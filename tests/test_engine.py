"""The engine's gradients against sympy.diff of the composed loss, the generated code against
finite differences and the autodiff oracle: for every rule pair and for random shapes."""

import numpy as np
import pytest
import sympy as sp

from symnn.engine import backprop_for, derive
from symnn.engine.jacobian import jacobian
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.build import build_graph
from symnn.training.check import check_gradients, random_batch
from tests.helpers import ELEMENTWISE, evaluate, network, random_point

PAIRS = [(hidden, loss) for hidden in ELEMENTWISE for loss in LOSSES.names()]
OUTPUTS = ACTIVATIONS.names()


def assert_engine_matches_sympy_diff(net, seed=0, limit=None):
    """Every (or ``limit``) gradient, expanded, equals sympy.diff of the composed loss."""
    bp = backprop_for(net)
    graph = bp.graph
    rng = np.random.default_rng(seed)
    _, Y = random_batch(net, rng, 1)
    point = random_point(graph, rng, Y[0])
    composed = graph.composed_loss()
    thetas = list(bp.gradients)
    if limit is not None and len(thetas) > limit:
        thetas = [thetas[i] for i in rng.choice(len(thetas), limit, replace=False)]
    for theta in thetas:
        ours = evaluate(bp.expanded(bp.gradients[theta]), point)
        reference = evaluate(sp.diff(composed, theta), point)
        assert ours == pytest.approx(reference, rel=1e-9, abs=1e-12), theta


@pytest.mark.parametrize(("hidden", "loss"), PAIRS)
def test_every_activation_loss_pair(hidden, loss):
    net = network((2, 3, 2), hidden, loss)
    assert_engine_matches_sympy_diff(net)
    report = check_gradients(net, samples=5, seed=1)
    assert report.passed, report.table()


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_activation_at_the_output(output):
    net = network((3, 2, 2), "tanh", "squared_error", output=output)
    assert_engine_matches_sympy_diff(net)
    report = check_gradients(net, samples=5, seed=2)
    assert report.passed, report.table()


# Random shapes across the whole rule set are in tests/test_properties.py.


def test_delta_is_computed_once_and_reused():
    """Each gradient is δ times one input: the engine does not re-derive the chain per weight."""
    net = network((2, 3, 2), "sigmoid", "squared_error")
    bp = backprop_for(net)
    graph = bp.graph
    for p in graph.parameters:
        for _, theta in p.entries():
            (child,) = graph.children(theta)
            delta = sp.Symbol(f"delta_{child.layer}_{child.unit}", real=True)
            assert bp.gradients[theta].has(delta)
            assert sp.count_ops(bp.gradients[theta]) <= 1


def test_two_layer_textbook_form():
    """δ^{(1)}_1 = (δ^{(2)}_1 w^{(2)}_{11} + δ^{(2)}_2 w^{(2)}_{21}) a^{(1)}_1 (1 − a^{(1)}_1)."""
    net = network((2, 2, 2), "sigmoid", "squared_error", output="sigmoid")
    bp = backprop_for(net)
    a11, d21, d22 = sp.symbols("a_1_1 delta_2_1 delta_2_2", real=True)
    w211, w221 = sp.symbols("w_2_1_1 w_2_2_1", real=True)
    z11 = sp.Symbol("z_1_1", real=True)
    one_level = bp.adjoints[z11].xreplace({sp.Symbol("dL_da_1_1", real=True): bp.adjoints[a11]})
    assert one_level.expand() == ((d21 * w211 + d22 * w221) * a11 * (1 - a11)).expand()


def test_derivation_steps_are_ordered_and_named():
    net = network((2, 2, 2), "sigmoid", "squared_error", output="sigmoid")
    d = derive(net, "W1[1,1]", expand=True)
    rules = [s.rule for s in d.steps]
    assert rules[0] == "loss_derivative"  # from the output back: nothing used before derived
    assert isinstance(d.sections[-1].subject, sp.Derivative)  # the gradient comes last
    assert d.sections[-1].steps[0].rule == "chain_rule"
    assert {"linear", "activation_derivative", "loss_derivative", "substitution"} <= set(rules)
    assert "multivariate_chain_rule" in rules  # a hidden unit feeds two outputs
    assert [r.rule for r in d.results] == ["result", "expanded"]
    assert str(d.results[0].rhs) == "delta_1_1*x_1"
    assert "∂L/∂w_1_1_1 = ∂L/∂z_1_1*∂z_1_1/∂w_1_1_1" in str(d)


def test_all_parameters_put_deltas_first():
    net = network((2, 2, 1), "tanh", "mse")
    d = derive(net, "all")
    kinds = [type(s.subject).__name__ for s in d.sections]
    first_gradient = kinds.index("Derivative")
    assert all(k == "Symbol" for k in kinds[:first_gradient])
    assert len(d.results) == net.parameter_count


@pytest.mark.parametrize(
    ("wrt", "count"), [("all", 9), (1, 6), ("layer 2", 3), ("W2", 2), ("b1[2]", 1), ("W1[2,1]", 1)]
)
def test_parameter_selection(wrt, count):
    net = network((2, 2, 1), "tanh", "mse")
    assert len(derive(net, wrt).results) == count


@pytest.mark.parametrize(
    ("wrt", "message"),
    [
        ("W3", "unknown parameter 'W3'; known: W1, b1, W2, b2"),
        ("W1[3,1]", "outside W1"),
        ("layer 5", "no layer 5"),
        ("w11", "unknown parameter 'w11'; known: W1, b1, W2, b2"),
        ("W 1", "cannot read parameter choice"),
        ("__import__('os')", "cannot read parameter choice"),
    ],
)
def test_bad_parameter_choices(wrt, message):
    from symnn.core.errors import SymnnError

    with pytest.raises(SymnnError, match=message.replace("[", r"\[")):
        derive(network((2, 2, 1), "tanh", "mse"), wrt)


def test_frozen_bias_has_no_gradient():
    from symnn.core.errors import SymnnError
    from symnn.spec.network import Dense, Network

    net = Network(2, [Dense(2, "sigmoid", trainable_bias=False), Dense(1)], "mse")
    assert len(derive(net).results) == 4 + 2 + 1
    with pytest.raises(SymnnError, match="frozen"):
        derive(net, "b1")


def test_jacobian_of_the_network_output_with_respect_to_its_input():
    net = network((2, 3, 2), "tanh", "squared_error")
    graph = build_graph(net)
    J = jacobian(net, graph.outputs, graph.inputs, expand=True)
    composed = [graph.expand(o) for o in graph.outputs]
    rng = np.random.default_rng(3)
    point = random_point(graph, rng, np.zeros(2))
    for i, out in enumerate(composed):
        for k, x in enumerate(graph.inputs):
            reference = evaluate(sp.diff(out, x), point)
            assert evaluate(J[i, k], point) == pytest.approx(reference, rel=1e-10)


def test_a_node_of_an_unknown_kind_is_an_error_naming_it():
    """A node kind the engine does not know never gets a silent adjoint of 1."""
    from dataclasses import replace

    from symnn.core.errors import SymnnError
    from symnn.core.graph import ACTIVATION, NodeKind

    graph = build_graph(network((2, 2, 1), "sigmoid", "squared_error"))
    residual = NodeKind("residual", ACTIVATION.adjoint, "sum_rule", "residual")
    definitions = tuple(
        replace(d, kind=residual) if str(d.symbol) == "a_1_1" else d for d in graph.definitions
    )
    with pytest.raises(SymnnError, match="a_1_1: unknown node kind 'residual'; known: "):
        backprop_for(replace(graph, definitions=definitions))


def test_parameters_of_any_rank_list_their_entries_row_major():
    from symnn.core.graph import Parameter

    kernel = sp.Array(
        [[[sp.Symbol(f"k_{i}{j}{k}") for k in range(2)] for j in range(2)] for i in range(2)]
    )
    entries = Parameter("K1", kernel, 1, True).entries()
    assert [index for index, _ in entries] == [
        (i, j, k) for i in range(2) for j in range(2) for k in range(2)
    ]
    assert all(kernel[index] == symbol for index, symbol in entries)

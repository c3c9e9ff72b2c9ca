"""The index form of networks that are graphs (residual sums, joins, tied weights).

Every formula keeps the widths n^{(l)} symbolic; the checks substitute the network's widths and
every unit index and compare both sides with the element-level engine at a random point.
"""

import pytest
import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.engine.index_form import graph_index_section
from symnn.engine.matrix import derive_matrix
from symnn.gallery.networks import bundled_spec
from symnn.spec.specfile import load_spec, network_from_dict
from tests.test_matrix import _check_index_step, _environment

j, k = sp.symbols("j k", integer=True, positive=True)
HIDDEN_SOFTMAX = {
    "inputs": 2,
    "layers": [
        {"name": "u", "units": 2, "activation": "tanh"},
        {"name": "v", "units": 2, "activation": "softmax", "inputs": ["input"]},
        {"kind": "concat", "inputs": ["u", "v"]},
        {"units": 1, "activation": "sigmoid"},
    ],
    "loss": "squared_error",
}


def _index_section(net):
    """The section of the matrix derivation headed ∂L/∂a^{(l)}_j (the graph's index form)."""
    found = [s for s in derive_matrix(net).sections if s.subject.has(ix.a_at)]
    assert len(found) == 1
    assert found[0] == graph_index_section(net)
    return found[0]


def _nets():
    yield "residual", load_spec(bundled_spec("residual.toml"))
    yield "tied", load_spec(bundled_spec("tied_autoencoder.toml"))
    yield "hidden-softmax", network_from_dict(HIDDEN_SOFTMAX)


@pytest.mark.parametrize(("name", "net"), list(_nets()), ids=[n for n, _ in _nets()])
def test_every_index_form_step_equals_the_element_level_at_the_widths(name, net):
    env = _environment(net, seed=3)
    section = _index_section(net)
    for step in section.steps:
        assert step.lhs.has(j), step  # a formula for every unit j, not one number
        assert _check_index_step(step, net, env) > 0, step


def test_a_residual_input_receives_the_sums_adjoint_plus_the_branchs_term():
    net = load_spec(bundled_spec("residual.toml"))  # a³ = a¹ + F(a¹), F = layer 2
    steps = {s.lhs: s for s in _index_section(net).steps if s.rhs != s.lhs}
    d_a = lambda l: sp.Derivative(nt.LOSS, ix.a_at(l, j), evaluate=False)  # noqa: E731
    term = sp.Mul(ix.w_at(2, k, j), ix.delta_at(2, k), evaluate=False)
    branch = sp.Sum(term, (k, 1, ix.width(2)))
    fork = steps[d_a(1)]
    assert fork.rule == "fork_sum"
    assert fork.rhs.args == (branch, d_a(3))  # read by F (layer 2) and by the sum (layer 3)
    assert steps[d_a(2)].rule == "sum_adjoint"
    assert steps[d_a(2)].rhs == d_a(3)
    assert ix.width(2) in fork.rhs.atoms(ix.width)  # the width stays a symbol


def test_a_tied_weight_sums_its_two_uses_and_says_so():
    net = load_spec(bundled_spec("tied_autoencoder.toml"))
    dw = sp.Derivative(nt.LOSS, ix.w_at(1, j, k), evaluate=False)
    (step,) = [s for s in _index_section(net).steps if s.lhs == dw]
    assert step.rule == "shared_weight" and "used by layers 1 and 2" in step.note
    encoder = sp.Mul(ix.delta_at(1, j), ix.a_at(0, k), evaluate=False)
    decoder = sp.Mul(ix.delta_at(2, k), ix.a_at(1, j), evaluate=False)  # z²_k = Σ_j w¹_jk a¹_j
    assert step.rhs.args == (encoder, decoder)


def test_a_join_passes_the_second_input_the_entries_after_the_first():
    net = network_from_dict(HIDDEN_SOFTMAX)
    steps = {s.lhs: s for s in _index_section(net).steps}
    second = steps[sp.Derivative(nt.LOSS, ix.a_at(2, j), evaluate=False)]
    assert second.rule == "concatenation"
    assert second.rhs == sp.Derivative(nt.LOSS, ix.a_at(3, ix.width(1) + j), evaluate=False)


def test_a_graph_with_a_layer_without_an_index_rule_has_no_index_form(monkeypatch):
    from symnn.layers import LAYERS

    net = network_from_dict(HIDDEN_SOFTMAX)
    monkeypatch.delattr(LAYERS["concat"], "index_rule")
    assert graph_index_section(net) is None
    assert not any(s.subject.has(ix.a_at) for s in derive_matrix(net).sections)

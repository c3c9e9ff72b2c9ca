"""Every registered layer kind through its example networks (registering a layer enrols it).

Five-way agreement: the engine's gradients vs sympy.diff of the composed loss, the element-level
code, the matrix-level code where the kind has a matrix rule, central finite differences, and
HIPS autograd through each layer's own oracle forward. Plus the graph spec's errors.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.layers import LAYERS
from symnn.layers.base import without_matrix_rule
from symnn.spec.network import Dense, Network
from symnn.spec.specfile import network_from_dict
from symnn.training import oracle
from symnn.training.check import finite_differences, random_batch, random_params, relative_error
from tests.test_engine import assert_engine_matches_sympy_diff

EXAMPLES = [
    pytest.param(spec, id=f"{kind}-{i}")
    for kind in LAYERS
    for i, spec in enumerate(LAYERS[kind].examples)
]


def test_every_layer_kind_has_examples():
    for kind in LAYERS:
        if LAYERS[kind].__module__.startswith("symnn.layers."):  # not the README's worked one
            assert LAYERS[kind].examples, kind


def _five_way(net, seed=0, n=5):
    """Element code vs finite differences and autograd (and matrix code where it exists)."""
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    element = compile_gradients(net)
    loss, grads = element(params, X, Y)
    numeric = finite_differences(element, params, X, Y, element.parameter_names)
    ref_loss, reference = oracle.gradients(net, params, X, Y)
    assert loss == pytest.approx(ref_loss, rel=1e-12, abs=1e-12)
    assert set(grads) == set(element.parameter_names)
    for name in element.parameter_names:
        assert relative_error(grads[name], numeric[name]) < 1e-6, name
        assert relative_error(grads[name], reference[name]) < 1e-10, name
    if without_matrix_rule(net) is None:
        matrix = compile_matrix_gradients(net)
        m_loss, m_grads = matrix(params, X, Y)
        assert m_loss == pytest.approx(loss, rel=1e-12, abs=1e-12)
        assert set(m_grads) == set(grads)
        for name in grads:
            assert relative_error(m_grads[name], grads[name]) < 1e-10, name
    return params, X, Y, loss, grads


def _sympy_limit(spec):
    """How many gradients to check against sympy.diff: all, unless a layer kind caps it.

    A gated recurrent layer's expanded gradients grow fast with T (an LSTM of T = 2, H = 2
    takes ~20 s per gradient to print and evaluate), so such a kind names a random few.
    """
    kinds = {layer.get("kind", "dense") for layer in spec["layers"]}
    limits = [getattr(LAYERS[k], "sympy_check_limit", None) for k in sorted(kinds)]
    limits = [n for n in limits if n is not None]
    return min(limits) if limits else None


@pytest.mark.parametrize("spec", EXAMPLES)
def test_engine_matches_sympy_diff(spec):
    assert_engine_matches_sympy_diff(network_from_dict(spec), limit=_sympy_limit(spec))


@pytest.mark.parametrize("spec", EXAMPLES)
def test_generated_code_agrees_with_finite_differences_and_autograd(spec):
    _five_way(network_from_dict(spec))


@settings(max_examples=5, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["tanh", "sigmoid", "softplus"]),
    st.integers(0, 2**16),
)
def test_residual_networks_of_random_shapes(inputs, width, activation, seed):
    layers = [
        Dense(width, activation, name="h"),
        Dense(width, activation, name="f"),
        LAYERS["add"](("h", "f")),
        Dense(1),
    ]
    _five_way(Network(inputs, layers, "mse"), seed=seed)


def test_a_shared_weight_sums_its_uses_and_the_derivation_says_so():
    from symnn.engine import derive

    net = network_from_dict(LAYERS["dense"].examples[1])
    d = derive(net, "W1[1,2]")
    chain = d.sections[-1].steps[0]  # the gradient comes after the δ terms it reads
    assert "shared by layers 1 and 2" in chain.note
    assert chain.rule == "shared_weight"
    assert len(d.results[0].rhs.args) == 2  # one term per use


def test_the_toml_kind_defaults_to_dense():
    spec = {"inputs": 2, "layers": [{"units": 2}, {"kind": "dense", "units": 1}]}
    assert network_from_dict(spec).layers == Network(2, [Dense(2), Dense(1)]).layers


def _net(*layers, inputs=2, loss="mse"):
    return network_from_dict({"inputs": inputs, "layers": list(layers), "loss": loss})


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (
            [{"units": 2, "inputs": ["later"]}, {"name": "later", "units": 1}],
            r"layers\[1\]\.inputs: unknown layer 'later' \(a layer reads only earlier layers, "
            "so a later name would make a cycle\\); known: input",
        ),
        (
            [{"name": "h", "units": 2, "inputs": ["h"]}, {"units": 1}],
            r"layers\[1\] \('h'\)\.inputs: unknown layer 'h'",
        ),
        (
            [{"name": "h", "units": 3}, {"kind": "add", "inputs": ["h", "input"]}],
            r"layers\[2\]\.inputs: an add layer sums blocks of one width, "
            r"found h \(3\), input \(2\)",
        ),
        (
            [{"name": "h", "units": 3}, {"kind": "add", "inputs": ["h"]}],
            r"layers\[2\]\.inputs: expected at least two layer names to add",
        ),
        (
            [{"name": "h", "units": 2}, {"kind": "add", "inputs": ["h", "h"]}, {"units": 1}],
            r"layers\[2\]\.inputs: expected distinct layer names, found 'h' more than once",
        ),
        (
            [{"name": "h", "units": 3}, {"units": 2, "inputs": ["h", "input"]}],
            r"layers\[2\]\.inputs: expected one block for a dense layer",
        ),
        (
            [{"name": "enc", "units": 3}, {"units": 2, "weights_from": "enc"}],
            r"layers\[2\]\.weights_from: a shared weight has one shape: W1 is 3×2, but this layer "
            r"needs 2×3 \(units × inputs\); for a tied decoder set transpose = true",
        ),
        (
            [{"name": "enc", "units": 3}, {"units": 3, "weights_from": "enc", "transpose": True}],
            r"layers\[2\]\.weights_from: a shared weight has one shape: W1ᵀ is 2×3, but this "
            r"layer needs 3×3",
        ),
        (
            [{"name": "enc", "units": 3}, {"units": 2, "weights_from": "nope"}],
            r"layers\[2\]\.weights_from: unknown layer 'nope'",
        ),
        (
            [{"units": 2, "transpose": True}],
            r"layers\[1\]\.transpose: only a layer with weights_from reads Wᵀ",
        ),
        (
            [{"name": "side", "units": 2}, {"units": 1, "inputs": ["input"]}],
            r"layers\[1\] \('side'\): no later layer reads it, but only the last layer is the "
            "network's output",
        ),
        ([{"kind": "conv9", "units": 2}], r"layers\[1\]\.kind: unknown layer kind 'conv9'"),
        ([{"kind": "add", "units": 2}], r"layers\[1\]: unknown key 'units'; known: inputs, name"),
        (
            [{"name": "h", "units": 2}, {"name": "h", "units": 2}],
            r"layers\[2\] \('h'\)\.name: 'h' names two blocks",
        ),
    ],
)
def test_bad_graphs_are_errors_naming_layer_and_key(layers, message):
    with pytest.raises(SymnnError, match=message):
        _net(*layers)


def test_the_neuron_notation_needs_a_chain():
    spec = {"inputs": 2, "notation": "neuron", "layers": LAYERS["add"].examples[0]["layers"]}
    with pytest.raises(SymnnError, match="notation: expected 'layered'"):
        network_from_dict(spec)


def test_a_layer_without_a_matrix_rule_is_refused_at_the_matrix_level_by_name():
    class Plain:
        kind = "plain"

    class Spec:
        layers = (LAYERS["dense"](2), Plain())

    assert without_matrix_rule(Spec()) == (
        "layers[2]: the layer kind 'plain' has no matrix-level rule; use the element level"
    )


def test_the_matrix_code_of_a_tied_autoencoder_sums_both_uses():
    source = compile_matrix_gradients(network_from_dict(LAYERS["dense"].examples[1])).source
    assert 'grads["W1"] = (Delta1.T @ X + A1.T @ Delta2)\n' in source  # 1/N is in Δ
    assert 'Z2 = numpy.matmul(A1, W1, out=kept(work, "Z2", (N, 3)))\n    Z2 += b2\n' in source


MATRIX_EXAMPLES = [
    pytest.param(spec, id=f"{kind}-{i}")
    for kind in LAYERS
    for i, spec in enumerate(LAYERS[kind].examples)
    if all(hasattr(LAYERS[layer.get("kind", "dense")], "matrix_rule") for layer in spec["layers"])
]


@pytest.mark.parametrize("spec", MATRIX_EXAMPLES)
def test_every_matrix_step_equals_the_element_level(spec):
    """The matrix rules (forward, Jacobians, adjoints, gradients) instantiated at the widths."""
    from symnn.engine.matrix import derive_matrix
    from tests.test_matrix import _check_step, _environment

    net = network_from_dict(spec)
    env = _environment(net)
    derivation = derive_matrix(net)
    for step in derivation.steps + list(derivation.results):
        _check_step(step, net, env)


@pytest.mark.parametrize(("kind", "example"), [("add", 0), ("add", 1), ("concat", 0), ("dense", 1)])
def test_a_graph_network_has_the_batch_forms_checked_against_the_element_level(kind, example):
    """Residual, concatenation and tied networks: samples as rows, from the per-layer rules."""
    from symnn.core.matexpr import Grad
    from symnn.engine.matrix import derive_matrix
    from tests.test_matrix import _check_step, _environment

    net = network_from_dict(LAYERS[kind].examples[example])
    assert not net.is_chain
    derivation = derive_matrix(net)
    batch = [s for s in derivation.steps if s.rule == "batch_rows"]
    lbar = sp.Symbol("Lbar", real=True)
    means = [s for s in derivation.steps if isinstance(s.lhs, Grad) and s.lhs.args[0] == lbar]
    # every layer's forward in rows, and a batch gradient for every per-sample one
    assert {nt.parse_matrix(s.lhs)[1] for s in batch if isinstance(s.lhs, sp.MatrixSymbol)} >= set(
        range(1, len(net.layers) + 1)
    )
    per_sample = [
        s for s in derivation.results if isinstance(s.lhs, Grad) and s.lhs.args[0] != lbar
    ]
    parameters = {s.lhs.args[1] for s in per_sample if nt.parse_matrix(s.lhs.args[1])[0] == "W"}
    assert parameters <= {s.lhs.args[1] for s in means}
    if kind == "dense":  # tied: the batch gradient of W¹ sums its two uses
        assert [s.rule for s in means if s.lhs.args[1].name == "W_1"] == ["shared_weight"]
    env = _environment(net)
    for step in batch + means:
        _check_step(step, net, env)


def test_a_residual_block_shows_identity_plus_the_jacobian_of_its_branch():
    from symnn.core.matexpr import Jac
    from symnn.engine.matrix import derive_matrix

    net = network_from_dict(LAYERS["add"].examples[0])
    steps = [s for s in derive_matrix(net).steps if s.rule == "residual_jacobian"]
    assert len(steps) == 1
    a1, a2, a3 = (sp.MatrixSymbol(f"avec_{l}", 2, 1) for l in (1, 2, 3))
    assert steps[0].lhs == Jac(a3, a1)
    assert steps[0].rhs.args == (sp.Identity(2), Jac(a2, a1))


def test_a_layer_without_a_matrix_rule_is_refused_by_derive_matrix_by_name(monkeypatch):
    from symnn.engine.matrix import derive_matrix

    net = network_from_dict(LAYERS["concat"].examples[0])
    monkeypatch.delattr(LAYERS["concat"], "matrix_rule")
    with pytest.raises(SymnnError, match=r"layers\[3\]: the layer kind 'concat' has no matrix"):
        derive_matrix(net)


def test_every_registered_layer_assembles_the_matrix_derivation_through_its_hook():
    from symnn.layers.base import MatrixRule

    kinds = {layer.get("kind", "dense") for p in MATRIX_EXAMPLES for layer in p.values[0]["layers"]}
    assert {"dense", "add", "concat"} <= kinds
    for kind in kinds:
        assert callable(getattr(LAYERS[kind], "matrix_rule", None)), kind  # its own or its base's
    assert MatrixRule().gradient_steps is None  # every field defaults: a layer fills what it has


def test_concat_passes_each_input_its_slice_of_the_adjoint():
    from symnn.core.matexpr import Grad, Rows
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    net = network_from_dict(LAYERS["concat"].examples[0])  # u (2) and v (1) joined into a3
    derivation = derive_matrix(net)
    results = {str(r.lhs): r.rhs for r in derivation.results}
    g = Grad(sp.Symbol("L"), sp.MatrixSymbol("avec_3", 3, 1))
    assert results["∂L/∂avec_2"] == Rows(results["∂L/∂avec_2"].args[0], 3, 3)
    assert results["∂L/∂avec_2"].args[0].args[1] == g.args[1]
    # a1 is read by the concatenation only: rows 1 to 2 of ∂L/∂a3
    assert results["∂L/∂avec_1"].span == (1, 2)
    text = render_derivation(derivation, "md")
    assert r"\left[\frac{\partial L}{\partial a^{(3)}}\right]_{1:2}" in text
    assert r"a^{(3)} & = \left[\begin{matrix}a^{(1)}\\a^{(2)}\end{matrix}\right]" in text


@pytest.mark.parametrize("spec", ["residual", "tied_autoencoder"])
@pytest.mark.parametrize("level", ["element", "matrix"])
def test_symnn_check_passes_on_the_gallery_graphs_at_both_levels(spec, level, capsys):
    from pathlib import Path

    from symnn.cli.main import main

    path = Path(__file__).resolve().parent.parent / "examples" / f"{spec}.toml"
    assert main(["check", str(path), "--level", level]) == 0
    assert "PASS" in capsys.readouterr().out


def test_the_cli_refuses_a_bad_graph_in_one_line(tmp_path, capsys):
    from symnn.cli.main import main

    spec = tmp_path / "bad.toml"
    spec.write_text('inputs = 2\n[[layers]]\nunits = 2\ninputs = ["nowhere"]\n')
    assert main(["derive", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "layers[1].inputs: unknown layer 'nowhere'" in err


def test_block_jacobians_of_a_graph_are_refused_not_wrong():
    from symnn.engine.blocks import block_jacobian

    net = network_from_dict(LAYERS["add"].examples[0])
    with pytest.raises(SymnnError, match="need a chain of dense layers"):
        block_jacobian(net, "a3", "x")


def test_a_layer_number_without_parameters_says_so_instead_of_no_such_layer():
    from symnn.engine.element import derive

    net = network_from_dict(LAYERS["add"].examples[0])  # layer 3 is the sum
    with pytest.raises(SymnnError, match=r"^layer 3 \(add\) has no parameters of its own; "):
        derive(net, 3)
    with pytest.raises(SymnnError, match=r"^no layer 7; layers are 1 to 4 \(with parameters"):
        derive(net, 7)


def test_nodes_are_located_by_block_and_index():
    from symnn.engine.element import backprop_for

    net = network_from_dict(LAYERS["concat"].examples[0])
    graph = backprop_for(net).graph
    joined = [d for d in graph.definitions if d.block == 3]
    assert [d.index for d in joined] == [1, 2, 3]
    assert [d.kind.name for d in joined] == ["concat"] * 3
    assert (joined[2].layer, joined[2].unit) == (3, 3)  # the older names still read
    assert [p.block for p in graph.parameters] == [1, 1, 2, 2, 4, 4]


def test_a_sum_block_is_headed_by_what_it_is_not_as_a_hidden_layer():
    from symnn.engine.element import derive
    from symnn.output.document import render_derivation

    net = network_from_dict(LAYERS["add"].examples[0])
    text = render_derivation(derive(net), "md")
    assert "## Layer 3, sum (skip connection): gradient of its output" in text
    assert "Hidden layer 3" not in text and "## Hidden layer 2: error terms" in text


def test_the_matrix_level_cites_no_diag_rule_for_an_identity_and_no_transposed_identity():
    from symnn.core.matexpr import Grad, Jac
    from symnn.engine.matrix import derive_matrix

    L = sp.Symbol("L", real=True)
    net = network_from_dict(LAYERS["add"].examples[0])  # identity read-out, a sum read by it
    steps = derive_matrix(net).steps
    identity = [s for s in steps if isinstance(s.lhs, Jac) and str(s.lhs) == "∂avec_4/∂zvec_4"]
    assert [s.rule for s in identity] == ["identity_jacobian"]
    transposed_identity = [
        s for s in steps if any(isinstance(t.arg, sp.Identity) for t in s.rhs.atoms(sp.Transpose))
    ]
    assert transposed_identity == []
    a1, a2, a3 = (sp.MatrixSymbol(f"avec_{l}", 2, 1) for l in (1, 2, 3))
    chain = next(s for s in steps if s.lhs == Grad(L, a2) and s.rule == "vector_chain_rule")
    assert chain.rhs.args[0] == sp.Transpose(Jac(a3, a2))  # a2 is a plain term: ∂a3/∂a2 = I
    # ∂a3/∂a1 is I + J_F (stated above): the local Iᵀ ∂L/∂a3 must not be written with it
    chain = next(s for s in steps if s.lhs == Grad(L, a1) and s.rule == "vector_chain_rule")
    assert not chain.rhs.has(Jac(a3, a1)) and chain.rhs.args[1] == Grad(L, a3)


def test_the_skip_connection_rule_typesets_its_formula_as_maths():
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    text = render_derivation(derive_matrix(network_from_dict(LAYERS["add"].examples[0])), "tex")
    assert r"(a + F(a)) = I + J_F" in text
    assert r"\_" not in text  # was J}\_\text{F}: an escaped underscore in text mode

"""The matrix-level derivation: every step, at concrete widths, equals the element level."""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.engine.backprop import adjoint_symbol
from symnn.engine.blocks import block_jacobian, explicit_jacobian
from symnn.engine.element import backprop_for
from symnn.engine.index_form import LAYER, ActivationDerivative, index_recursion
from symnn.engine.instantiate import instantiate
from symnn.engine.jacobian import jacobian
from symnn.engine.matrix import BATCH_LOSS, derive_matrix
from symnn.numerics import NAMESPACE
from symnn.printing.code import CodePrinter
from symnn.printing.latex import tex
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.rules.unit import unit_derivative
from symnn.spec.network import Dense, Network
from symnn.training.check import random_batch
from tests.helpers import network
from tests.test_codegen_matrix import networks

HIDDEN = list(ACTIVATIONS)  # every registered activation, softmax included, enrolled by name
NETS = {f"hidden-{name}": network((2, 3, 2), name, "squared_error") for name in HIDDEN}
NETS |= {f"loss-{name}": network((2, 3, 3), "tanh", name) for name in LOSSES}
NETS |= {
    "softmax-then-squared-error": network((2, 2, 3), "sigmoid", "squared_error", "softmax"),
    "deep-mixed": Network(
        2, [Dense(3, "relu"), Dense(2, "softmax"), Dense(3, "elu"), Dense(2, "sigmoid")], "mse"
    ),
    "bias-free-and-frozen": Network(
        3,
        [Dense(2, "leaky_relu", bias=False), Dense(2, "tanh", trainable_bias=False), Dense(1)],
        "huber",
    ),
    "one-unit-logits": network((1, 1), "identity", "binary_cross_entropy_logits"),
    "single-softmax-layer": network((2, 3), "identity", "cross_entropy"),
}


def _numeric(expr, env):
    """Entries of an expression or matrix in float64, symnn's rules through their NumPy code."""
    matrix = sp.Matrix(expr) if getattr(expr, "is_Matrix", False) else sp.Matrix([[expr]])
    symbols = sorted(matrix.free_symbols, key=sp.default_sort_key)
    missing = [s for s in symbols if s not in env]
    if missing:
        raise KeyError(missing)
    f = sp.lambdify(symbols, matrix, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter())
    return np.array(f(*[env[s] for s in symbols]), dtype=float)


def _environment(net, seed=0):
    """A consistent point: random x, y, parameters; the forward values; every element adjoint."""
    rng = np.random.default_rng(seed)
    bp = backprop_for(net)
    graph = bp.graph
    X, Y = random_batch(net, rng, 1)
    env = dict(zip(graph.inputs, X[0], strict=True)) | dict(zip(graph.targets, Y[0], strict=True))
    for p in graph.parameters:
        for _, s in p.entries():
            env[s] = rng.normal(0.0, 0.8)
    for d in graph.definitions:
        env[d.symbol] = float(_numeric(d.expr, env)[0, 0])
    for d in reversed(graph.definitions[:-1]):
        env[adjoint_symbol(d)] = float(_numeric(bp.adjoints[d.symbol], env)[0, 0])
    return env


def _concrete(expr, net):
    """An index-form expression at integer indices, written in element-level quantities."""
    bp = backprop_for(net)

    def derivative(d):
        u, (v, _) = d.expr, d.variable_count[0]
        if u == nt.LOSS:
            kind, _idx = nt.parse(v)
            if kind in ("z", "a"):
                return adjoint_symbol(bp.graph.definition(v))
            return bp.gradients[v]
        return jacobian(net, [u], [v])[0, 0]

    def fprime(z):
        _, (layer, unit) = nt.parse(z)
        return unit_derivative(net.layers[layer - 1], z, nt.a(layer, unit))

    # Written out by hand: Sum.doit would evaluate (or mis-substitute into) the ∂L/∂z inside.
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), _expand_sum)
    expr = expr.replace(lambda e: isinstance(e, sp.Derivative), derivative)
    return expr.replace(lambda e: isinstance(e, ActivationDerivative), lambda e: fprime(e.args[0]))


def _expand_sum(total):
    (var, low, high), body = total.limits[0], total.function
    return sp.Add(*[body.xreplace({var: sp.Integer(v)}) for v in range(int(low), int(high) + 1)])


def _index_symbols(step):
    # atoms, not free_symbols: the variables of a Derivative count as bound there.
    sides = (step.lhs, step.rhs)
    found = {s for side in sides for s in side.atoms(sp.Symbol) if s.name in "ijkl"}
    bound = {v for side in sides for total in side.atoms(sp.Sum) for v in total.variables}
    return sorted(found - bound, key=sp.default_sort_key)


def _check_index_step(step, net, env) -> int:
    """Compare both sides for every assignment of the free indices that names real quantities."""
    names = _index_symbols(step)
    depth, widest = len(net.layers), max(net.widths)
    checked = 0
    for values in itertools.product(range(1, widest + 1), repeat=len(names)):
        assignment = dict(zip(names, values, strict=True))
        if LAYER in assignment:
            layer = assignment[LAYER]
            recursion = step.lhs.has(LAYER + 1) or step.rhs.has(LAYER + 1)
            uses_f = recursion or step.rhs.has(ActivationDerivative)
            if layer > depth or (recursion and layer == depth):
                continue
            if uses_f and not ACTIVATIONS[net.layers[layer - 1].activation].elementwise:
                continue  # the general recursion speaks of elementwise layers
        sides = []
        for side in (step.lhs, step.rhs):
            e = side.xreplace({s: sp.Integer(v) for s, v in assignment.items()})
            e = e.replace(lambda u: isinstance(u, ix.width), lambda u: net.widths[int(u.args[0])])
            sides.append(e)
        quantities = {s for e in sides for s in e.free_symbols} - {nt.LOSS}
        quantities |= {
            v for e in sides for d in e.atoms(sp.Derivative) for v in d.variables if v.is_Symbol
        }
        if any(s not in env for s in quantities):
            continue  # an index outside this layer's width
        try:
            lhs, rhs = (_numeric(_concrete(e, net), env) for e in sides)
        except (KeyError, IndexError, SymnnError):
            continue  # an index outside this layer's width
        np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-12, err_msg=str(step))
        checked += 1
    return checked


def _check_step(step, net, env, *, require: bool = True) -> None:
    """Both sides equal at the point; ``require``: an index-form step must have an instance."""
    if step.lhs == BATCH_LOSS:
        return  # the definition of the batch mean
    names = _index_symbols(step)
    elementwise = [ACTIVATIONS[layer.activation].elementwise for layer in net.layers]
    recursion = step.lhs.has(LAYER + 1) or step.rhs.has(LAYER + 1)
    if LAYER in names and (
        (recursion and not any(elementwise[:-1]))
        or (step.rhs.has(ActivationDerivative) and not any(elementwise))
    ):
        return  # the general form is checked on networks with layers it speaks of
    if names:
        checked = _check_index_step(step, net, env)
        assert checked > 0 or not require, f"nothing checked for {step}"
        return
    lhs, rhs = (_numeric(instantiate(side, net), env) for side in (step.lhs, step.rhs))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-12, err_msg=f"{step.rule}: {step}")


@pytest.mark.parametrize("name", list(NETS))
def test_every_step_equals_the_element_level(name):
    net = NETS[name]
    env = _environment(net)
    derivation = derive_matrix(net)
    for step in derivation.steps + list(derivation.results):
        _check_step(step, net, env)


@pytest.mark.parametrize("name", ["hidden-sigmoid", "hidden-tanh", "loss-mse", "deep-mixed"])
def test_results_equal_the_element_level_symbolically(name):
    net = NETS[name]
    bp = backprop_for(net)
    named = {adjoint_symbol(d): bp.adjoints[d.symbol] for d in bp.graph.definitions[:-1]}
    grad_a = {s: e for s, e in named.items() if s.name.startswith("dL_da")}
    for step in derive_matrix(net).results:
        if step.lhs.name.startswith("deltavec") if hasattr(step.lhs, "name") else False:
            matrix = instantiate(step.rhs, net)
            element = instantiate(step.lhs, net).applyfunc(lambda s: named[s])
            difference = (matrix - element).xreplace(grad_a).xreplace(grad_a)
            assert sp.simplify(difference) == sp.zeros(*difference.shape), step


def test_results_cover_every_trainable_parameter():
    net = NETS["bias-free-and-frozen"]
    lhs = [tex(r.lhs) for r in derive_matrix(net).results]
    assert r"\frac{\partial L}{\partial W^{(1)}}" in lhs
    assert r"\frac{\partial L}{\partial b^{(1)}}" not in lhs  # no bias
    assert r"\frac{\partial L}{\partial b^{(2)}}" not in lhs  # frozen
    assert r"\frac{\partial L}{\partial b^{(3)}}" in lhs


def test_textbook_forms_print_cleanly():
    net = network((3, 4, 2), "sigmoid", "cross_entropy")
    d = derive_matrix(net)
    text = "\n".join(tex(s.lhs) + " = " + tex(s.rhs) for s in d.steps + list(d.results))
    assert r"\delta^{(1)} = \left(\left(W^{(2)}\right)^{T} \delta^{(2)}\right) \odot" in text
    assert r"\frac{\partial L}{\partial W^{(1)}} = \delta^{(1)} x^{T}" in text
    assert r"\operatorname{diag}\left(a^{(2)}\right) - a^{(2)} \left(a^{(2)}\right)^{T}" in text
    assert r"\delta^{(2)} = a^{(2)} - y" in text
    batch = r"\frac{\partial \bar{L}}{\partial W^{(2)}} = \frac{1}{N} \left(\Delta^{(2)}\right)^{T}"
    assert batch in text
    for internal in ("PermuteDims", "ArrayContraction", "HadamardProduct", "MatrixElement", "vec"):
        assert internal not in text
    general = tex(index_recursion().rhs)
    assert general == (
        r"f'\left(z^{(l)}_{j}\right) \sum_{k=1}^{n^{(l + 1)}} w^{(l + 1)}_{kj} \delta^{(l + 1)}_{k}"
    )


def test_conventions_are_stated():
    context = derive_matrix(NETS["hidden-relu"]).context
    assert context["layout"] == "numerator" and context["samples"] == "rows"
    assert "N × n₀" in context["conventions"]["samples"]
    assert "(len u, len v)" in context["conventions"]["layout"]


def test_derivation_cost_does_not_grow_with_widths():
    small = derive_matrix(network((3, 4, 2), "relu", "softmax_cross_entropy"))
    large = derive_matrix(network((784, 128, 10), "relu", "softmax_cross_entropy"))
    assert [s.rule for s in small.steps] == [s.rule for s in large.steps]
    assert sum(sp.count_ops(s.rhs) for s in large.steps) == sum(
        sp.count_ops(s.rhs) for s in small.steps
    )


def test_index_recursion_rejects_what_it_cannot_state():
    net = NETS["deep-mixed"]
    with pytest.raises(SymnnError, match="elementwise"):
        index_recursion(net, 2)
    with pytest.raises(SymnnError, match="hidden layer"):
        index_recursion(net, 4)


JACOBIAN_NETS = ["deep-mixed", "hidden-softmax", "bias-free-and-frozen", "hidden-gelu"]


def _vector(net, name):
    """Element-level symbols of the vector called ``name`` ("x", "z2", "a1")."""
    if name == "x":
        return [nt.x(k) for k in range(1, net.inputs + 1)]
    layer = int(name[1:])
    maker = nt.z if name[0] == "z" else nt.a
    return [maker(layer, j) for j in range(1, net.widths[layer] + 1)]


@pytest.mark.parametrize("name", JACOBIAN_NETS)
def test_block_jacobians_equal_the_element_level(name):
    net = NETS[name]
    env = _environment(net)
    depth = len(net.layers)
    names = ["x"] + [f"{kind}{l}" for l in range(1, depth + 1) for kind in "za"]
    for i, wrt in enumerate(names):
        for of in names[i:]:
            explicit = explicit_jacobian(net, of, wrt)
            element = jacobian(net, _vector(net, of), _vector(net, wrt))
            assert explicit.shape == element.shape
            np.testing.assert_allclose(
                _numeric(explicit, env), _numeric(element, env), rtol=1e-9, atol=1e-12
            )


@pytest.mark.parametrize("name", ["softmax-then-squared-error", "hidden-tanh", "hidden-softmax"])
def test_network_jacobian_matches_finite_differences(name):
    net = NETS[name]
    env = _environment(net, seed=3)
    depth = len(net.layers)
    explicit = explicit_jacobian(net, f"a{depth}", "x", expand=True)
    graph = backprop_for(net).graph
    outputs = sp.Matrix([graph.expand(s) for s in _vector(net, f"a{depth}")])
    h = 1e-6
    columns = []
    for x in graph.inputs:
        up, down = dict(env), dict(env)
        up[x] += h
        down[x] -= h
        columns.append((_numeric(outputs, up) - _numeric(outputs, down))[:, 0] / (2 * h))
    np.testing.assert_allclose(_numeric(explicit, env), np.stack(columns, 1), atol=1e-7)


def test_block_jacobian_forms():
    net = network((2, 3, 3, 2), "sigmoid", "cross_entropy")
    whole = tex(block_jacobian(net, "a3", "x"))
    assert whole == (
        r"\left(\operatorname{diag}\left(a^{(3)}\right) - a^{(3)} \left(a^{(3)}\right)^{T}\right) "
        r"W^{(3)} \operatorname{diag}\left(\sigma'\left(z^{(2)}\right)\right) W^{(2)} "
        r"\operatorname{diag}\left(\sigma'\left(z^{(1)}\right)\right) W^{(1)}"
    )
    assert block_jacobian(net, "z2", "a1") == nt.weights(2, 3, 3)
    assert block_jacobian(net, "a1", "a1") == sp.Identity(3)
    assert block_jacobian(net, "a3", "a0").shape == (2, 2)
    with pytest.raises(SymnnError, match="comes earlier"):
        block_jacobian(net, "x", "a1")
    with pytest.raises(SymnnError, match="expected 'x'"):
        block_jacobian(net, "h1", "x")
    with pytest.raises(SymnnError, match="no z0"):
        block_jacobian(net, "a1", "z0")


@pytest.mark.parametrize("name", list(NETS))
def test_every_step_prints_in_latex(name):
    d = derive_matrix(NETS[name])
    for step in d.steps + list(d.results):
        for side in (step.lhs, step.rhs):
            text = tex(side) + tex(side, partial="slash")
            internals = ("PermuteDims", "ArrayContraction", "Hadamard", "MatrixElement", "_at")
            for internal in (*internals, "PLACEHOLDER", "Lambda", "mapsto"):
                assert internal not in text, (step, text)
    assert str(d)  # and as plain text


def test_output_does_not_depend_on_the_hash_seed():
    script = (
        "from tests.test_matrix import NETS, derive_matrix, tex\n"
        "from symnn.codegen.matrix import matrix_source\n"
        "for net in (NETS['deep-mixed'], NETS['loss-huber']):\n"
        "    d = derive_matrix(net)\n"
        "    print(d, *(tex(s.lhs) + tex(s.rhs) for s in d.steps), matrix_source(net))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "12345")
    }
    assert len(outputs) == 1


def test_hyperparameters_reach_the_derivation():
    net = Network(
        2,
        [Dense(3, "leaky_relu", activation_params={"slope": 0.2}), Dense(2)],
        "huber",
        loss_params={"delta": 0.3},
    )
    env = _environment(net)
    d = derive_matrix(net)
    for step in d.steps + list(d.results):
        _check_step(step, net, env)
    assert "0.2" in "".join(tex(s.rhs) for s in d.steps)


def test_explicit_jacobian_refuses_large_networks_quickly():
    big = network((784, 128, 10), "relu", "softmax_cross_entropy")
    with pytest.raises(SymnnError, match="use block_jacobian"):
        explicit_jacobian(big, "a2", "x")
    assert block_jacobian(big, "a2", "x").shape == (10, 784)


@settings(max_examples=12)
@given(networks(max_depth=3, max_width=3), st.integers(0, 2**16))
def test_random_networks_every_step_equals_the_element_level(net, seed):
    env = _environment(net, seed)
    derivation = derive_matrix(net)
    for step in derivation.steps + list(derivation.results):
        _check_step(step, net, env, require=False)  # e.g. no trainable bias: no ∂L/∂b to check

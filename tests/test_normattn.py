"""Normalisation and attention layers: closed forms vs the element level, PyTorch, bad specs.

The five-way agreement of every example network runs in tests/test_layers.py (the layers are
enrolled by registering); here: the closed forms the documents print, checked against the
engine's element-level adjoints at a random point, the generated NumPy against PyTorch with the
same weights, and each bad spec's one-line error.
"""

import numpy as np
import pytest
import sympy as sp

from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.spec.build import build_graph
from symnn.spec.specfile import network_from_dict
from symnn.training.check import random_batch, random_params


def element_values(net, params, x, y):
    """Every forward value and every named adjoint of one sample, from the element level."""
    graph = build_graph(net)
    bp = Backprop(graph)
    values: dict[sp.Symbol, sp.Float] = {}
    values |= {s: sp.Float(float(v)) for s, v in zip(graph.inputs, x, strict=True)}
    values |= {s: sp.Float(float(v)) for s, v in zip(graph.targets, y, strict=True)}
    for p in graph.parameters:
        for index, s in p.entries():
            values[s] = sp.Float(float(np.asarray(params[p.name])[index]))
    for d in graph.definitions:
        values[d.symbol] = sp.Float(float(sp.sympify(d.expr).xreplace(values).doit().evalf()))
    for d in reversed(graph.definitions[:-1]):
        expr = sp.sympify(bp.adjoints[d.symbol]).xreplace(values).doit()
        values[adjoint_symbol(d)] = sp.Float(float(expr.evalf()))
    return graph, {s: float(v) for s, v in values.items()}


def _column(values, make, layer, count):
    return np.array([values[make(layer, k)] for k in range(1, count + 1)])


# -- layernorm ---------------------------------------------------------------------------------
def _layernorm_second(shape):
    """A layernorm (layer 2) whose input block (layer 1's output) has ``shape``."""
    if len(shape) == 1:  # after a dense layer, normalised as one row
        first = {"units": shape[0], "activation": "tanh"}
        return network_from_dict(
            {"inputs": 2, "layers": [first, {"kind": "layernorm"}, {"units": 2}], "loss": "mse"}
        )
    rows, d = shape  # a (T, d) input through a first layernorm, which keeps its shape
    layers = [{"kind": "layernorm"}, {"kind": "layernorm"}, {"units": 2}]
    spec = {"inputs": rows * d, "input_shape": [rows, d], "layers": layers, "loss": "mse"}
    return network_from_dict(spec)


@pytest.mark.parametrize("shape", [(4,), (2, 3)])
def test_layernorm_closed_form_equals_the_element_level(shape):
    """dx = (1/d)(σ²+ε)^(−½)[d dx̂ − Σ dx̂ − x̂ Σ(dx̂ ⊙ x̂)], row by row, vs the three paths."""
    from symnn.core import notation as nt
    from symnn.layers.layernorm import VAR, XHAT

    net = _layernorm_second(shape)
    rng = np.random.default_rng(3)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 1)
    _, v = element_values(net, params, X[0], Y[0])
    rows, d = (1, shape[0]) if len(shape) == 1 else shape
    n = rows * d
    dxhat = _column(v, XHAT.adjoint, 2, n).reshape(rows, d)
    xhat = _column(v, XHAT, 2, n).reshape(rows, d)
    var = _column(v, VAR, 2, rows).reshape(rows, 1)
    eps = net.layers[1].eps
    closed = (
        (1 / d)
        * (var + eps) ** -0.5
        * (
            d * dxhat
            - dxhat.sum(axis=1, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)
        )
    )
    engine = _column(v, nt.grad_a, 1, n).reshape(rows, d)
    np.testing.assert_allclose(closed, engine, rtol=1e-10, atol=1e-13)


torch = pytest.importorskip("torch", reason="PyTorch comparisons need torch (optional)")


def _torch(params):
    return {k: torch.tensor(np.asarray(v), dtype=torch.float64) for k, v in params.items()}


def _torch_mse(out, Y):
    return ((out - torch.tensor(Y)) ** 2).mean(dim=1).mean()


def test_layernorm_matches_torch_layer_norm():
    spec = {
        "inputs": 12,
        "input_shape": [3, 4],
        "layers": [{"kind": "layernorm", "eps": 1e-3}, {"units": 2}],
        "loss": "mse",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 5)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    norm = torch.nn.LayerNorm(4, eps=1e-3, dtype=torch.float64)
    t = _torch(params)
    with torch.no_grad():
        norm.weight.copy_(t["gamma1"])
        norm.bias.copy_(t["beta1"])
    W2, b2 = (t[k].requires_grad_() for k in ("W2", "b2"))
    out = norm(torch.tensor(X).reshape(5, 3, 4)).reshape(5, 12) @ W2.T + b2
    reference = _torch_mse(out, Y)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(grads["gamma1"], norm.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(grads["beta1"], norm.bias.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(grads["W2"], W2.grad.numpy(), rtol=1e-9)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"eps": 0}, r"layers\[2\]\.eps: expected a positive number"),
        ({"eps": "small"}, r"layers\[2\]\.eps: expected a number"),
        ({"gamma": [1, 2]}, r"layers\[2\]\.gamma: expected a list of 3 numbers, found '2 numbers'"),
        ({"affine": False, "beta": [0, 0, 0]}, r"layers\[2\]\.affine: false has no gamma"),
        ({"affine": 1}, r"layers\[2\]\.affine: expected true or false"),
        ({"inputs": ["h", "input"]}, r"layers\[2\]\.inputs: expected one block"),
    ],
)
def test_bad_layernorm_specs_name_layer_and_key(layer, message):
    spec = {
        "inputs": 2,
        "layers": [{"units": 3, "name": "h"}, {"kind": "layernorm", **layer}, {"units": 1}],
    }
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


def test_layernorm_of_rows_of_one_entry_is_refused():
    spec = {"inputs": 3, "input_shape": [3, 1], "layers": [{"kind": "layernorm"}, {"units": 1}]}
    with pytest.raises(SymnnError, match=r"layers\[1\]: expected rows of at least 2 entries"):
        network_from_dict(spec)


def test_layernorm_toml_keys(tmp_path):
    from symnn.spec.specfile import load_spec

    path = tmp_path / "ln.toml"
    path.write_text(
        'inputs = 4\ninput_shape = [2, 2]\n[[layers]]\nkind = "layernorm"\neps = 0.01\n'
        "gamma = [1.5, 2.0]\nbeta = [0.1, -0.1]\n[[layers]]\nunits = 1\nweights = [[1, 2, 3, 4]]\n"
    )
    net = load_spec(path)
    assert net.layers[0].eps == 0.01 and net.layers[0].gamma == (1.5, 2.0)
    assert net.given_params()["beta1"].tolist() == [0.1, -0.1]

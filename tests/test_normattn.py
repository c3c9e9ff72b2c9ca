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
from symnn.core.functions import to_elementary
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.spec.build import build_graph
from symnn.spec.specfile import network_from_dict
from symnn.training.check import random_batch, random_params


def _number(expr, values):
    return sp.Float(float(to_elementary(sp.sympify(expr).xreplace(values)).evalf()))


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
        values[d.symbol] = _number(d.expr, values)
    for d in reversed(graph.definitions[:-1]):
        values[adjoint_symbol(d)] = _number(bp.adjoints[d.symbol], values)
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


# -- batchnorm ---------------------------------------------------------------------------------
def test_batchnorm_closed_form_over_the_batch_equals_the_element_level():
    """Over each column (feature) of the (B, d) block: the same closed form, with B for d."""
    from symnn.core import notation as nt
    from symnn.layers.layernorm import VAR, XHAT

    B, d = 3, 2
    spec = {
        "inputs": B * d,
        "input_shape": [B, d],
        "layers": [{"kind": "layernorm"}, {"kind": "batchnorm"}, {"kind": "layernorm"}],
        "loss": "mse",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(5)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 1)
    _, v = element_values(net, params, X[0], Y[0])
    dxhat = _column(v, XHAT.adjoint, 2, B * d).reshape(B, d)
    xhat = _column(v, XHAT, 2, B * d).reshape(B, d)
    var = _column(v, VAR, 2, d).reshape(1, d)
    closed = (
        (1 / B)
        * (var + net.layers[1].eps) ** -0.5
        * (
            B * dxhat
            - dxhat.sum(axis=0, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=0, keepdims=True)
        )
    )
    engine = _column(v, nt.grad_a, 1, B * d).reshape(B, d)
    np.testing.assert_allclose(closed, engine, rtol=1e-10, atol=1e-13)
    assert np.abs(engine.sum(axis=0)).max() < 1e-12  # a shift of a feature changes nothing


@pytest.mark.parametrize(
    ("shape", "layer", "message"),
    [
        ([1, 3], {}, r"layers\[1\]: a batch of 1 example has variance 0, so every x̂ is 0"),
        ([3], {}, r"layers\[1\]: batchnorm normalises over a batch, .*input_shape = \[B, d\]"),
        ([3, 2], {"eps": -1}, r"layers\[1\]\.eps: expected a positive number"),
        ([3, 2], {"beta": [1]}, r"layers\[1\]\.beta: expected a list of 2 numbers"),
    ],
)
def test_bad_batchnorm_specs_name_layer_and_key(shape, layer, message):
    spec = {
        "inputs": int(np.prod(shape)),
        "input_shape": shape,
        "layers": [{"kind": "batchnorm", **layer}],
        "loss": "mse",
    }
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


# -- attention ---------------------------------------------------------------------------------
def _attention(T=3, d=2, **layer):
    spec = {
        "inputs": T * d,
        "input_shape": [T, d],
        "layers": [{"kind": "attention", **layer}, {"units": 2, "activation": "tanh"}],
        "loss": "mse",
    }
    return network_from_dict(spec)


def _grid(values, make, layer, shape):
    return _column(values, make, layer, int(np.prod(shape))).reshape(shape)


@pytest.mark.parametrize(
    "layer",
    [
        {"bias": False},
        {"heads": 2, "units": 4, "causal": True},
        {"heads": 2, "mask": [[1, 0, 1], [1, 1, 0], [0, 1, 1]], "output_projection": False},
    ],
)
def test_attention_matrix_form_equals_the_element_level(layer):
    """dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = τ dS K, dK = τ dSᵀ Q."""
    from symnn.core import notation as nt
    from symnn.layers import attention as at

    net = _attention(**layer)
    T, d = 3, 2
    att = net.layers[0]
    u, H = att.width_of_heads(d), att.heads
    dh = u // H
    rng = np.random.default_rng(7)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 1)
    _, v = element_values(net, params, X[0], Y[0])
    Q, K, V = (_grid(v, m, 1, (T, u)) for m in (at.Q, at.K, at.V))
    P = _grid(v, at.P, 1, (H, T, T))
    out = at.O.adjoint if att.output_projection else nt.grad_a
    dO = _grid(v, out, 1, (T, u))
    dV, dQ, dK = (_grid(v, m.adjoint, 1, (T, u)) for m in (at.V, at.Q, at.K))
    dP, dS = (_grid(v, m.adjoint, 1, (H, T, T)) for m in (at.P, at.S))
    allowed = np.array(att.allowed(T))
    tau = 1 / np.sqrt(dh)
    for h in range(H):
        c = slice(h * dh, (h + 1) * dh)
        np.testing.assert_allclose(dV[:, c], P[h].T @ dO[:, c], rtol=1e-9, atol=1e-12)
        matrix_dP = dO[:, c] @ V[:, c].T
        np.testing.assert_allclose(dP[h][allowed], matrix_dP[allowed], rtol=1e-9, atol=1e-12)
        matrix_dS = P[h] * (matrix_dP - (matrix_dP * P[h]).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(dS[h], matrix_dS, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dQ[:, c], tau * dS[h] @ K[:, c], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dK[:, c], tau * dS[h].T @ Q[:, c], rtol=1e-9, atol=1e-12)
    assert (P[:, ~allowed] == 0).all()


def test_attention_biases_agree_at_every_level():
    """With b_Q, b_K, b_V, b_O: element code, matrix code and autograd (b_K's gradient is 0)."""
    from symnn.codegen.element import compile_gradients
    from symnn.training import oracle

    net = _attention(T=2, heads=2, causal=True)
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 4)
    loss, grads = compile_gradients(net)(params, X, Y)
    m_loss, m_grads = compile_matrix_gradients(net)(params, X, Y)
    r_loss, reference = oracle.gradients(net, params, X, Y)
    assert loss == pytest.approx(r_loss, rel=1e-12) and m_loss == pytest.approx(r_loss, rel=1e-12)
    for name, g in reference.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-9, atol=1e-13, err_msg=name)
        np.testing.assert_allclose(m_grads[name], g, rtol=1e-9, atol=1e-13, err_msg=name)
    assert np.abs(m_grads["bk1"]).max() < 1e-13  # each row's softmax ignores a shift


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (
            {"heads": 4},
            [3, 2],
            r"layers\[1\]\.heads: expected a number of heads that divides "
            r"the width \(units = 2\), found 4",
        ),
        ({"units": 6, "heads": 4}, [3, 2], r"layers\[1\]\.heads: .*\(units = 6\), found 4"),
        ({"heads": 0}, [3, 2], r"layers\[1\]\.heads: expected a positive integer"),
        ({}, [6], r"layers\[1\]: attention reads a \(T, d\) sequence block, found shape \(6,\)"),
        ({"mask": [[1, 0], [1, 1]]}, [3, 2], r"layers\[1\]\.mask: expected 3 rows of 3 zeros"),
        ({"mask": [[1, 0, 0], [1, 1], [1, 1, 1]]}, [3, 2], r"layers\[1\]\.mask\[1\]: expected 3"),
        (
            {"mask": [[0, 0, 0], [1, 1, 1], [1, 1, 1]]},
            [3, 2],
            r"layers\[1\]\.mask\[0\]: expected at least one step to attend to",
        ),
        (
            {"mask": [[1, 1, 1]] * 3, "causal": True},
            [3, 2],
            r"layers\[1\]\.mask: give either mask or causal = true",
        ),
        ({"causal": "yes"}, [3, 2], r"layers\[1\]\.causal: expected true or false"),
        (
            {"weights": {"q": [[1, 0]], "k": [[1, 0], [0, 1]], "v": [[1, 0], [0, 1]]}},
            [3, 2],
            r"layers\[1\]\.weights\.q: expected 2 rows of 2 numbers",
        ),
        ({"weights": {"w": [[1]]}}, [3, 2], r"layers\[1\]\.weights: unknown key 'w'; known: q, k"),
        ({"weights": {"q": [[1, 0], [0, 1]]}}, [3, 2], r"layers\[1\]\.weights\.k: required key"),
    ],
)
def test_bad_attention_specs_name_layer_and_key(layer, shape, message):
    spec = {
        "inputs": int(np.prod(shape)),
        "input_shape": shape,
        "layers": [{"kind": "attention", **layer}, {"units": 1}],
    }
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


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


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_matches_torch(causal):
    T, d, H, n = 4, 6, 3, 5
    spec = {
        "inputs": T * d,
        "input_shape": [T, d],
        "layers": [{"kind": "attention", "heads": H, "causal": causal}, {"units": 2}],
        "loss": "mse",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(2)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    mha = torch.nn.MultiheadAttention(d, H, batch_first=True, dtype=torch.float64)
    t = _torch(params)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.cat([t["Wq1"], t["Wk1"], t["Wv1"]]))
        mha.in_proj_bias.copy_(torch.cat([t["bq1"], t["bk1"], t["bv1"]]))
        mha.out_proj.weight.copy_(t["Wo1"])
        mha.out_proj.bias.copy_(t["bo1"])
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1) if causal else None
    x = torch.tensor(X).reshape(n, T, d)
    attended, _ = mha(x, x, x, attn_mask=mask, need_weights=False)
    W2, b2 = (t[k].requires_grad_() for k in ("W2", "b2"))
    reference = _torch_mse(attended.reshape(n, T * d) @ W2.T + b2, Y)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    w = mha.in_proj_weight.grad.numpy()
    b = mha.in_proj_bias.grad.numpy()
    for i, role in enumerate("qkv"):
        np.testing.assert_allclose(grads[f"W{role}1"], w[i * d : (i + 1) * d], rtol=1e-8)
        np.testing.assert_allclose(grads[f"b{role}1"], b[i * d : (i + 1) * d], atol=1e-12)
    np.testing.assert_allclose(grads["Wo1"], mha.out_proj.weight.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(grads["bo1"], mha.out_proj.bias.grad.numpy(), rtol=1e-8)


def test_single_head_attention_matches_torch_scaled_dot_product():
    T, d, n = 3, 4, 4
    net = _attention(T=T, d=d, bias=False, causal=True)
    rng = np.random.default_rng(3)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    t = {k: v.requires_grad_() for k, v in _torch(params).items()}
    x = torch.tensor(X).reshape(n, T, d)
    q, k, v = (x @ t[f"W{r}1"].T for r in "qkv")
    o = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    out = torch.tanh(o.reshape(n, T * d) @ t["W2"].T + t["b2"])
    reference = _torch_mse(out, Y)
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    for name in grads:
        np.testing.assert_allclose(grads[name], t[name].grad.numpy(), rtol=1e-8, err_msg=name)


def test_batchnorm_matches_torch_batch_norm_1d_in_training_mode():
    """Each row of X is one batch of B examples; torch normalises each batch on its own."""
    B, d, n = 4, 3, 2
    spec = {
        "inputs": B * d,
        "input_shape": [B, d],
        "layers": [{"kind": "layernorm"}, {"kind": "batchnorm", "eps": 1e-3}],
        "loss": "mse",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(4)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    t = {k: v.requires_grad_() for k, v in _torch(params).items()}
    bn = torch.nn.BatchNorm1d(d, eps=1e-3, dtype=torch.float64)
    bn.train()
    with torch.no_grad():
        bn.weight.copy_(t["gamma2"])
        bn.bias.copy_(t["beta2"])
    total = 0
    for row, target in zip(X, Y, strict=True):
        x = torch.tensor(row).reshape(B, d)
        x = torch.nn.functional.layer_norm(x, (d,), t["gamma1"], t["beta1"], eps=1e-5)
        total = total + ((bn(x).reshape(-1) - torch.tensor(target)) ** 2).mean()
    reference = total / n
    reference.backward()
    assert loss == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(grads["gamma2"], bn.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(grads["beta2"], bn.bias.grad.numpy(), rtol=1e-9, atol=1e-14)
    # γ1 reaches the loss only through batchnorm's input gradient, the coupled one
    np.testing.assert_allclose(grads["gamma1"], t["gamma1"].grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(grads["beta1"], t["beta1"].grad.numpy(), atol=1e-12)


MATRIX_CASES = [
    [{"kind": "layernorm"}, {"kind": "attention", "heads": 2, "units": 4, "causal": True}],
    [
        {"kind": "layernorm", "affine": False},
        {"kind": "attention", "heads": 2, "mask": [[1, 1, 0], [0, 1, 1], [1, 0, 1]]},
    ],
    [{"kind": "attention", "bias": False}, {"kind": "layernorm"}],
    [{"kind": "layernorm"}, {"kind": "batchnorm"}, {"kind": "layernorm", "eps": 0.5}],
]


@pytest.mark.parametrize("layers", MATRIX_CASES)
def test_every_matrix_step_of_these_layers_equals_the_element_level(layers):
    """Forward, backward, results and gradients of the matrix-level derivation, instantiated."""
    from symnn.engine.matrix import derive_matrix
    from tests.test_matrix import _check_step, _environment

    spec = {"inputs": 6, "input_shape": [3, 2], "layers": [*layers, {"units": 1}], "loss": "mse"}
    net = network_from_dict(spec)
    env = _environment(net)
    derivation = derive_matrix(net)
    rules = {step.rule for step in derivation.steps}
    for step in derivation.steps + list(derivation.results):
        _check_step(step, net, env)
    kinds = {layer["kind"] for layer in layers}
    if "attention" in kinds:
        assert {"attention_values", "attention_weights", "softmax_rows_backward"} <= rules
        assert "scaled_dot_product_backward" in rules
    if any(layer["kind"] in ("layernorm", "batchnorm") for layer in layers[1:]):
        assert {"norm_three_paths", "norm_closed_form"} <= rules  # a norm reading a layer

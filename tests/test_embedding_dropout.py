"""Embedding and dropout beyond the five-way test of tests/test_layers.py.

The table's gradient is a scatter-add of rows (a repeated token adds once per use); PyTorch's
``embedding``/``embedding_bag`` autograd and a fixed-mask dropout are an extra oracle; token
indices out of range are errors naming layer, key and value (spec data, train's data, generated
code, CLI); an embedding-bag classifier trains to a stated accuracy on the derived gradients.
"""

import numpy as np
import pytest

from symnn.codegen.element import compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.engine import derive
from symnn.layers import LAYERS
from symnn.spec.specfile import network_from_dict
from symnn.training.check import random_params, relative_error

BAG = {
    "inputs": 3,
    "layers": [
        {"kind": "embedding", "vocabulary": 4, "dimension": 2, "bag": "sum"},
        {"units": 2, "activation": "softmax"},
    ],
    "loss": "cross_entropy",
}


def _both(net):
    return compile_gradients(net), compile_matrix_gradients(net)


@pytest.mark.parametrize("bag", ["none", "sum", "mean"])
def test_a_repeated_token_adds_its_rows_gradient_once_per_use(bag):
    """∂L/∂E_v = Σ_t [x_t = v] ∂L/∂e_t: token 1 twice, token 3 once, tokens 0 and 2 never."""
    spec = {
        "inputs": 3,
        "layers": [{"kind": "embedding", "vocabulary": 4, "dimension": 2, "bag": bag}],
        "loss": "squared_error",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    E = params["E1"]
    X = np.array([[1.0, 3.0, 1.0]])
    rows = E[[1, 3, 1]]  # the looked-up rows, T × d
    out = {"none": rows.ravel(), "sum": rows.sum(0), "mean": rows.mean(0)}[bag]
    Y = rng.normal(size=(1, out.size))
    g = out - Y[0]  # ∂L/∂output for ½‖o − y‖²
    expected = np.zeros_like(E)
    per_token = g.reshape(3, 2) if bag == "none" else np.tile(g, (3, 1))
    per_token = per_token / 3 if bag == "mean" else per_token
    for t, v in enumerate([1, 3, 1]):
        expected[v] += per_token[t]
    for f in _both(net):
        loss, grads = f(params, X, Y)
        assert loss == pytest.approx(0.5 * np.sum(g**2), rel=1e-12)
        np.testing.assert_allclose(grads["E1"], expected, rtol=1e-12, atol=1e-15)
    assert not expected[[0, 2]].any() and expected[1].any()
    if bag == "sum":  # twice the single use: the two uses of token 1 add
        np.testing.assert_allclose(expected[1], 2 * g)


def test_the_derivation_writes_the_scatter_add_as_a_sum_over_positions():
    net = network_from_dict(BAG)
    d = derive(net, "E1[2,1]")  # row 2 from 1 is token 1
    from symnn.core import notation as nt
    from symnn.layers.embedding import Equals

    positions = sum(Equals(nt.x(t), 1) for t in (1, 2, 3))
    assert d.results[0].rhs == nt.grad_a(1, 1) * positions  # ∂L/∂s_1 · Σ_t [x_t = 1]
    from symnn.output.document import render_derivation

    md = render_derivation(d, "md")
    assert r"\mathbb{1}\left[x_{1} = 1\right]" in md
    assert "a scatter-add of rows" in md


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed (an optional oracle)")


@pytest.mark.parametrize("bag", ["none", "sum", "mean"])
def test_embedding_gradients_match_pytorch_autograd(bag):
    torch = _torch()
    F = torch.nn.functional
    spec = {
        "inputs": 4,
        "layers": [
            {"kind": "embedding", "vocabulary": 5, "dimension": 3, "bag": bag},
            {"units": 2, "activation": "tanh"},
        ],
        "loss": "mse",
    }
    net = network_from_dict(spec)
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X = np.array([[0, 2, 2, 4], [1, 1, 1, 3], [4, 0, 2, 0]], dtype=float)
    Y = rng.normal(size=(3, 2))
    E = torch.tensor(params["E1"], requires_grad=True)
    W = torch.tensor(params["W2"], requires_grad=True)
    b = torch.tensor(params["b2"], requires_grad=True)
    tokens = torch.tensor(X.astype(np.int64))
    if bag == "none":
        h = F.embedding(tokens, E).reshape(3, -1)
    else:
        h = F.embedding_bag(tokens, E, mode=bag)
    loss = ((torch.tanh(h @ W.T + b) - torch.tensor(Y)) ** 2).mean(dim=1).mean()
    loss.backward()
    for f in _both(net):
        value, grads = f(params, X, Y)
        assert value == pytest.approx(loss.item(), rel=1e-12)
        for name, t in (("E1", E), ("W2", W), ("b2", b)):
            assert relative_error(grads[name], t.grad.numpy()) < 1e-12, name


def test_dropout_with_a_fixed_mask_matches_pytorch():
    torch = _torch()
    spec = LAYERS["dropout"].examples[1]  # p = 0.25, mask [1, 0, 1]
    net = network_from_dict(spec)
    rng = np.random.default_rng(2)
    params = random_params(net, rng)
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(4, 1))
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    mask = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    h = torch.nn.functional.softplus(torch.tensor(X) @ t["W1"].T + t["b1"])
    # torch.nn.functional.dropout draws its own mask; with the mask fixed it is h * m / (1 - p).
    dropped = h * mask / (1 - 0.25)
    loss = ((dropped @ t["W3"].T + t["b3"] - torch.tensor(Y)) ** 2).mean()
    loss.backward()
    for f in _both(net):
        value, grads = f(params, X, Y)
        assert value == pytest.approx(loss.item(), rel=1e-12)
        for name in params:
            assert relative_error(grads[name], t[name].grad.numpy()) < 1e-12, name
    # a dropped unit passes nothing back: W1's row for unit 2 has zero gradient
    assert not grads["W1"][1].any() and not grads["b1"][1]


def test_pytorch_dropout_is_inverted_with_p_the_drop_probability():
    """The convention the document states is PyTorch's: kept units come out as u / (1 − p)."""
    torch = _torch()
    torch.manual_seed(0)
    u = torch.ones(1000, dtype=torch.float64)
    out = torch.nn.functional.dropout(u, p=0.25, training=True)
    kept = out[out != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.75))
    net = network_from_dict(LAYERS["dropout"].examples[1])
    assert net.layers[1].keep == 0.75


def test_a_drawn_mask_is_deterministic_and_keeps_about_q():
    spec = {
        "inputs": 2,
        "layers": [{"units": 200}, {"kind": "dropout", "p": 0.3, "seed": 7}, {"units": 1}],
    }
    first, again = network_from_dict(spec), network_from_dict(spec)
    assert first.layers[1].mask == again.layers[1].mask
    expected = tuple(int(k) for k in np.random.default_rng(7).random(200) >= 0.3)
    assert first.layers[1].mask == expected
    assert 0.6 < np.mean(first.layers[1].mask) < 0.8


def test_the_dropout_document_states_p_is_the_drop_probability():
    from symnn.output.document import render_derivation

    net = network_from_dict(LAYERS["dropout"].examples[1])
    md = render_derivation(derive(net, "W1"), "md")
    assert "$p = 0.25$ is the probability of dropping a unit (PyTorch's convention)" in md
    assert "$q = 1 - p = 0.75$" in md
    assert r"a^{(2)} = m \odot a^{(1)} / q" in md


# -- errors name the layer, the key and the value --------------------------------------------
def _with(layer, inputs=3, data=None, extra=()):
    spec = {"inputs": inputs, "layers": [layer, *extra, {"units": 1}], "loss": "mse"}
    if data is not None:
        spec["data"] = data
    return spec


EMB = {"kind": "embedding", "vocabulary": 4, "dimension": 2, "bag": "mean"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_with({**EMB, "vocabulary": 0}), r"layers\[1\]\.vocabulary: expected a positive integer"),
        (_with({**EMB, "dimension": 1.5}), r"layers\[1\]\.dimension: expected a positive integer"),
        (_with({**EMB, "bag": "max"}), r"layers\[1\]\.bag: expected one of none, sum, mean"),
        (
            _with({**EMB, "weights": [[0.0, 1.0]] * 3}),
            r"layers\[1\]\.weights: expected 4 rows of 2 numbers, found '3 rows'",
        ),
        (
            {"inputs": 2, "layers": [{"units": 3}, EMB], "loss": "mse"},
            r"layers\[2\]\.inputs: an embedding reads the network's input \(token indices\)",
        ),
        (
            _with(EMB, data={"x": [[0, 1, 4]], "y": [[0.0]]}),
            r"data\.x\[0\]\[2\]: layers\[1\] \(embedding\) reads token indices, integers 0\.\.3 "
            r"\(vocabulary = 4\); found 4",
        ),
        (
            _with(EMB, data={"x": [[0, 1.5, 2]], "y": [[0.0]]}),
            r"data\.x\[0\]\[1\]: layers\[1\] \(embedding\) reads token indices.*found 1\.5",
        ),
        (
            _with(EMB, data={"x": [[0, -1, 2]], "y": [[0.0]]}),
            r"data\.x\[0\]\[1\]: .*found -1",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "p": 1.0}]),
            r"layers\[2\]\.p: expected a drop probability in \[0, 1\) \(PyTorch's p; q = 1 − p\)",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "mask": [1, 0]}]),
            r"layers\[2\]\.mask: expected a list of 3 zeros and ones, found '2 entries'",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "mask": [1, 0.5, 1]}]),
            r"layers\[2\]\.mask\[1\]: expected 0 \(dropped\) or 1 \(kept\), found 0\.5",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "p": 0, "mask": [1, 0, 1]}]),
            r"layers\[2\]\.mask: p = 0 keeps every unit, but the mask drops unit 2",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "seed": -1}]),
            r"layers\[2\]\.seed: expected a non-negative integer",
        ),
        (
            _with({"units": 3}, extra=[{"kind": "dropout", "keep": 0.5}]),
            r"layers\[2\]: unknown key 'keep'; known: p, mask, seed, name, inputs",
        ),
    ],
)
def test_bad_specs_are_errors_naming_layer_key_and_value(spec, message):
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


@pytest.mark.parametrize("level", ["element", "matrix"])
def test_generated_code_refuses_a_token_out_of_range_at_run_time(level):
    net = network_from_dict(_with(EMB))
    f = compile_gradients(net) if level == "element" else compile_matrix_gradients(net)
    params = random_params(net, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"X\[1, 0\]: layers\[1\] \(embedding\) reads token "):
        f(params, [[0, 1, 2], [7, 0, 0]], [[0.0], [0.0]])
    with pytest.raises(ValueError, match=r"X\[0, 2\]: .*found np\.float64\(nan\)|found nan"):
        f(params, [[0, 1, np.nan]], [[0.0]])


def test_train_refuses_a_token_out_of_range_naming_it():
    from symnn.training.train import train

    net = network_from_dict(_with(EMB))
    with pytest.raises(SymnnError, match=r"X\[1\]\[2\]: layers\[1\] \(embedding\) .*found 9"):
        train(net, X=[[0, 1, 2], [3, 3, 9]], Y=[[0.0], [1.0]], steps=1)


def test_the_cli_refuses_a_token_out_of_range_in_one_line(tmp_path, capsys):
    from symnn.cli.main import main

    spec = tmp_path / "bag.toml"
    spec.write_text(
        'inputs = 2\nloss = "mse"\n[[layers]]\nkind = "embedding"\nvocabulary = 3\n'
        'dimension = 2\nbag = "sum"\n[[layers]]\nunits = 1\n'
    )
    data = tmp_path / "tokens.csv"
    data.write_text("t1,t2,y\n0,1,0.5\n2,3,1.0\n")
    assert main(["train", str(spec), "--data", str(data), "--steps", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "X[1][1]: layers[1] (embedding) reads token indices, integers 0..2" in err


# -- an embedding-bag classifier learns from the derived gradients ----------------------------
def _topics(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bags of 5 tokens from a vocabulary of 8: class 0 draws mostly from tokens 0-3, class 1
    from 4-7 (each token from the other half with probability 0.1; the best rule, a majority
    vote, errs on about 1%)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    own = rng.integers(0, 4, (n, 5)) + 4 * labels[:, None]
    other = rng.integers(0, 4, (n, 5)) + 4 * (1 - labels[:, None])
    X = np.where(rng.random((n, 5)) < 0.9, own, other).astype(float)
    return X, np.eye(2)[labels]


def test_an_embedding_bag_classifier_trains_to_95_percent():
    from symnn.training.train import accuracy, train

    net = network_from_dict(
        {
            "inputs": 5,
            "layers": [
                {"kind": "embedding", "vocabulary": 8, "dimension": 4, "bag": "mean"},
                {"units": 2, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
        }
    )
    X, Y = _topics(200, seed=0)
    result = train(net, X=X, Y=Y, steps=300, lr=1.0, seed=0)
    assert result.loss[-1] < 0.5 * result.loss[0]
    X_test, Y_test = _topics(200, seed=1)
    assert accuracy(net, result.params, X_test, Y_test) >= 0.95

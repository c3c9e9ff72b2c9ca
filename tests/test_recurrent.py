"""Recurrent layers (rnn, lstm, gru): known numbers, PyTorch with the same weights, BPTT in the
element derivation, and bad specs as errors naming the layer and the key.

The five-way agreement (engine vs sympy.diff, element code, matrix code, finite differences,
autograd) runs on each kind's ``examples`` in tests/test_layers.py.
"""

import numpy as np
import pytest
import sympy as sp

from symnn.codegen.element import compile_gradients
from symnn.codegen.forward import compile_forward
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.layers import LAYERS
from symnn.spec.specfile import network_from_dict
from symnn.training.check import random_params, relative_error


def _net(layer: dict, T: int, d: int, loss: str = "squared_error", more=()) -> object:
    spec = {
        "inputs": T * d,
        "input_shape": [T, d],
        "layers": [layer, *more],
        "loss": loss,
    }
    return network_from_dict(spec)


def test_the_cs231n_rnn_step_gives_its_published_numbers():
    """CS231n assignment 3, rnn_step_forward: next_h = tanh(x Wx + prev_h Wh + b)."""
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    rows = []
    for i in range(N):  # h0 is one constant state per network: one network per sample
        layer = {"kind": "rnn", "hidden": H, "convention": "cs231n", "h0": prev_h[i].tolist()}
        net = _net(layer, 1, D)
        params = {"Wih1": Wx.T, "Whh1": Wh.T, "b1": b}
        rows.append(compile_forward(net)(params, x[i : i + 1])[0])
    expected_row_0 = [-0.58172089, -0.50182032, -0.41232771, -0.31410098]
    np.testing.assert_allclose(rows[0], expected_row_0, atol=1e-8)
    np.testing.assert_allclose(np.array(rows), np.tanh(x @ Wx + prev_h @ Wh + b), atol=1e-12)


def _gradients_agree(net, reference_loss, reference_grads, params, X, Y):
    for compiled in (compile_gradients(net), compile_matrix_gradients(net)):
        loss, grads = compiled(params, X, Y)
        assert loss == pytest.approx(reference_loss, rel=1e-9)
        for name, value in reference_grads.items():
            assert relative_error(grads[name], value) < 1e-8, name


def _torch_loss(torch, output, Y, N):
    return 0.5 * ((output.reshape(N, -1) - Y) ** 2).sum() / N


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_matches_torch_nn_rnn_with_the_same_weights(nonlinearity):
    torch = pytest.importorskip("torch", reason="the PyTorch comparison needs torch")
    T, d, H, N = 3, 2, 2, 4
    net = _net({"kind": "rnn", "hidden": H, "nonlinearity": nonlinearity}, T, d)
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X, Y = rng.normal(size=(N, T * d)), rng.normal(size=(N, T * H))
    module = torch.nn.RNN(d, H, nonlinearity=nonlinearity, batch_first=True).double()
    with torch.no_grad():
        for name, mine in (("weight_ih_l0", "Wih1"), ("weight_hh_l0", "Whh1")):
            getattr(module, name).copy_(torch.tensor(params[mine]))
        module.bias_ih_l0.copy_(torch.tensor(params["bih1"]))
        module.bias_hh_l0.copy_(torch.tensor(params["bhh1"]))
    output, _ = module(torch.tensor(X).reshape(N, T, d))
    loss = _torch_loss(torch, output, torch.tensor(Y), N)
    loss.backward()
    reference = {
        "Wih1": module.weight_ih_l0.grad.numpy(),
        "Whh1": module.weight_hh_l0.grad.numpy(),
        "bih1": module.bias_ih_l0.grad.numpy(),
        "bhh1": module.bias_hh_l0.grad.numpy(),
    }
    _gradients_agree(net, loss.item(), reference, params, X, Y)


def _torch_module(torch, kind, d, H, params, bias=True):
    module = getattr(torch.nn, kind.upper())(d, H, batch_first=True, bias=bias).double()
    with torch.no_grad():
        for name, mine in (
            ("weight_ih_l0", "Wih1"),
            ("weight_hh_l0", "Whh1"),
            ("bias_ih_l0", "bih1"),
            ("bias_hh_l0", "bhh1"),
        ):
            if mine in params:
                getattr(module, name).copy_(torch.tensor(params[mine]))
    return module


def _torch_gradients(module, params):
    found = {}
    for name, mine in (
        ("weight_ih_l0", "Wih1"),
        ("weight_hh_l0", "Whh1"),
        ("bias_ih_l0", "bih1"),
        ("bias_hh_l0", "bhh1"),
    ):
        if mine in params:
            found[mine] = getattr(module, name).grad.numpy()
    return found


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize(("returns", "bias"), [("sequence", True), ("last", False)])
def test_gated_layers_match_torch_with_the_same_weights(kind, returns, bias):
    torch = pytest.importorskip("torch", reason="the PyTorch comparison needs torch")
    if kind not in LAYERS:
        pytest.skip(f"no {kind} layer yet")
    T, d, H, N = 3, 2, 2, 4
    layer = {"kind": kind, "hidden": H, "returns": returns, "bias": bias}
    net = _net(layer, T, d)
    rng = np.random.default_rng(2)
    params = random_params(net, rng)
    X = rng.normal(size=(N, T * d))
    Y = rng.normal(size=(N, H * (T if returns == "sequence" else 1)))
    module = _torch_module(torch, kind, d, H, params, bias)
    output, _ = module(torch.tensor(X).reshape(N, T, d))
    if returns == "last":
        output = output[:, -1]
    loss = _torch_loss(torch, output, torch.tensor(Y), N)
    loss.backward()
    _gradients_agree(net, loss.item(), _torch_gradients(module, params), params, X, Y)


def test_the_cs231n_lstm_convention_stacks_i_f_o_g_with_one_bias():
    """PyTorch's weights with the g and o blocks swapped and the biases added: the same LSTM."""
    T, d, H, N = 2, 2, 2, 3
    rng = np.random.default_rng(3)
    torch_net = _net({"kind": "lstm", "hidden": H}, T, d)
    cs231n_net = _net({"kind": "lstm", "hidden": H, "convention": "cs231n"}, T, d)
    params = random_params(torch_net, rng)
    swap = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
    swapped = {
        "Wih1": params["Wih1"][swap],
        "Whh1": params["Whh1"][swap],
        "b1": (params["bih1"] + params["bhh1"])[swap],
    }
    X = rng.normal(size=(N, T * d))
    np.testing.assert_allclose(
        compile_forward(cs231n_net)(swapped, X), compile_forward(torch_net)(params, X), atol=1e-12
    )


def test_the_element_derivation_goes_back_through_time_and_sums_shared_weights():
    from symnn.core import notation as nt
    from symnn.engine import derive

    net = network_from_dict(LAYERS["rnn"].examples[0])  # T = 3, H = 2
    d = derive(net, "Whh1[1,2]")
    # proof order: the δ sections come first, the parameter's own section last
    chain = d.sections[-1].steps[0]
    assert chain.rule == "shared_over_time" and "sum over t" in chain.note
    # h_0 = 0: the recurrent weight acts from t = 2 on, one term per step
    assert len(d.results[0].rhs.args) == 2
    h = lambda t, j: nt.quantity("h", 1, t, j)  # noqa: E731
    delta = lambda t, j: nt.adjoint_quantity(nt.quantity("zt", 1, t, j))  # noqa: E731
    assert d.results[0].rhs == delta(2, 1) * h(1, 2) + delta(3, 1) * h(2, 2)
    # ∂L/∂h_2 receives from the output at t = 2 and from both units of z_3 (through W_hh)
    subjects = [s.subject for s in d.sections]
    dh21 = nt.adjoint_quantity(h(2, 1))
    section = d.sections[subjects.index(dh21)]
    u = lambda j, k: nt.quantity("u", 1, j, k)  # noqa: E731
    # a^{(1)}_3 is the output block's copy of h_{2,1}: ∂L/∂a is what the loss sends back
    expected = delta(3, 1) * u(1, 1) + delta(3, 2) * u(2, 1) + nt.grad_a(1, 3)
    assert sp.expand(section.steps[-1].rhs - expected) == 0
    assert bp_adjoint(net, nt.a(1, 3)) == nt.a(1, 3) - nt.y(3)
    # reading order: the last step first
    assert subjects.index(nt.adjoint_quantity(h(3, 1))) < subjects.index(dh21)


def bp_adjoint(net, symbol):
    from symnn.engine.element import backprop_for

    return backprop_for(net).adjoints[symbol]


def test_recurrent_symbols_typeset_with_time_and_unit():
    from symnn.core import notation as nt

    layered = nt.NOTATIONS["layered"]
    shape = nt.Shape((6, 6))
    assert layered.latex(nt.quantity("h", 1, 2, 3), shape) == "h^{(1)}_{2,3}"
    delta = nt.adjoint_quantity(nt.quantity("zt", 1, 2, 3))
    assert layered.latex(delta, shape) == r"\delta^{(1)}_{2,3}"
    dh = nt.adjoint_quantity(nt.quantity("h", 1, 2, 3))
    assert layered.latex(dh, shape) == r"\frac{\partial L}{\partial h^{(1)}_{2,3}}"
    assert layered.latex(nt.quantity("u", 1, 1, 2), shape) == "u^{(1)}_{12}"


@pytest.mark.parametrize(
    ("layer", "shape", "message"),
    [
        (
            {"kind": "rnn", "hidden": 2, "steps": 4},
            [3, 2],
            r"layers\[1\]\.steps: the sequence it reads has shape \(3, 2\), so 3 time steps; "
            r"found steps = 4",
        ),
        (
            {"kind": "rnn", "hidden": 2, "input_size": 3},
            [3, 2],
            r"layers\[1\]\.input_size: the sequence it reads has shape \(3, 2\), so 2 features",
        ),
        (
            {"kind": "rnn", "hidden": 2},
            None,
            r"layers\[1\]: an rnn layer reads a sequence, a \(T, d\) block with time steps as "
            r"rows; found shape \(6,\); give it input_shape = \[T, d\] on the network",
        ),
        (
            {"kind": "rnn", "hidden": 2, "h0": [0.0]},
            [3, 2],
            r"layers\[1\]\.h0: expected a list of 2 numbers, found '1 numbers'",
        ),
        (
            {"kind": "rnn", "hidden": 2, "weights_hh": [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]},
            [3, 2],
            r"layers\[1\]\.weights_hh\[0\]: expected a list of 2 numbers, found '3 numbers'",
        ),
        (
            {"kind": "rnn", "hidden": 2, "nonlinearity": "softmax"},
            [3, 2],
            r"layers\[1\]\.nonlinearity: expected an elementwise activation",
        ),
        (
            {"kind": "rnn", "hidden": 2, "nonlinearity": "tanhh"},
            [3, 2],
            r"layers\[1\]\.nonlinearity: unknown activation 'tanhh'",
        ),
        (
            {"kind": "rnn", "hidden": 2, "convention": "keras"},
            [3, 2],
            r"layers\[1\]\.convention: expected one of pytorch, cs231n, found 'keras'",
        ),
        (
            {"kind": "rnn", "hidden": 2, "returns": "all"},
            [3, 2],
            r"layers\[1\]\.returns: expected 'sequence' or 'last'",
        ),
        (
            {"kind": "rnn", "hidden": 2, "convention": "cs231n", "bias_hh": [0.0, 0.0]},
            [3, 2],
            r"layers\[1\]\.bias_hh: the cs231n convention has one bias b; give it as bias_ih",
        ),
        (
            {"kind": "gru", "hidden": 2, "reset": "inside"},
            [3, 2],
            r"layers\[1\]\.reset: expected 'after' \(PyTorch's: r ⊙ \(W_hn h \+ b_hn\)\) or "
            r"'before' \(Cho et al\. 2014's: W_hn \(r ⊙ h\) \+ b_hn\), found 'inside'",
        ),
        (
            {"kind": "rnn", "hidden": 0},
            [3, 2],
            r"layers\[1\]\.hidden: expected a positive integer",
        ),
        (
            {"kind": "rnn", "units": 2},
            [3, 2],
            r"layers\[1\]: unknown key 'units'",
        ),
    ],
)
def test_bad_recurrent_specs_are_errors_naming_layer_and_key(layer, shape, message):
    spec = {"inputs": 6, "layers": [layer], "loss": "mse"}
    if shape is not None:
        spec["input_shape"] = shape
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


def test_a_spec_file_with_an_rnn_loads_and_checks(tmp_path, capsys):
    from symnn.cli.main import main

    spec = tmp_path / "rnn.toml"
    spec.write_text(
        'inputs = 6\ninput_shape = [3, 2]\nloss = "squared_error"\n'
        '[[layers]]\nkind = "rnn"\nhidden = 2\nreturns = "last"\n'
        "[[layers]]\nunits = 1\n"
    )
    assert main(["check", str(spec), "--level", "matrix"]) == 0
    assert "PASS" in capsys.readouterr().out


def test_the_matrix_level_typesets_bptt_and_the_vanishing_factor():
    """Each step is checked against the element level in test_layers (rnn examples); here: what
    it says."""
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    net = network_from_dict(LAYERS["rnn"].examples[0])  # T = 3, h_0 = 0
    derivation = derive_matrix(net)
    rules = [s.rule for s in derivation.steps]
    assert rules.count("bptt_hidden") == 3 and rules.count("bptt_factor") == 2
    text = render_derivation(derivation, "md")
    whh = r"W_{\mathrm{hh}}^{(1)}"
    # ∂L/∂h_2 = (the output's gradient at step 2) + W_hhᵀ δ_3
    assert (
        r"\frac{\partial L}{\partial h^{(1)}_{2}} & = \left[\frac{\partial L}{\partial a^{(1)}}"
        rf"\right]_{{3:4}} + \left({whh}\right)^{{T}} \delta^{{(1)}}_{{3}}" in text
    )
    # the product over steps: ∂h_3/∂h_1 = diag(f'(z_3)) W_hh diag(f'(z_2)) W_hh
    factor = r"\operatorname{diag}\left(\tanh'\left(z^{(1)}_{%d}\right)\right) " + whh
    assert f"{factor % 3} {factor % 2}" in text
    # the shared weight: a sum over t (from t = 2, since h_0 = 0)
    results = {str(r.lhs): r for r in derivation.results}
    assert len(results["∂L/∂Whh_1"].rhs.args) == 2
    assert len(results["∂L/∂Wih_1"].rhs.args) == 3


def test_the_lstm_matrix_level_goes_through_the_gates_and_the_cell():
    """Each step is checked against the element level in test_layers (lstm examples); here: what
    it says, in particular the cell's path ∂L/∂c_t ← ∂L/∂c_{t+1} ⊙ f_{t+1}."""
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    net = network_from_dict(LAYERS["lstm"].examples[0])  # T = 2, H = 2, h_0 and c_0 given
    derivation = derive_matrix(net)
    rules = [s.rule for s in derivation.steps]
    assert rules.count("bptt_hidden") == 2 and rules.count("lstm_cell_path") == 2
    assert rules.count("lstm_gate_delta") == 2
    text = render_derivation(derivation, "md")
    dc = r"\frac{\partial L}{\partial c^{(1)}_{%d}}"
    assert (
        rf"{dc % 1} & = \frac{{\partial L}}{{\partial h^{{(1)}}_{{1}}}} \odot o^{{(1)}}_{{1}} "
        rf"\odot \tanh'\left(c^{{(1)}}_{{1}}\right) + {dc % 2} \odot f^{{(1)}}_{{2}}" in text
    )
    assert r"c^{(1)}_{2} & = f^{(1)}_{2} \odot c^{(1)}_{1} + i^{(1)}_{2} \odot g^{(1)}_{2}" in text
    results = {str(r.lhs): r for r in derivation.results}
    assert len(results["∂L/∂Whh_1"].rhs.args) == 2  # h_0 given: a term for each step
    assert len(results["∂L/∂Wih_1"].rhs.args) == 2


def test_the_gru_matrix_level_states_where_the_reset_gate_acts():
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    after = render_derivation(derive_matrix(network_from_dict(LAYERS["gru"].examples[0])), "md")
    before = render_derivation(derive_matrix(network_from_dict(LAYERS["gru"].examples[2])), "md")
    r, p = r"r^{(1)}_{2}", r"\left[p^{(1)}_{2}\right]_{5:6}"
    assert rf"\tanh\left(\left[q^{{(1)}}_{{2}}\right]_{{5:6}} + {r} \odot {p}\right)" in after
    assert rf"{p} & = \left[W_{{\mathrm{{hh}}}}^{{(1)}}\right]_{{5:6}} \left({r} \odot " in before
    assert "Cho et al. 2014" in before and "PyTorch's convention" in after
    # ∂L/∂h_1 receives ∂L/∂h_2 ⊙ ζ_2 directly, besides W_hhᵀ ∂L/∂p_2
    assert r"\frac{\partial L}{\partial h^{(1)}_{2}} \odot \zeta^{(1)}_{2}" in after


def test_the_cho_gru_differs_from_pytorchs_and_matches_its_formula():
    """No PyTorch oracle for Cho's GRU: one step by hand in NumPy (the five-way test in
    test_layers compares its gradients with autograd and finite differences)."""
    T, d, H, N = 1, 2, 2, 3
    cho = _net({"kind": "gru", "hidden": H, "reset": "before", "h0": [0.5, -0.5]}, T, d)
    torch_like = _net({"kind": "gru", "hidden": H, "h0": [0.5, -0.5]}, T, d)
    rng = np.random.default_rng(5)
    params = random_params(cho, rng)
    X = rng.normal(size=(N, T * d))
    h = np.array([0.5, -0.5])

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    q = X @ params["Wih1"].T + params["bih1"]
    p = h @ params["Whh1"].T + params["bhh1"]
    r, z = sigmoid(q[:, :H] + p[:H]), sigmoid(q[:, H : 2 * H] + p[H : 2 * H])
    n = np.tanh(q[:, 2 * H :] + (r * h) @ params["Whh1"][2 * H :].T + params["bhh1"][2 * H :])
    expected = (1 - z) * n + z * h
    found = compile_forward(cho)(params, X)
    np.testing.assert_allclose(found, expected, atol=1e-12)
    assert not np.allclose(compile_forward(torch_like)(params, X), found)
    matrix = compile_matrix_gradients(cho)
    assert "Hr1" in matrix.source  # r ⊙ h_(t-1), what W_hn multiplies


def test_the_rnn_documents_state_the_vanishing_factor_with_numbers():
    """‖∏ diag(f'(z_t)) W_hh‖ ≤ (‖W_hh‖₂ max|f'|)^k, stated with the spec's W_hh, holds at
    random pre-activations."""
    from symnn.engine.matrix import derive_matrix
    from symnn.gallery.networks import bundled_spec
    from symnn.output.document import render_derivation
    from symnn.spec.specfile import load_spec

    net = load_spec(bundled_spec("rnn.toml"))
    W = np.array(net.layers[0].weights_hh)
    norm = np.linalg.norm(W, 2)
    text = render_derivation(derive_matrix(net), "md")
    assert rf"\|W_{{hh}}\|_2 = {norm:.3g}$" in text
    assert rf"so at most ${norm:.3g}^k$" in text and "the gradient from far back vanishes" in text
    rng = np.random.default_rng(0)
    for k in (1, 5, 10):
        product = np.eye(2)
        for _ in range(k):
            product = np.diag(1 - np.tanh(rng.normal(size=2)) ** 2) @ W @ product
        assert np.linalg.norm(product, 2) <= norm**k + 1e-15
    sigmoid = _net(
        {"kind": "rnn", "hidden": 2, "nonlinearity": "sigmoid", "weights_hh": 4 * W}, 2, 1
    )
    assert r"\max|\sigma'| = 0.25$" in sigmoid.layers[0].factor_statement()
    exploding = _net({"kind": "rnn", "hidden": 2, "weights_hh": 4 * W}, 2, 1)
    assert "does not stop it exploding" in exploding.layers[0].factor_statement()
    assert "may explode" in _net({"kind": "rnn", "hidden": 2}, 2, 1).layers[0].factor_statement()

"""Convolution and pooling layers beyond the enrolled five-way examples.

The generated vectorised code at many geometries (stride, padding, dilation, a tail no window
reaches) against the autograd oracle; the CS231n forward numbers; PyTorch's conv2d and pooling
autograd as a further oracle; the spec's shape errors; the element-level document's sum over
positions.
"""

import re

import numpy as np
import pytest
import sympy as sp

from symnn.codegen.element import compile_gradients
from symnn.codegen.forward import compile_forward
from symnn.codegen.matrix import compile_matrix_gradients, load_function, matrix_source
from symnn.core.errors import SymnnError
from symnn.spec.specfile import network_from_dict
from symnn.training import oracle
from symnn.training.check import random_batch, random_params, relative_error


def _spec(input_shape, *layers, loss="mse"):
    return {
        "inputs": int(np.prod(input_shape)),
        "input_shape": list(input_shape),
        "layers": list(layers),
        "loss": loss,
    }


def _matrix_vs_oracle(net, seed=0, n=3):
    rng = np.random.default_rng(seed)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, n)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    ref_loss, reference = oracle.gradients(net, params, X, Y)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    assert set(grads) == set(reference)
    for name in grads:
        assert relative_error(grads[name], reference[name]) < 1e-10, name


GEOMETRIES_2D = [
    # (input shape, kernel, stride, padding, dilation)
    ((1, 5, 5), 3, 1, 0, 1),
    ((2, 5, 4), [2, 3], [2, 1], [1, 0], 1),
    ((1, 6, 6), 2, 3, 1, 1),  # a tail: (6 + 2 − 2) = 6 is not a multiple of 3
    ((2, 7, 7), 2, 2, 1, 2),
    ((1, 5, 5), 3, 2, 2, 1),
]


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation"), GEOMETRIES_2D)
def test_conv2d_matrix_code_agrees_with_autograd_at_many_geometries(
    shape, kernel, stride, padding, dilation
):
    # A 1×1 conv first, so the strided layer's input gradient is computed and checked.
    first = {"kind": "conv2d", "out_channels": 2, "kernel_size": 1, "activation": "tanh"}
    conv = {
        "kind": "conv2d",
        "out_channels": 3,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "activation": "sigmoid",
    }
    _matrix_vs_oracle(network_from_dict(_spec(shape, first, conv)))


@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding", "dilation"),
    [((1, 7), 3, 1, 0, 1), ((2, 9), 2, 3, 1, 2), ((3, 8), 3, 2, 2, 1)],
)
def test_conv1d_matrix_code_agrees_with_autograd_at_many_geometries(
    shape, kernel, stride, padding, dilation
):
    first = {"kind": "conv1d", "out_channels": 2, "kernel_size": 1, "activation": "tanh"}
    conv = {
        "kind": "conv1d",
        "out_channels": 2,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    _matrix_vs_oracle(network_from_dict(_spec(shape, first, conv)))


def test_the_matrix_code_loops_over_no_position():
    spec = _spec((2, 6, 6), {"kind": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2})
    source = matrix_source(network_from_dict(spec))
    body = source[source.index("N = X.shape[0]") :]
    assert "for " not in body and "while " not in body and "sliding_window_view" in body


def _cs231n():
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    spec = _spec(
        (3, 4, 4),
        {"kind": "conv2d", "out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1},
    )
    return network_from_dict(spec), x, w, b


CS231N_OUT00 = np.array([[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]])


def test_the_cs231n_conv_forward_numbers_reproduce_through_the_generated_forward():
    net, x, w, b = _cs231n()
    assert net.block_shapes == ((3, 4, 4), (3, 2, 2))
    out = compile_forward(net)({"W1": w, "b1": b}, x.reshape(2, -1)).reshape(2, 3, 2, 2)
    np.testing.assert_allclose(out[0, 0], CS231N_OUT00, atol=5e-9)
    # The vectorised code's forward gives the same numbers (its loss reads them).
    src = re.sub(r"\n    return .*\n", "\n    return A1\n", matrix_source(net))
    forward = load_function(src, "loss_and_gradients")
    matrix_out = forward({"W1": w, "b1": b}, x.reshape(2, -1), np.zeros((2, 12)))
    np.testing.assert_allclose(matrix_out, out.reshape(2, -1), atol=1e-14)


def _torch():
    """PyTorch, or a skip saying why (it is an optional oracle; the rest of the file runs)."""
    return pytest.importorskip("torch", reason="PyTorch is not installed (optional oracle)")


def _torch_grads(loss_fn, params):
    torch = _torch()
    tensors = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()
    }
    loss = loss_fn(tensors)
    loss.backward()
    return float(loss.detach()), {k: t.grad.numpy() for k, t in tensors.items()}


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, 0, 1), (2, 1, 1), (1, 1, 2)])
def test_conv2d_gradients_agree_with_pytorch_autograd(stride, padding, dilation):
    torch = _torch()
    F = torch.nn.functional

    shape = (2, 6, 5)
    conv = {
        "kind": "conv2d",
        "out_channels": 3,
        "kernel_size": [3, 2],
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "activation": "tanh",
    }
    net = network_from_dict(_spec(shape, conv, {"units": 2}))
    rng = np.random.default_rng(1)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 4)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)

    def torch_loss(p):
        x = torch.tensor(X).reshape(4, *shape)
        z = F.conv2d(x, p["W1"], p["b1"], stride=stride, padding=padding, dilation=dilation)
        h = torch.tanh(z).reshape(4, -1)
        out = h @ p["W2"].T + p["b2"]
        return torch.mean(torch.mean((torch.tensor(Y) - out) ** 2, dim=1))

    t_loss, t_grads = _torch_grads(torch_loss, params)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for name in grads:
        assert relative_error(grads[name], t_grads[name]) < 1e-10, name


def test_conv1d_gradients_agree_with_pytorch_autograd():
    torch = _torch()
    F = torch.nn.functional

    conv = {"kind": "conv1d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1}
    net = network_from_dict(_spec((3, 9), conv))
    rng = np.random.default_rng(2)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 3)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)

    def torch_loss(p):
        z = F.conv1d(torch.tensor(X).reshape(3, 3, 9), p["W1"], p["b1"], stride=2, padding=1)
        return torch.mean(torch.mean((torch.tensor(Y) - z.reshape(3, -1)) ** 2, dim=1))

    t_loss, t_grads = _torch_grads(torch_loss, params)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for name in grads:
        assert relative_error(grads[name], t_grads[name]) < 1e-10, name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            _spec((1, 3, 3), {"kind": "conv2d", "out_channels": 1, "kernel_size": 4}),
            r"layers\[1\]\.kernel_size: a 4×4 kernel is larger than the padded input 3×3 "
            r"\(the input: 3×3, padding 0×0\)",
        ),
        (
            _spec(
                (1, 3, 3), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "dilation": 3}
            ),
            r"layers\[1\]\.kernel_size: a 2×2 kernel \(dilated to 4×4\) is larger than the padded",
        ),
        (
            _spec((1, 4, 4), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "stride": 0}),
            r"layers\[1\]\.stride: expected a positive integer per axis, found 0",
        ),
        (
            _spec(
                (2, 4, 4), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "in_channels": 3}
            ),
            r"layers\[1\]\.in_channels: expected 2 \(the channels of the input, shape "
            r"\(2, 4, 4\)\), found 3",
        ),
        (
            _spec((1, 4, 4), {"kind": "conv1d", "out_channels": 1, "kernel_size": 2}),
            r"layers\[1\]: a conv1d layer reads \(channels, length\) blocks, but the input has "
            r"shape \(1, 4, 4\)",
        ),
        (
            {"inputs": 16, "layers": [{"kind": "conv2d", "out_channels": 1, "kernel_size": 2}]},
            r"layers\[1\]: a conv2d layer reads \(channels, height, width\) blocks, but the input "
            r"has shape \(16,\); give the network's input_shape",
        ),
        (
            _spec((1, 4, 4), {"kind": "conv2d", "out_channels": 1, "kernel_size": [2, 2, 2]}),
            r"layers\[1\]\.kernel_size: expected an integer or a list of 2 integers",
        ),
        (
            _spec((1, 4, 4), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "padding": 2}),
            r"layers\[1\]\.padding: padding 2×2 must be smaller than the kernel's extent 2×2",
        ),
        (
            _spec(
                (1, 4, 4), {"kind": "conv2d", "out_channels": 2, "kernel_size": 2, "weights": [1]}
            ),
            r"layers\[1\]\.weights: expected 2 lists \(2×1×2×2 in all\), found '1 lists'",
        ),
        (
            _spec(
                (1, 4, 4),
                {"kind": "conv2d", "name": "c", "out_channels": 1, "kernel_size": 2},
                {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "in_channels": 2},
            ),
            r"layers\[2\]\.in_channels: expected 1 \(the channels of block 1 \(layers\[1\]\), "
            r"shape \(1, 3, 3\)\), found 2",
        ),
        (
            _spec((1, 4, 4), {"kind": "conv2d", "out_channels": 1}),
            r"layers\[1\]\.kernel_size: required key is missing",
        ),
    ],
)
def test_conv_shape_errors_name_the_layer_the_key_and_the_shapes(spec, message):
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


def test_a_conv_spec_reads_from_toml(tmp_path):
    from symnn.spec.specfile import load_spec

    path = tmp_path / "conv.toml"
    path.write_text(
        'inputs = 32\ninput_shape = [2, 4, 4]\nloss = "mse"\n'
        '[[layers]]\nkind = "conv2d"\nout_channels = 1\nkernel_size = [2, 3]\nstride = [1, 2]\n'
        'padding = 1\nbias = [0.5]\nactivation = "relu"\n'
    )
    net = load_spec(path)
    assert net.block_shapes == ((2, 4, 4), (1, 5, 2))
    assert net.layers[0].kernel_size == (2, 3) and net.layers[0].bias == (0.5,)
    assert net.parameter_specs()[1].given == (0.5,)


def test_given_kernel_weights_reach_the_parameters():
    w = [[[[1, 2], [3, 4]]]]
    spec = _spec((1, 3, 3), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "weights": w})
    net = network_from_dict(spec)
    assert net.given_params()["W1"].tolist() == [[[[1.0, 2.0], [3.0, 4.0]]]]
    x = np.arange(9.0).reshape(1, 9)
    out = compile_forward(net)(net.given_params(), x)
    # Correlation, not convolution: the kernel is not flipped (1·0 + 2·1 + 3·3 + 4·4 = 27).
    assert out.tolist() == [[27.0, 37.0, 57.0, 67.0]]


def test_the_element_level_says_a_kernel_weight_sums_over_every_position():
    from symnn.engine import derive

    spec = _spec((1, 3, 3), {"kind": "conv2d", "out_channels": 1, "kernel_size": 2})
    d = derive(network_from_dict(spec), "W1[1,1,2,1]")
    # proof order: the δ sections come first, the parameter's own section last
    chain = d.sections[-1].steps[0]
    assert chain.rule == "kernel_sum"
    assert "used at 4 positions of layer 1" in chain.note
    assert "sum over every position that uses it" in chain.note
    assert str(d.results[0].rhs) == "delta_1_1*x_4 + delta_1_2*x_5 + delta_1_3*x_7 + delta_1_4*x_8"


def test_the_element_code_of_a_conv_net_agrees_with_autograd_in_both_layouts():
    spec = _spec(
        (1, 4, 4),
        {"kind": "conv2d", "out_channels": 2, "kernel_size": 2, "stride": 2, "activation": "relu"},
        {"units": 2},
    )
    net = network_from_dict(spec)
    rng = np.random.default_rng(3)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 4)
    _, reference = oracle.gradients(net, params, X, Y)
    for layout in ("units", "layers"):
        _, grads = compile_gradients(net, layout=layout)(params, X, Y)
        for name in grads:
            assert relative_error(grads[name], reference[name]) < 1e-10, (layout, name)


# -- pooling and flatten ------------------------------------------------------------------------
POOL_GEOMETRIES = [
    # (input shape, window, stride)
    ((2, 4, 4), 2, None),
    ((1, 5, 5), 2, 1),
    ((2, 7, 6), [3, 2], [2, 3]),  # a tail on both axes
    ((1, 6, 6), 2, 3),  # stride larger than the window: entries no window reads
    ((2, 5, 7), [2, 3], None),  # windows side by side, with a tail on both axes
    ((1, 7), 3, None),
    ((2, 7), 3, 2),
    ((1, 8), 2, None),
]


@pytest.mark.parametrize("kind", ["maxpool", "avgpool"])
@pytest.mark.parametrize(("shape", "window", "stride"), POOL_GEOMETRIES)
def test_pool_matrix_code_agrees_with_autograd_at_many_geometries(kind, shape, window, stride):
    conv = "conv2d" if len(shape) == 3 else "conv1d"
    first = {"kind": conv, "out_channels": 2, "kernel_size": 1, "activation": "tanh"}
    pool = {"kind": kind, "window": window} | ({"stride": stride} if stride else {})
    _matrix_vs_oracle(network_from_dict(_spec(shape, first, pool, {"kind": "flatten"})))


@pytest.mark.parametrize(("shape", "window"), [((2, 4, 5), 2), ((1, 6, 7), [3, 2]), ((2, 7), 3)])
def test_side_by_side_max_pooling_routes_to_the_first_arg_max_of_tied_windows(shape, window):
    """Windows side by side (stride = window) take the planes path: its max and its routing of
    δ, on inputs full of ties, against a loop over windows with ``numpy.argmax`` (first wins)."""
    first = {"kind": "conv2d" if len(shape) == 3 else "conv1d", "out_channels": shape[0]}
    first |= {"kernel_size": 1, "bias": False}
    pool = {"kind": "maxpool", "window": window}
    net = network_from_dict(_spec(shape, first, pool, loss="squared_error"))
    source = matrix_source(net)
    assert "P2.max(axis=0)" in source and "sliding_window_view(X2" not in source
    src = re.sub(r"\n    return .*\n", "\n    return A2, U2\n", source)
    routed = load_function(src, "loss_and_gradients")
    rng = np.random.default_rng(7)
    n, channels, size = 3, shape[0], shape[1:]
    X = rng.integers(0, 3, size=(n, *shape)).astype(float)  # three values: ties everywhere
    W = np.eye(channels).reshape(channels, channels, *[1] * len(size))
    Y = rng.standard_normal((n, net.widths[-1]))
    pooled, spread = routed({"W1": W}, X.reshape(n, -1), Y)
    k = (window,) * len(size) if isinstance(window, int) else tuple(window)
    out = tuple(m // w for m, w in zip(size, k, strict=True))
    expected_a = np.zeros((n, channels, *out))
    expected_u = np.zeros((n, channels, *size))
    delta = (pooled - Y).reshape(n, channels, *out) / n  # ½ squared error's δ of the mean loss
    for i in range(n):
        for ch in range(channels):
            for pos in np.ndindex(*out):
                cells = tuple(slice(p * w, (p + 1) * w) for p, w in zip(pos, k, strict=True))
                block = X[(i, ch, *cells)]
                winner = np.unravel_index(np.argmax(block), block.shape)  # the first maximum
                expected_a[(i, ch, *pos)] = block[winner]
                at = tuple(p * w + j for p, w, j in zip(pos, k, winner, strict=True))
                expected_u[(i, ch, *at)] = delta[(i, ch, *pos)]
    np.testing.assert_array_equal(pooled, expected_a.reshape(n, -1))
    np.testing.assert_array_equal(spread.reshape(n, channels, *size), expected_u)


def test_max_pooling_ties_go_to_the_first_arg_max_in_row_major_order():
    """A window of equal entries sends its whole gradient to its first entry, at both levels."""
    first = {"kind": "conv2d", "out_channels": 1, "kernel_size": 1, "bias": False}
    net = network_from_dict(_spec((1, 2, 4), first, {"kind": "maxpool", "window": 2}))
    params = {"W1": np.ones((1, 1, 1, 1))}
    # window 1: all four equal (tie); window 2: the last two tie for the max
    X = np.array([[1.0, 1.0, 0.0, 2.0, 1.0, 1.0, 0.0, 2.0]])
    Y = np.zeros((1, 2))
    routed = {}
    for name, f in (("element", compile_gradients(net)), ("matrix", compile_matrix_gradients(net))):
        # ∂L/∂W1 = Σ_windows δ · x(winner), and each winner's x is what the max read
        _, grads = f(params, X, Y)
        routed[name] = float(grads["W1"][0, 0, 0, 0])
    # L = ½ mean((1)² + (2)²) per output: δ = a; ∂L/∂w = Σ δ·x_winner = 1·1 + 2·2 over 2 outputs
    assert routed["element"] == pytest.approx(routed["matrix"], rel=1e-15)
    assert routed["matrix"] == pytest.approx(1.0 * 1.0 + 2.0 * 2.0)
    from symnn.engine import derive

    d = derive(net, "W1[1,1,1,1]")
    notes = [s.note for sec in d.sections for s in sec.steps if s.rule == "max_pool"]
    assert notes and all("first arg-max" in n and "row-major" in n for n in notes)


def test_the_first_arg_max_indicator_picks_the_earliest_of_tied_entries():
    from symnn.layers.pool import FirstArgmax, WindowMax

    a, b, c = sp.symbols("a b c", real=True)
    m = WindowMax(a, b, c)
    assert [m.diff(s) for s in (a, b, c)] == [FirstArgmax(i, a, b, c) for i in (1, 2, 3)]
    tie = {a: 0.0, b: 2.0, c: 2.0}
    values = [float(FirstArgmax(i, a, b, c)._elementary().subs(tie)) for i in (1, 2, 3)]
    assert values == [0.0, 1.0, 0.0]
    f = sp.lambdify([a, b, c], [FirstArgmax(i, a, b, c) for i in (1, 2, 3)], modules="numpy")
    assert [float(v) for v in f(0.0, 2.0, 2.0)] == [0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    ("kind", "window", "stride"), [("max", 2, 2), ("max", 3, 1), ("avg", 2, 1)]
)
def test_pooling_gradients_agree_with_pytorch_autograd(kind, window, stride):
    torch = _torch()
    F = torch.nn.functional
    shape = (1, 6, 5)
    conv = {"kind": "conv2d", "out_channels": 2, "kernel_size": 2, "activation": "tanh"}
    pool = {"kind": f"{kind}pool", "window": window, "stride": stride}
    net = network_from_dict(_spec(shape, conv, pool, {"kind": "flatten"}, {"units": 2}))
    rng = np.random.default_rng(4)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 3)
    loss, grads = compile_matrix_gradients(net)(params, X, Y)
    torch_pool = F.max_pool2d if kind == "max" else F.avg_pool2d

    def torch_loss(p):
        h = torch.tanh(F.conv2d(torch.tensor(X).reshape(3, *shape), p["W1"], p["b1"]))
        pooled = torch_pool(h, window, stride).reshape(3, -1)
        out = pooled @ p["W4"].T + p["b4"]
        return torch.mean(torch.mean((torch.tensor(Y) - out) ** 2, dim=1))

    t_loss, t_grads = _torch_grads(torch_loss, params)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    for name in grads:
        assert relative_error(grads[name], t_grads[name]) < 1e-10, name


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            _spec((1, 3, 3), {"kind": "maxpool", "window": 4}),
            r"layers\[1\]\.window: a 4×4 window is larger than the input \(3×3\)",
        ),
        (
            _spec((2, 6), {"kind": "avgpool", "window": [2, 2]}),
            r"layers\[1\]\.window: a 2-D window \[2, 2\] on the input of shape \(2, 6\) "
            r"\(a 1-D block\); give 1 size",
        ),
        (
            _spec((1, 4, 4), {"kind": "maxpool", "window": 2, "stride": 0}),
            r"layers\[1\]\.stride: expected a positive integer per axis, found 0",
        ),
        (
            _spec((1, 4, 4), {"kind": "maxpool", "window": 0}),
            r"layers\[1\]\.window: expected a positive integer per axis, found 0",
        ),
        (
            _spec((1, 2, 2, 2), {"kind": "maxpool", "window": 2}),
            r"layers\[1\]: a maxpool layer reads \(channels, length\) or \(channels, height, "
            r"width\) blocks, but the input has shape \(1, 2, 2, 2\)",
        ),
        (
            _spec((1, 4, 4), {"kind": "flatten", "units": 3}),
            r"layers\[1\]: unknown key 'units'; known: name, inputs",
        ),
    ],
)
def test_pool_shape_errors_name_the_layer_the_key_and_the_shapes(spec, message):
    with pytest.raises(SymnnError, match=message):
        network_from_dict(spec)


def test_flatten_turns_an_image_block_into_a_vector():
    spec = _spec((2, 4, 4), {"kind": "maxpool", "window": 2}, {"kind": "flatten"}, {"units": 3})
    net = network_from_dict(spec)
    assert net.block_shapes == ((2, 4, 4), (2, 2, 2), (8,), (3,))


# -- the matrix level and the documents --------------------------------------------------------
@pytest.mark.parametrize(
    "spec",
    [
        _spec(  # dilation, padding and a tail no window reaches, read from a conv
            (1, 5, 4),
            {"kind": "conv2d", "out_channels": 2, "kernel_size": 1, "activation": "tanh"},
            {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "stride": 2, "dilation": 2},
        ),
        _spec(  # overlapping max windows and a strided average, 1-D
            (1, 6),
            {"kind": "conv1d", "out_channels": 1, "kernel_size": 1, "activation": "sigmoid"},
            {"kind": "maxpool", "window": 2, "stride": 1},
            {"kind": "avgpool", "window": 2, "stride": 2},
        ),
    ],
)
def test_every_matrix_step_of_a_conv_net_equals_the_element_level(spec):
    from symnn.engine.matrix import derive_matrix
    from tests.test_matrix import _check_step, _environment

    net = network_from_dict(spec)
    env = _environment(net)
    derivation = derive_matrix(net)
    checked = 0
    for step in derivation.steps + list(derivation.results):
        _check_step(step, net, env)
        checked += 1
    assert checked > 10


def _cnn():
    return network_from_dict(
        {
            **_spec(
                (1, 4, 4),
                {
                    "kind": "conv2d",
                    "out_channels": 1,
                    "kernel_size": 2,
                    "weights": [[[[0.5, -0.25], [0.75, 0.1]]]],
                    "bias": [0.05],
                    "activation": "relu",
                },
                {"kind": "maxpool", "window": 2, "stride": 1},
                {"kind": "flatten"},
                {"units": 1, "weights": [[0.3, -0.2, 0.4, 0.1]], "bias": [0.0]},
                loss="squared_error",
            ),
            "data": {"x": [[1, 2, 0, -1, 0.5, 1, 1, 1, 2, 2, -1, 0, 0, 3, 0.5, 1]], "y": [[0.5]]},
            "learning_rate": 0.1,
        }
    )


def test_the_documents_state_the_kernel_sum_the_tie_rule_and_the_flipped_kernel():
    from symnn.engine import derive
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation

    net = _cnn()
    text = render_derivation(derive(net, "W1[1,1,1,2]"), "md", numeric=True)
    assert "sum over every position that uses it" in text
    assert "first arg-max in row-major order (a tie goes to the earliest entry)" in text
    assert r"\operatorname{argmax}" in text and "kernel row $p$ and column $q$" in text
    matrix = render_derivation(derive_matrix(net), "md")
    assert r"W^{(1)} \star x + b^{(1)} \otimes \mathbf{1}_{9}" in matrix
    assert r"\operatorname{route}_{\operatorname{argmax}}" in matrix
    assert r"\operatorname{rot}_{180}" in matrix


def test_the_worked_numbers_show_which_entry_of_a_window_won():
    from symnn.engine import derive
    from symnn.output.document import render_derivation

    text = render_derivation(derive(_cnn(), "W1[1,1,1,1]"), "md", numeric=True)
    lines = text.splitlines()
    # a^{(1)} = ReLU(W ⋆ x + b); the first 2×2 window of it reads (0.525, 1.9, 1.75, 1.7): the
    # second entry won, so ∂a^{(2)}_1/∂a^{(1)}_2 is 1 and ∂a^{(2)}_1/∂a^{(1)}_1 is 0.
    for unit, value in ((1, "0"), (2, "1"), (4, "0")):
        head = rf"\frac{{\partial a^{{(2)}}_{{1}}}}{{\partial a^{{(1)}}_{{{unit}}}}} & = "
        at = next(i for i, s in enumerate(lines) if s.startswith(head) and "0.525, 1.9" in s)
        assert lines[at + 1] == rf" & = {value} \\", (unit, lines[at + 1])


def test_conv_documents_compile_with_pdflatex():
    from symnn.engine import derive
    from symnn.engine.matrix import derive_matrix
    from symnn.output.document import render_derivation
    from symnn.output.pdf import compile_pdf, pdflatex

    if pdflatex() is None:
        pytest.skip("pdflatex is missing: install texlive-latex-base and texlive-latex-recommended")
    net = _cnn()
    element = derive(net, "W1")
    tex = render_derivation(element, "article", numeric=True, matrix=derive_matrix(net))
    assert compile_pdf(tex).startswith(b"%PDF")
    assert compile_pdf(render_derivation(element, "beamer")).startswith(b"%PDF")


@pytest.mark.parametrize(("stride", "padding"), [(1, 0), (2, 0), (1, 1), (2, 1)])
def test_the_worked_numbers_of_a_4x4_convolution_match_a_direct_computation(stride, padding):
    """Every output, every δ and every kernel-gradient sum of the gallery's worked layer."""
    from symnn.core import notation as nt
    from symnn.engine import derive
    from symnn.engine.values import worked_numbers
    from symnn.gallery.networks import _conv_variant

    net = _conv_variant(stride, padding)
    numbers = worked_numbers(derive(net, "all"))
    x = np.pad(np.array(net.data.x[0]).reshape(4, 4), padding)
    y = np.array(net.data.y[0])
    kernel, bias = np.array(net.given_params()["W1"])[0, 0], net.given_params()["b1"][0]
    side = (4 + 2 * padding - 2) // stride + 1
    z = np.array(
        [
            [np.sum(kernel * x[stride * i : stride * i + 2, stride * j : stride * j + 2]) + bias]
            for i in range(side)
            for j in range(side)
        ]
    ).ravel()
    delta = z - y  # squared error, identity output
    forward = {e.lhs: e.value for e in numbers.forward}
    np.testing.assert_allclose([forward[nt.z(1, j + 1)] for j in range(side**2)], z, rtol=1e-12)
    adjoints = {lhs: steps[-1].value for lhs, steps in numbers.backward}
    np.testing.assert_allclose(
        [adjoints[nt.delta(1, j + 1)] for j in range(side**2)], delta, rtol=1e-12
    )
    gradients = {str(theta): mean for theta, _, mean in numbers.gradients}
    for p in range(2):
        for q in range(2):
            windows = [x[stride * i + p, stride * j + q] for i in range(side) for j in range(side)]
            expected = float(np.dot(delta, windows))  # the sum over every position
            assert gradients[f"w_1_1_1_{p + 1}_{q + 1}"] == pytest.approx(expected, rel=1e-12)
    assert gradients["b_1_1"] == pytest.approx(delta.sum(), rel=1e-12)


# -- training a small CNN with the derived gradients ------------------------------------------
def toy_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """8×8 images of three classes, generated (no download): a horizontal bar, a vertical bar
    or a diagonal, three pixels long at a random place, on noise of scale 0.2; one-hot labels."""
    rng = np.random.default_rng(seed)
    X, Y = np.zeros((n, 64)), np.zeros((n, 3))
    for k in range(n):
        image = rng.normal(0.0, 0.2, (8, 8))
        label = k % 3
        i, j = rng.integers(0, 6, 2)
        for t in range(3):
            at = [(i, j + t), (i + t, j), (i + t, j + t)][label]
            image[at] += 1.0
        X[k], Y[k, label] = image.ravel(), 1.0
    return X, Y


def test_a_small_cnn_trains_on_toy_images_to_95_percent_test_accuracy():
    from symnn import train

    net = network_from_dict(
        _spec(
            (1, 8, 8),
            {"kind": "conv2d", "out_channels": 4, "kernel_size": 3, "activation": "relu"},
            {"kind": "maxpool", "window": 2},
            {"kind": "flatten"},
            {"units": 3},
            loss="softmax_cross_entropy",
        )
    )
    X, Y = toy_images(360, seed=0)
    X_test, Y_test = toy_images(120, seed=1)
    result = train(
        net, X, Y, gradient="matrix", steps=800, lr=0.1, optimizer="momentum", init="he", seed=0
    )
    assert result.loss[-1] < 0.3 * result.loss[0]
    src = re.sub(r"\n    return .*\n", "\n    return Z4\n", matrix_source(net))
    logits = load_function(src, "loss_and_gradients")(result.params, X_test, Y_test)
    accuracy = float(np.mean(logits.argmax(axis=1) == Y_test.argmax(axis=1)))
    assert accuracy >= 0.95, accuracy

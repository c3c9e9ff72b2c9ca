"""The CNN row: symnn's matrix-level gradient of conv2d(1→8, 3×3) + ReLU + maxpool(2) + dense(10)
on 28×28 inputs, against hand-written vectorised NumPy and PyTorch CPU autograd on the same network
(softmax cross-entropy, float64, one thread), and the time to derive and compile it.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks import torch_backprop
from benchmarks.timing import against_hand, ratio_section, ratios_shown
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.engine.matrix import derive_matrix
from symnn.spec.specfile import network_from_dict

SPEC = {
    "inputs": 784,
    "input_shape": [1, 28, 28],
    "layers": [
        {"kind": "conv2d", "out_channels": 8, "kernel_size": 3, "activation": "relu"},
        {"kind": "maxpool", "window": 2},
        {"kind": "flatten"},
        {"units": 10},
    ],
    "loss": "softmax_cross_entropy",
}


def network():
    return network_from_dict(SPEC)


def hand_written(params, X, Y):
    """Backprop of the CNN as one writes it by hand: im2col by strides, reshapes for the pool."""
    W1, b1, W4, b4 = (params[k] for k in ("W1", "b1", "W4", "b4"))
    n = X.shape[0]
    x = X.reshape(n, 28, 28)
    cols = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))  # n, 26, 26, 3, 3
    cols = cols.reshape(n * 26 * 26, 9)
    Z1 = cols @ W1.reshape(8, 9).T + b1  # (n·26·26, 8)
    A1 = np.maximum(Z1, 0.0).reshape(n, 26, 26, 8)
    windows = A1.reshape(n, 13, 2, 13, 2, 8)
    A2 = windows.max(axis=(2, 4))  # n, 13, 13, 8
    flat = A2.transpose(0, 3, 1, 2).reshape(n, -1)  # channel-major, as symnn's blocks
    Z4 = flat @ W4.T + b4
    shifted = Z4 - Z4.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = (lse[:, 0] + Z4.max(axis=1)) - np.sum(Y * Z4, axis=1)
    D4 = (np.exp(shifted - lse) * Y.sum(axis=1, keepdims=True) - Y) / n
    G2 = (D4 @ W4).reshape(n, 8, 13, 13).transpose(0, 2, 3, 1)
    # route to the first arg-max of each 2×2 window (row-major), as symnn does
    flat_windows = windows.transpose(0, 1, 3, 5, 2, 4).reshape(n, 13, 13, 8, 4)
    first = flat_windows.argmax(axis=-1)
    routed = (np.arange(4) == first[..., None]) * G2[..., None]
    G1 = routed.reshape(n, 13, 13, 8, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, 26, 26, 8)
    D1 = (G1 * (A1 > 0)).reshape(n * 26 * 26, 8)
    grads = {
        "W1": (D1.T @ cols).reshape(8, 1, 3, 3),
        "b1": D1.sum(axis=0),
        "W4": D4.T @ flat,
        "b4": D4.sum(axis=0),
    }
    return float(loss.mean()), grads


def torch_function():
    """The same network in PyTorch CPU autograd (NumPy in and out)."""
    torch = torch_backprop.torch
    torch.set_num_threads(1)
    F = torch.nn.functional
    names = ("W1", "b1", "W4", "b4")

    def loss_and_gradients(params, X, Y):
        p = {k: torch.from_numpy(params[k]).requires_grad_() for k in names}
        x = torch.from_numpy(X).reshape(-1, 1, 28, 28)
        h = F.max_pool2d(torch.relu(F.conv2d(x, p["W1"], p["b1"])), 2)
        out = h.reshape(h.shape[0], -1) @ p["W4"].T + p["b4"]
        y = torch.from_numpy(Y)
        loss = (torch.logsumexp(out, dim=1) - (y * out).sum(dim=1)).mean()
        loss.backward()
        return float(loss.detach()), {k: p[k].grad.numpy() for k in names}

    return loss_and_gradients


def row(batch: int = 64, rounds: int = 5, torch: bool = True) -> dict:
    """Median seconds of each implementation, ratios to hand-written NumPy, derive + compile."""
    start = time.perf_counter()
    net = network()
    derive_matrix(net)
    compiled = compile_matrix_gradients(net)
    derive_s = time.perf_counter() - start
    found = against_hand(
        net,
        hand_written,
        torch_function,
        batch=batch,
        rounds=rounds,
        torch=torch,
        compiled=compiled,
    )
    print(
        f"  CNN conv2d(1→8, 3×3) + maxpool(2) + dense(10), 28×28, batch {batch}: "
        f"{ratios_shown(found)} of hand-written NumPy; derive + compile {derive_s:.2f} s"
    )
    return {**found, "derive_s": derive_s}


def markdown(found: dict) -> str:
    """The row as a short results.md section."""
    heading = f"CNN (conv2d 1→8 3×3, ReLU, maxpool 2, dense 10; 28×28, batch {found['batch']})"
    note = f"; derive + compile at the matrix level {found['derive_s']:.2f} s"
    return ratio_section(heading, found, note)

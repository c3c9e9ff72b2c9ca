"""The attention row: symnn's matrix-level gradient of 2-head self-attention (T = 32, width 64,
with Q, K, V and output projections and their biases, mean squared error on the output block),
against hand-written NumPy and PyTorch CPU autograd on the same network and weights.
"""

from __future__ import annotations

import numpy as np

from benchmarks import torch_backprop
from benchmarks.timing import against_hand, ratio_section, ratios_shown
from symnn import Network
from symnn.layers.attention import Attention

T, D, HEADS = 32, 64, 2
NAMES = ("Wq1", "bq1", "Wk1", "bk1", "Wv1", "bv1", "Wo1", "bo1")


def network() -> Network:
    return Network(T * D, [Attention(heads=HEADS)], "mse", input_shape=[T, D])


def hand_written(params, X, Y):
    """Multi-head attention's backprop as one writes it by hand (batched matmuls)."""
    n, dh = X.shape[0], D // HEADS
    Wq, bq, Wk, bk, Wv, bv, Wo, bo = (params[k] for k in NAMES)
    x = X.reshape(n, T, D)

    def heads(m):
        return m.reshape(n, T, HEADS, dh).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ Wq.T + bq), heads(x @ Wk.T + bk), heads(x @ Wv.T + bv)
    tau = 1.0 / np.sqrt(dh)
    s = (q @ k.transpose(0, 1, 3, 2)) * tau
    p = np.exp(s - s.max(axis=3, keepdims=True))
    p /= p.sum(axis=3, keepdims=True)
    o = (p @ v).transpose(0, 2, 1, 3).reshape(n, T, D)
    out = o @ Wo.T + bo
    r = out.reshape(n, T * D) - Y
    loss = float(np.mean(r**2))
    g = (2.0 / (n * T * D)) * r.reshape(n * T, D)
    do = (g @ Wo).reshape(n, T, HEADS, dh).transpose(0, 2, 1, 3)
    dv = p.transpose(0, 1, 3, 2) @ do
    dp = do @ v.transpose(0, 1, 3, 2)
    ds = p * (dp - (dp * p).sum(axis=3, keepdims=True)) * tau
    dq, dk = ds @ k, ds.transpose(0, 1, 3, 2) @ q
    x2 = x.reshape(n * T, D)

    def merged(m):
        return m.transpose(0, 2, 1, 3).reshape(n * T, D)

    dq, dk, dv = merged(dq), merged(dk), merged(dv)
    grads = {
        "Wq1": dq.T @ x2,
        "bq1": dq.sum(axis=0),
        "Wk1": dk.T @ x2,
        "bk1": dk.sum(axis=0),
        "Wv1": dv.T @ x2,
        "bv1": dv.sum(axis=0),
        "Wo1": g.T @ o.reshape(n * T, D),
        "bo1": g.sum(axis=0),
    }
    return loss, grads


def torch_function():
    """The same block in PyTorch CPU autograd (NumPy in and out)."""
    torch = torch_backprop.torch
    torch.set_num_threads(1)
    dh = D // HEADS

    def loss_and_gradients(params, X, Y):
        p = {k: torch.from_numpy(params[k]).requires_grad_() for k in NAMES}
        n = X.shape[0]
        x = torch.from_numpy(X).reshape(n, T, D)

        def heads(m):
            return m.reshape(n, T, HEADS, dh).transpose(1, 2)

        q = heads(x @ p["Wq1"].T + p["bq1"])
        k = heads(x @ p["Wk1"].T + p["bk1"])
        v = heads(x @ p["Wv1"].T + p["bv1"])
        weights = torch.softmax((q @ k.transpose(2, 3)) / dh**0.5, dim=3)
        o = (weights @ v).transpose(1, 2).reshape(n, T, D)
        out = (o @ p["Wo1"].T + p["bo1"]).reshape(n, T * D)
        loss = ((out - torch.from_numpy(Y)) ** 2).mean()
        loss.backward()
        return float(loss.detach()), {k: p[k].grad.numpy() for k in NAMES}

    return loss_and_gradients


def row(batch: int = 16, rounds: int = 5, torch: bool = True) -> dict:
    """Median seconds of each implementation and its ratio to hand-written NumPy."""
    found = against_hand(
        network(), hand_written, torch_function, batch=batch, rounds=rounds, torch=torch, atol=1e-12
    )
    shown = ratios_shown(found)
    print(f"  attention 2 heads, T {T}, width {D}, batch {batch}: {shown} of hand-written NumPy")
    return found


def markdown(found: dict) -> str:
    """The row as a short results.md section."""
    heading = f"Self-attention (2 heads, T = {T}, width {D}; batch {found['batch']})"
    return ratio_section(heading, found)

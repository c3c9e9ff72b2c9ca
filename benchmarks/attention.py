"""The attention row: symnn's matrix-level gradient of 2-head self-attention (T = 32, width 64,
with Q, K, V and output projections and their biases, mean squared error on the output block),
against hand-written NumPy and PyTorch CPU autograd on the same network and weights.
"""

from __future__ import annotations

import numpy as np

from benchmarks import torch_backprop
from benchmarks.timing import interleaved, median
from symnn import Network, compile_matrix_gradients
from symnn.layers.attention import Attention
from symnn.training.check import random_batch, random_params

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
    net = network()
    fs = {"hand": hand_written, "matrix": compile_matrix_gradients(net)}
    if torch and torch_backprop.available():
        fs["torch"] = torch_function()
    rng = np.random.default_rng(batch)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, batch)
    loss, grads = hand_written(params, X, Y)
    for name, f in fs.items():
        other_loss, other = f(params, X, Y)
        assert np.isclose(other_loss, loss, rtol=1e-9), name
        assert all(np.allclose(other[k], grads[k], rtol=1e-7, atol=1e-12) for k in grads), name
    samples = interleaved({name: (lambda f=f: f(params, X, Y)) for name, f in fs.items()}, rounds)
    medians = {name: median(s) for name, s in samples.items()}
    ratios = {name: medians[name] / medians["hand"] for name in medians}
    shown = ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items() if k != "hand")
    print(f"  attention 2 heads, T {T}, width {D}, batch {batch}: {shown} of hand-written NumPy")
    return {"batch": batch, "median_s": medians, "ratio_to_hand": ratios}


def markdown(found: dict) -> str:
    """The row as a short results.md section."""
    ratios = found["ratio_to_hand"]
    shown = [k for k in ("matrix", "torch") if k in ratios]
    return (
        f"\n## Self-attention (2 heads, T = {T}, width {D}; batch {found['batch']})\n\n"
        "Gradient time relative to hand-written NumPy:\n\n"
        f"| {' | '.join(shown)} |\n|{'---|' * len(shown)}\n"
        f"| {' | '.join(f'{ratios[k]:.2f}x' for k in shown)} |\n"
    )

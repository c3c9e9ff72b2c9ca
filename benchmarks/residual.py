"""The residual-MLP row: symnn's matrix-level gradient of a skip connection, against hand-written
NumPy and PyTorch CPU autograd on the same network (x → h = relu(W1 x + b1) → f = relu(W2 h + b2)
→ s = h + f → W3 s + b3, softmax cross-entropy).
"""

from __future__ import annotations

import numpy as np

from benchmarks import torch_backprop
from benchmarks.timing import against_hand, ratio_section, ratios_shown
from symnn import Add, Dense, Network


def network(inputs: int = 784, hidden: int = 128, outputs: int = 10) -> Network:
    layers = [
        Dense(hidden, "relu", name="h"),
        Dense(hidden, "relu", name="f"),
        Add(("h", "f")),
        Dense(outputs),
    ]
    return Network(inputs, layers, "softmax_cross_entropy")


def hand_written(params, X, Y):
    """Backprop of the residual MLP as one writes it by hand."""
    W1, b1, W2, b2, W4, b4 = (params[k] for k in ("W1", "b1", "W2", "b2", "W4", "b4"))
    n = X.shape[0]
    Z1 = X @ W1.T + b1
    H = np.maximum(Z1, 0.0)
    Z2 = H @ W2.T + b2
    F = np.maximum(Z2, 0.0)
    S = H + F
    Z4 = S @ W4.T + b4
    shifted = Z4 - Z4.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = (lse[:, 0] + Z4.max(axis=1)) - np.sum(Y * Z4, axis=1)
    D4 = np.exp(shifted - lse) * Y.sum(axis=1, keepdims=True) - Y
    G = D4 @ W4
    D2 = G * (Z2 > 0.0)
    D1 = (G + D2 @ W2) * (Z1 > 0.0)
    grads = {
        "W1": D1.T @ X / n,
        "b1": D1.sum(axis=0) / n,
        "W2": D2.T @ H / n,
        "b2": D2.sum(axis=0) / n,
        "W4": D4.T @ S / n,
        "b4": D4.sum(axis=0) / n,
    }
    return float(loss.mean()), grads


def torch_function():
    """The same network in PyTorch CPU autograd (NumPy in and out)."""
    torch = torch_backprop.torch
    torch.set_num_threads(1)
    names = ("W1", "b1", "W2", "b2", "W4", "b4")

    def loss_and_gradients(params, X, Y):
        p = {k: torch.from_numpy(params[k]).requires_grad_() for k in names}
        h = torch.relu(torch.from_numpy(X) @ p["W1"].T + p["b1"])
        f = torch.relu(h @ p["W2"].T + p["b2"])
        out = (h + f) @ p["W4"].T + p["b4"]
        y = torch.from_numpy(Y)
        loss = (torch.logsumexp(out, dim=1) - (y * out).sum(dim=1)).mean()
        loss.backward()
        return float(loss.detach()), {k: p[k].grad.numpy() for k in names}

    return loss_and_gradients


def row(batch: int = 256, rounds: int = 5, torch: bool = True) -> dict:
    """Median seconds of each implementation and its ratio to hand-written NumPy."""
    found = against_hand(
        network(), hand_written, torch_function, batch=batch, rounds=rounds, torch=torch
    )
    print(
        f"  residual MLP 784-128-(+)-10 batch {batch}: {ratios_shown(found)} of hand-written NumPy"
    )
    return found


def markdown(found: dict) -> str:
    """The row as a short results.md section."""
    heading = f"Residual MLP (784-128, skip connection, 10; batch {found['batch']})"
    return ratio_section(heading, found)

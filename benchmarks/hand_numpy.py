"""Backprop written by hand in vectorised NumPy: the yardstick the benchmark measures against.

The textbook loop over layers, samples as rows: Z = A Wᵀ + b forward, δ = (δ' W) ⊙ f'(Z) backward,
∂L/∂W = δᵀ A / N. It knows the rules the benchmark networks use and nothing else; its agreement
with symnn's generated gradients is checked in ``tests/test_benchmarks.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -z))


# activation -> (f, f' written in terms of (z, a)), as one writes them by hand.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "identity": (lambda z: z, lambda z, a: 1.0),
    "sigmoid": (_sigmoid, lambda z, a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0.0) * 1.0),
}


def _squared_error(out, Y):
    r = out - Y
    return 0.5 * np.sum(r * r, axis=1), r


def _mse(out, Y):
    r = out - Y
    k = out.shape[1]
    return np.sum(r * r, axis=1) / k, (2.0 / k) * r


def _softmax_cross_entropy(out, Y):
    shifted = out - out.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    loss = np.log(s[:, 0]) - np.sum(Y * shifted, axis=1)
    return loss, e / s - Y


# loss -> per-sample loss and ∂loss/∂(network output), per row.
LOSSES: dict[str, Callable] = {
    "squared_error": _squared_error,
    "mse": _mse,
    "softmax_cross_entropy": _softmax_cross_entropy,
}


def supports(net) -> bool:
    """Whether this hand-written backprop covers the network's rules."""
    return net.loss in LOSSES and all(
        layer.activation in ACTIVATIONS and layer.has_bias and not layer.activation_params
        for layer in net.layers
    )


def gradient_function(net) -> Callable:
    """``(params, X, Y) -> (mean loss, grads)`` for a network of the supported rules."""
    if not supports(net):
        raise ValueError(f"hand-written backprop does not cover {net.key()}")
    rules = [ACTIVATIONS[layer.activation] for layer in net.layers]
    loss_rule = LOSSES[net.loss]
    depth = len(rules)

    def loss_and_gradients(params, X, Y):
        n = X.shape[0]
        acts, zs = [X], []
        for l, (f, _) in enumerate(rules, start=1):
            z = acts[-1] @ params[f"W{l}"].T + params[f"b{l}"]
            zs.append(z)
            acts.append(f(z))
        losses, grad_out = loss_rule(acts[-1], Y)
        grads = {}
        delta = grad_out * rules[-1][1](zs[-1], acts[-1])
        for l in range(depth, 0, -1):
            grads[f"W{l}"] = delta.T @ acts[l - 1] / n
            grads[f"b{l}"] = delta.sum(axis=0) / n
            if l > 1:
                delta = (delta @ params[f"W{l}"]) * rules[l - 2][1](zs[l - 2], acts[l - 1])
        return float(losses.mean()), grads

    return loss_and_gradients

"""Backprop written by hand and tuned: the hard yardstick beside ``hand_numpy``'s textbook loop.

The same maths as ``benchmarks/hand_numpy.py`` written the way one tunes NumPy by hand: every
intermediate (Z, A, Δ and scratch) preallocated once per batch size and written in place with
``out=``; 1/N folded into the output error once, so the gradients need no division; the loss from
one ``vdot``; ReLU′ as a boolean mask; the sigmoid by SciPy's ``expit`` (C, stable; a tanh form
without SciPy). Gradients are returned as fresh arrays, as every other implementation does, so the
caller may keep them. Its agreement with symnn is checked in ``tests/test_benchmarks.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

try:
    from scipy.special import expit as _expit
except ImportError:  # pragma: no cover - SciPy is in symnn's test extra

    def _expit(z, out):
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out


from benchmarks import hand_numpy


def _forward(name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A = f(Z) written into ``out`` (identity returns Z itself)."""
    if name == "identity":
        return lambda z, out: z
    if name == "sigmoid":
        return lambda z, out: _expit(z, out=out)
    if name == "tanh":
        return lambda z, out: np.tanh(z, out=out)
    if name == "relu":
        return lambda z, out: np.maximum(z, 0.0, out=out)
    raise ValueError(name)


def _scale_by_derivative(name: str) -> Callable[[np.ndarray, np.ndarray, np.ndarray], None]:
    """D ⊙= f′ at (Z, A), in place, with one scratch array."""

    def sigmoid(d, a, scratch):
        np.subtract(1.0, a, out=scratch)
        scratch *= a
        d *= scratch

    def tanh(d, a, scratch):
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        d *= scratch

    def relu(d, a, scratch):
        d *= a > 0.0  # a = max(z, 0) > 0 exactly where z > 0

    rules = {"identity": lambda d, a, scratch: None, "sigmoid": sigmoid, "tanh": tanh}
    rules["relu"] = relu
    return rules[name]


def gradient_function(net) -> Callable:
    """``(params, X, Y) -> (mean loss, grads)`` for the rules ``hand_numpy`` covers."""
    if not hand_numpy.supports(net):
        raise ValueError(f"hand-tuned backprop does not cover {net.key()}")
    widths = [net.inputs] + [layer.units for layer in net.layers]
    depth = len(net.layers)
    forward = [_forward(layer.activation) for layer in net.layers]
    derivative = [_scale_by_derivative(layer.activation) for layer in net.layers]
    loss = net.loss
    if loss == "softmax_cross_entropy" and net.layers[-1].activation != "identity":
        raise ValueError("softmax_cross_entropy: the hand-tuned code expects identity output")
    buffers: dict[int, tuple[list, list, list, list]] = {}

    def allocate(n: int) -> tuple[list, list, list, list]:
        Z = [np.empty((n, w)) for w in widths[1:]]
        A = [np.empty((n, w)) for w in widths[1:]]
        D = [np.empty((n, w)) for w in widths[1:]]
        scratch = [np.empty((n, w)) for w in widths[1:]]
        return Z, A, D, scratch

    def loss_and_gradients(params, X, Y):
        n = X.shape[0]
        Z, A, D, scratch = buffers.get(n) or buffers.setdefault(n, allocate(n))
        inputs = [X]
        for l in range(depth):
            np.matmul(inputs[-1], params[f"W{l + 1}"].T, out=Z[l])
            Z[l] += params[f"b{l + 1}"]
            inputs.append(forward[l](Z[l], A[l]))
        out, d = inputs[-1], D[-1]
        if loss == "softmax_cross_entropy":
            np.subtract(out, out.max(axis=1, keepdims=True), out=d)
            picked = np.vdot(Y, d)
            np.exp(d, out=d)
            total = d.sum(axis=1, keepdims=True)
            value = (np.log(total).sum() - picked) / n
            d /= total
            d -= Y
            d *= 1.0 / n
        else:
            np.subtract(out, Y, out=d)
            if loss == "squared_error":
                value, scale = 0.5 * np.vdot(d, d) / n, 1.0 / n
            else:  # mse: the mean over the k outputs, then over the batch
                k = out.shape[1]
                value, scale = np.vdot(d, d) / (k * n), 2.0 / (k * n)
            d *= scale
            derivative[-1](d, out, scratch[-1])
        grads = {}
        for l in range(depth - 1, -1, -1):
            grads[f"W{l + 1}"] = D[l].T @ inputs[l]
            grads[f"b{l + 1}"] = D[l].sum(axis=0)
            if l > 0:
                np.matmul(D[l], params[f"W{l + 1}"], out=D[l - 1])
                derivative[l - 1](D[l - 1], inputs[l], scratch[l - 1])
        return float(value), grads

    return loss_and_gradients

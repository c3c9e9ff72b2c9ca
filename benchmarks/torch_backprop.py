"""PyTorch CPU autograd on the same networks: a reference from a mainstream autodiff library."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

torch = None  # imported on first use: it takes seconds, and --no-torch runs never need it


def available() -> bool:
    """Whether PyTorch is importable (importing it if so)."""
    global torch
    if torch is None and importlib.util.find_spec("torch") is not None:
        torch = importlib.import_module("torch")
    return torch is not None


def version() -> str:
    return torch.__version__ if available() else "not installed"


def _activation(name: str) -> Callable:
    return {
        "identity": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
    }[name]


def _loss(name: str) -> Callable:
    def squared_error(out, Y):
        return 0.5 * ((out - Y) ** 2).sum(dim=1)

    def mse(out, Y):
        return ((out - Y) ** 2).mean(dim=1)

    def softmax_cross_entropy(out, Y):
        return torch.logsumexp(out, dim=1) - (Y * out).sum(dim=1)

    return {
        "squared_error": squared_error,
        "mse": mse,
        "softmax_cross_entropy": softmax_cross_entropy,
    }[name]


def gradient_function(net) -> Callable:
    """``(params, X, Y) -> (mean loss, grads)`` with NumPy in and out, autograd in between."""
    torch.set_num_threads(1)
    activations = [_activation(layer.activation) for layer in net.layers]
    loss_rule = _loss(net.loss)
    names = [name for name, _ in net.parameter_shapes()]

    def loss_and_gradients(params, X, Y):
        leaves = {name: torch.from_numpy(params[name]).requires_grad_() for name in names}
        a = torch.from_numpy(X)
        for l, f in enumerate(activations, start=1):
            a = f(a @ leaves[f"W{l}"].T + leaves[f"b{l}"])
        loss = loss_rule(a, torch.from_numpy(Y)).mean()
        loss.backward()
        return float(loss.detach()), {name: leaves[name].grad.numpy() for name in names}

    return loss_and_gradients

"""JAX ``jit(value_and_grad)`` on CPU, pinned to one thread: the compiled-autodiff yardstick.

Optional: without JAX the column says so. XLA's flags must be set before JAX is imported; whether
they hold is not assumed but measured (``busy_threads``: the process's threads whose CPU time grew
while the compiled function ran).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

FLAGS = ("--xla_cpu_multi_thread_eigen=false", "intra_op_parallelism_threads=1")
jax = None  # imported on first use, after XLA_FLAGS is set


def available() -> bool:
    """Whether JAX is importable (importing it, single-threaded and in float64, if so)."""
    global jax
    if jax is None and importlib.util.find_spec("jax") is not None:
        present = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = " ".join([present, *(f for f in FLAGS if f not in present)])
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        jax = importlib.import_module("jax")
        jax.config.update("jax_enable_x64", True)
    return jax is not None


def version() -> str:
    return jax.__version__ if available() else "not installed"


def _rules():
    jnp, nn = jax.numpy, jax.nn
    activations = {"identity": lambda z: z, "sigmoid": nn.sigmoid, "tanh": jnp.tanh}
    activations["relu"] = nn.relu
    losses = {
        "squared_error": lambda out, Y: 0.5 * jnp.sum((out - Y) ** 2, axis=1),
        "mse": lambda out, Y: jnp.mean((out - Y) ** 2, axis=1),
        "softmax_cross_entropy": lambda out, Y: nn.logsumexp(out, axis=1) - jnp.sum(Y * out, 1),
    }
    return activations, losses


def gradient_function(net) -> Callable:
    """``(params, X, Y) -> (mean loss, grads)`` with NumPy in and out, XLA in between."""
    activations, losses = _rules()
    rules = [activations[layer.activation] for layer in net.layers]
    loss_rule = losses[net.loss]

    def mean_loss(params, X, Y):
        a = X
        for l, f in enumerate(rules, start=1):
            a = f(a @ params[f"W{l}"].T + params[f"b{l}"])
        return loss_rule(a, Y).mean()

    compiled = jax.jit(jax.value_and_grad(mean_loss))

    def loss_and_gradients(params, X, Y):
        value, grads = compiled(params, X, Y)
        return float(value), {name: np.asarray(g) for name, g in grads.items()}

    return loss_and_gradients


def _thread_cpu() -> dict[int, float]:
    """CPU seconds of each thread of this process (Linux; empty elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found = {}
    for task in Path("/proc/self/task").glob("*"):
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        found[int(task.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def busy_threads(f: Callable[[], object], seconds: float = 0.5) -> tuple[int, float] | None:
    """Threads that ran ``f`` (CPU time grew by ≥ 5% of the total) and the busiest one's share."""
    before = _thread_cpu()
    if not before:
        return None
    end = os.times().elapsed + seconds
    while os.times().elapsed < end:
        f()
    after = _thread_cpu()
    grew = [after[t] - before.get(t, 0.0) for t in after]
    total = sum(grew)
    if total <= 0:
        return None
    return sum(g >= 0.05 * total for g in grew), max(grew) / total

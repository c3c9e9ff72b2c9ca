"""Timing helpers: CPU time per call, calls calibrated once, interleaved rounds, medians and IQRs.

CPU time (``time.process_time``: every thread of this process) rather than wall-clock time: other
load on a shared machine delays a process without adding to its CPU time, and an implementation
that spreads work over threads is charged for all of them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

clock = time.process_time


def calls_for(f: Callable[[], object], budget: float = 0.02) -> int:
    """How many calls of ``f`` fill about ``budget`` seconds of CPU (at least one)."""
    f()  # warm: first calls compile (JAX) or allocate (the tuned code's buffers)
    start = clock()
    f()
    once = max(clock() - start, 1e-7)
    return max(1, min(100_000, int(budget / once)))


def per_call(f: Callable[[], object], calls: int) -> float:
    """CPU seconds per call of ``f``, over ``calls`` back-to-back calls."""
    start = clock()
    for _ in range(calls):
        f()
    return (clock() - start) / calls


def interleaved(fs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """CPU seconds per call of each function, one sample per round, the functions taking turns.

    The order rotates every round so that no function always runs first (or right after another).
    """
    calls = {name: calls_for(f) for name, f in fs.items()}
    names = list(fs)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            samples[name].append(per_call(fs[name], calls[name]))
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def quartiles(values: list[float]) -> list[float]:
    """The first and third quartiles (both the value itself for a single sample)."""
    if len(values) < 2:
        return [values[0], values[0]]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return [q1, q3]


def round_ratios(samples: dict[str, list[float]], base: str) -> dict[str, list[float]]:
    """Each implementation's time ÷ ``base``'s time in the same round, round by round."""
    return {
        name: [t / b for t, b in zip(times, samples[base], strict=True)]
        for name, times in samples.items()
    }


def against_hand(
    net,
    hand: Callable,
    torch_function: Callable[[], Callable],
    *,
    batch: int,
    rounds: int,
    torch: bool,
    atol: float = 1e-10,
    compiled: Callable | None = None,
) -> dict:
    """symnn's matrix-level gradient (and PyTorch's, if asked and installed) against ``hand``.

    Every implementation's loss and gradients are checked against the hand-written ones first;
    then they take turns for ``rounds`` rounds. Returns the batch, the median seconds and each
    one's ratio to the hand-written time, as a benchmark row records them.
    """
    from benchmarks import torch_backprop
    from symnn.codegen.matrix import compile_matrix_gradients
    from symnn.training.check import random_batch, random_params

    fs = {"hand": hand, "matrix": compiled or compile_matrix_gradients(net)}
    if torch and torch_backprop.available():
        fs["torch"] = torch_function()
    rng = np.random.default_rng(batch)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, batch)
    loss, grads = hand(params, X, Y)
    for name, f in fs.items():
        other_loss, other = f(params, X, Y)
        assert np.isclose(other_loss, loss, rtol=1e-9), name
        assert all(np.allclose(other[k], grads[k], rtol=1e-7, atol=atol) for k in grads), name
    samples = interleaved({name: (lambda f=f: f(params, X, Y)) for name, f in fs.items()}, rounds)
    medians = {name: median(s) for name, s in samples.items()}
    ratios = {name: medians[name] / medians["hand"] for name in medians}
    return {"batch": batch, "median_s": medians, "ratio_to_hand": ratios}


def ratios_shown(found: dict) -> str:
    """``matrix 1.02x, torch 3.10x``: each implementation's time over the hand-written one."""
    return ", ".join(f"{k} {v:.2f}x" for k, v in found["ratio_to_hand"].items() if k != "hand")


def ratio_section(heading: str, found: dict, note: str = "") -> str:
    """A results.md section: the heading and a one-row table of ratios to hand-written NumPy."""
    ratios = found["ratio_to_hand"]
    shown = [k for k in ("matrix", "torch") if k in ratios]
    return (
        f"\n## {heading}\n\nGradient time relative to hand-written NumPy{note}:\n\n"
        f"| {' | '.join(shown)} |\n|{'---|' * len(shown)}\n"
        f"| {' | '.join(f'{ratios[k]:.2f}x' for k in shown)} |\n"
    )

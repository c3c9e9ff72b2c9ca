"""Timing helpers: CPU time per call, calls calibrated once, interleaved rounds, medians and IQRs.

CPU time (``time.process_time``: every thread of this process) rather than wall-clock time: other
load on a shared machine delays a process without adding to its CPU time, and an implementation
that spreads work over threads is charged for all of them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

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

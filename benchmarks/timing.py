"""Timing helpers: calls per measurement calibrated once, medians over interleaved rounds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def calls_for(f: Callable[[], object], budget: float = 0.02) -> int:
    """How many calls of ``f`` fill about ``budget`` seconds (at least one)."""
    start = time.perf_counter()
    f()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, min(100_000, int(budget / once)))


def per_call(f: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``f``, over ``calls`` back-to-back calls."""
    start = time.perf_counter()
    for _ in range(calls):
        f()
    return (time.perf_counter() - start) / calls


def interleaved(fs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round, the functions taking turns.

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

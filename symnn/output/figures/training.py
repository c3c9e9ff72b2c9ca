"""The training curve as a picture: the loss after each update, step 0 (before the first) on.

Plain TikZ, as the other figures (no pgfplots: the standalone page and its SVG load TikZ alone):
the curve through every recorded loss, the first and the last marked with their numbers, the
axes labelled with the steps and the loss's range. Layout only: the losses come from the run.

Examples:
    >>> picture = loss_picture([0.3, 0.2, 0.15, 0.125])
    >>> "0.3" in picture and "0.125" in picture and picture.count("circle") == 2
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from symnn.core.errors import SymnnError
from symnn.printing.numbers import format_number

WIDTH = 9.0  # cm of the plot area
HEIGHT = 4.5
MAX_POINTS = 400  # a longer run is drawn through evenly spaced steps (first and last kept)


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def loss_picture(losses: Sequence[float], digits: int = 4) -> str:
    """The TikZ picture of the loss against the step (``losses[k]``: after k updates)."""
    values = [float(v) for v in losses]
    if len(values) < 2:
        raise SymnnError("training figure: a curve needs the loss of at least one step")
    if not all(math.isfinite(v) for v in values):
        raise SymnnError("training figure: the loss is not finite at every step; nothing to draw")
    steps = len(values) - 1
    low, high = min(values), max(values)
    span = high - low or abs(high) or 1.0
    stride = max(1, math.ceil(len(values) / MAX_POINTS))
    picked = sorted({*range(0, len(values), stride), steps})

    def at(k: int) -> str:
        return f"({_n(WIDTH * k / steps)}, {_n(HEIGHT * (values[k] - low) / span)})"

    first, last = format_number(values[0], digits), format_number(values[-1], digits)
    lines = [
        r"\begin{tikzpicture}[x=1cm, y=1cm, >=stealth, font=\scriptsize]",
        rf"\draw[->, black!60] (0, 0) -- ({_n(WIDTH + 0.4)}, 0) node[right] {{step}};",
        rf"\draw[->, black!60] (0, 0) -- (0, {_n(HEIGHT + 0.4)}) node[above] {{$L$}};",
        r"\node[below] at (0, 0) {0};",
        rf"\node[below] at ({_n(WIDTH)}, 0) {{{steps}}};",
        rf"\node[left] at (0, 0) {{${format_number(low, digits)}$}};",
        rf"\node[left] at (0, {_n(HEIGHT)}) {{${format_number(high, digits)}$}};",
        rf"\draw[blue!70!black, thick] {' -- '.join(at(k) for k in picked)};",
        rf"\fill[blue!70!black] {at(0)} circle[radius=1.5pt] node[above right] {{${first}$}};",
        rf"\fill[blue!70!black] {at(steps)} circle[radius=1.5pt] node[above left] {{${last}$}};",
        r"\end{tikzpicture}",
    ]
    return "\n".join(lines) + "\n"

"""Perceptron geometry: w as the normal of the decision line w·x + b = 0, the half-plane where
the neuron fires shaded, the points by class, and the angle between w and a point.

Every number comes from the run or the dot-product view it illustrates (``PerceptronRun``'s
updates, ``dot_product``'s weights and point); the picture only places them. Two inputs only: a
line in the plane is what can be drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from symnn.core.errors import SymnnError

SIZE = 3.6  # cm: the longer side of a panel's window
MAX_PANELS = 8  # updates drawn; later ones are in the table


def _f(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise SymnnError(f"perceptron figure: the value {value} is not finite")
    return number


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _label(value: Any) -> str:
    if isinstance(value, Fraction) and value.denominator != 1:
        sign = "-" if value < 0 else ""
        return rf"{sign}\tfrac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:.4g}"


def _clip(window: tuple[float, float, float, float], w: Sequence[float], b: float, sign: int):
    """The window's corners on the side sign·(w·x + b) ≥ 0 (Sutherland–Hodgman, one edge)."""
    x0, x1, y0, y1 = window
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]

    def side(p):
        return sign * (w[0] * p[0] + w[1] * p[1] + b)

    out = []
    for i, p in enumerate(corners):
        q = corners[(i + 1) % 4]
        sp_, sq = side(p), side(q)
        if sp_ >= 0:
            out.append(p)
        if (sp_ >= 0) != (sq >= 0):
            t = sp_ / (sp_ - sq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def window_of(points: Sequence[Sequence[float]], extra: Sequence[Sequence[float]] = ()) -> tuple:
    """A square-ish window around the points (and the origin), padded by a margin."""
    xs = [p[0] for p in [*points, *extra]] + [0.0]
    ys = [p[1] for p in [*points, *extra]] + [0.0]
    pad = 0.15 * max(max(xs) - min(xs), max(ys) - min(ys), 1.0) + 0.3
    return (min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad)


def panel(
    weights: Sequence[Any],
    bias: Any,
    points: Sequence[Sequence[Any]] = (),
    labels: Sequence[int] = (),
    window: tuple[float, float, float, float] | None = None,
    caption: str = "",
    ring: int | None = None,
    angle_to: Sequence[Any] | None = None,
    names: Sequence[str] = ("x_1", "x_2"),
) -> str:
    """One panel as a TikZ picture: the half-plane w·x + b ≥ 0 shaded red, the other blue, the
    line, w drawn from the line as its normal, points by label (1: red square, 0: blue circle),
    ``ring`` circling one point (the one just presented); ``angle_to`` draws w and that point
    from the origin with the angle between them."""
    if len(weights) != 2:
        raise SymnnError(f"perceptron figure: expected two inputs, found {len(weights)}")
    w = [_f(c) for c in weights]
    b = _f(bias)
    pts = [[_f(c) for c in p] for p in points]
    target = None if angle_to is None else [_f(c) for c in angle_to]
    if window is None:
        window = window_of(pts, [target] if target else [])
    x0, x1, y0, y1 = window
    scale = SIZE / max(x1 - x0, y1 - y0)
    lines = [
        rf"\begin{{tikzpicture}}[x={scale:.4f}cm, y={scale:.4f}cm, >=stealth, font=\scriptsize]",
        rf"\clip ({_n(x0)}, {_n(y0)}) rectangle ({_n(x1)}, {_n(y1)});",
    ]
    norm = math.hypot(*w)
    if norm == 0:  # w = 0: w·x + b = b everywhere, so the neuron fires everywhere or nowhere
        colour = "red!12" if b >= 0 else "blue!10"
        lines.append(rf"\fill[{colour}] ({_n(x0)}, {_n(y0)}) rectangle ({_n(x1)}, {_n(y1)});")
    if norm > 0:
        for sign, colour in ((1, "red!12"), (-1, "blue!10")):
            poly = _clip(window, w, b, sign)
            if len(poly) >= 3:
                path = " -- ".join(f"({_n(x)}, {_n(y)})" for x, y in poly)
                lines.append(rf"\fill[{colour}] {path} -- cycle;")
    lines.append(rf"\draw[black!30, ->] ({_n(x0)}, 0) -- ({_n(x1)}, 0);")
    lines.append(rf"\draw[black!30, ->] (0, {_n(y0)}) -- (0, {_n(y1)});")
    if norm > 0:
        ends = [p for p in _clip(window, w, b, 1) if abs(w[0] * p[0] + w[1] * p[1] + b) < 1e-9]
        if len(ends) >= 2:
            (ax, ay), (bx, by) = ends[0], ends[-1]
            lines.append(rf"\draw[thick] ({_n(ax)}, {_n(ay)}) -- ({_n(bx)}, {_n(by)});")
        if len(ends) >= 2 and target is None:
            # w from the middle of the visible line, as its normal, a quarter of the window long.
            mx, my = (ax + bx) / 2, (ay + by) / 2
            length = 0.25 * max(x1 - x0, y1 - y0) / norm
            tip = (mx + w[0] * length, my + w[1] * length)
            lines.append(
                rf"\draw[->, very thick, red!70!black] ({_n(mx)}, {_n(my)}) -- "
                rf"({_n(tip[0])}, {_n(tip[1])}) node[above right=-1pt, inner sep=1pt]"
                r" {$\mathbf{w}$};"
            )
    for i, (p, y) in enumerate(zip(pts, labels, strict=True)):
        shape = r"fill=red!70!black, minimum size=4.5pt" if y == 1 else "fill=blue!70!black"
        style = "rectangle" if y == 1 else "circle"
        lines.append(
            rf"\node[{style}, {shape}, inner sep=0pt, minimum size=4.5pt] at "
            rf"({_n(p[0])}, {_n(p[1])}) {{}};"
        )
        if ring == i:
            lines.append(rf"\draw[black, thick] ({_n(p[0])}, {_n(p[1])}) circle[radius=3.5pt];")
    if target is not None and norm > 0 and math.hypot(*target) > 0:
        lines.append(
            rf"\draw[->, thick, red!70!black] (0, 0) -- ({_n(w[0])}, {_n(w[1])}) "
            r"node[above, inner sep=1pt] {$\mathbf{w}$};"
        )
        lines.append(
            rf"\draw[->, thick, black] (0, 0) -- ({_n(target[0])}, {_n(target[1])}) "
            r"node[above left, inner sep=2pt] {$\mathbf{x}$};"
        )
        a0 = math.degrees(math.atan2(w[1], w[0]))
        a1 = math.degrees(math.atan2(target[1], target[0]))
        if a1 - a0 > 180:
            a1 -= 360
        if a0 - a1 > 180:
            a1 += 360
        r = 0.18 * max(x1 - x0, y1 - y0)
        mid = math.radians((a0 + a1) / 2)
        lines.append(
            rf"\draw[black!70] ({_n(r * math.cos(math.radians(a0)))}, "
            rf"{_n(r * math.sin(math.radians(a0)))}) arc[start angle={a0:.2f}, "
            rf"end angle={a1:.2f}, radius={r:.4f}];"
        )
        lines.append(
            rf"\node at ({_n(1.35 * r * math.cos(mid))}, {_n(1.35 * r * math.sin(mid))}) "
            r"{$\theta$};"
        )
    lines.append(r"\end{tikzpicture}")
    picture = "\n".join(lines) + "\n"
    if caption:
        rows = "".join(f"\\\\ {{\\scriptsize {row}}}\n" for row in caption.split("\n"))
        picture = "\\begin{tabular}{@{}c@{}}\n" + picture + rows + "\\end{tabular}\n"
    return picture


def run_panels(run: Any) -> list[str]:
    """The line moving update by update: the start, then one panel after each update that
    changed the weights (at most ``MAX_PANELS``), each circling the point that caused it."""
    if len(run.names) != 2:
        raise SymnnError(
            f"perceptron figure: a line in the plane needs two inputs, found {len(run.names)}"
        )
    points = [[_f(c) for c in x] for x in run.X]
    window = window_of(points)
    labels = list(run.Y)
    # The line is w·x + (bias input)·b − θ = 0: the bias weighs a constant input (1 or −1) and
    # the neuron fires from a threshold θ, as the run's convention says.
    offset = lambda b: run.bias_input * b - run.theta  # noqa: E731
    bias_name = sp.latex(sp.Symbol(run.bias_names[1]))
    start = ", ".join(map(_label, run.initial_weights))
    caption = f"start\n$\\mathbf{{w}} = ({start})$, ${bias_name} = {_label(run.initial_bias)}$"
    panels = [panel(run.initial_weights, offset(run.initial_bias), points, labels, window, caption)]
    changed = [u for u in run.updates if u.changed]
    for k, u in enumerate(changed[:MAX_PANELS], start=1):
        caption = (
            f"update {k} (epoch {u.epoch}, sample {u.sample})\n"
            rf"$\mathbf{{w}} = ({', '.join(map(_label, u.weights))})$, "
            rf"${bias_name} = {_label(u.bias)}$"
        )
        panels.append(
            panel(u.weights, offset(u.bias), points, labels, window, caption, u.sample - 1)
        )
    return panels


def point_panel(weights: Any, point: Any, bias: Any = 0) -> str:
    """The dot-product view: w and x from the origin, the angle θ between them, and the line
    w·x + b = 0 with the half-plane where the neuron fires shaded."""
    from symnn.core.expressions import as_point

    w = as_point(weights, what="weights")
    x = as_point(point, what="point")
    if len(w) != 2 or len(x) != 2:
        raise SymnnError(
            f"--plot: the picture of w and x needs two entries each, found {len(w)} and {len(x)}"
        )
    b = as_point(bias, 1, "bias")[0]
    window = window_of([x, w])
    caption = (
        rf"$\mathbf{{w}} = ({', '.join(map(str, w))})$, $\mathbf{{x}} = "
        rf"({', '.join(map(str, x))})$, $b = {b}$"
    )
    fires = float(sum(a * c for a, c in zip(w, x, strict=True)) + b) >= 0
    return panel(w, b, [x], [int(fires)], window, caption, angle_to=x)

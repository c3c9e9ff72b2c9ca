"""The refresher's pictures: the tangent line of a one-variable function at the point, and the
gradient at a point of a two-variable function, at right angles to the level set through it.

The function, point, value and derivative are those the derivation computed (its context's
``values``), so the picture shows the numbers the steps print.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from symnn.core.errors import SymnnError
from symnn.output.figures.descent import GRID, _n, _numeric, _segments

WIDTH = 7.0


def calculus_picture(derivation: Any) -> str | None:
    """The picture of a derivation at a point (None when it has none: no point, or more than
    two variables, or a kind without a picture)."""
    ctx = derivation.context
    values = ctx.get("values", {})
    variables = tuple(ctx.get("variables", ()))
    point, gradient = values.get("point"), values.get("gradient")
    if point is None or gradient is None or ctx.get("kind") not in (
        "derivative", "linear", "gradient", "directional",
    ):  # fmt: skip
        return None
    f = _numeric(ctx["function"], variables)
    p = [float(c) for c in point]
    g = [float(c) for c in gradient]
    if not all(math.isfinite(c) for c in [*p, *g]):
        raise SymnnError("calculus figure: the point or the derivative is not finite")
    with np.errstate(all="ignore"):
        value = float(values["value"]) if "value" in values else float(f(*p))
    if not math.isfinite(value):
        raise SymnnError("calculus figure: f is not finite at the point")
    if len(variables) == 1:
        return _tangent(f, p[0], value, g[0], str(variables[0]))
    if len(variables) == 2:
        return _gradient(f, p, value, g, [str(v) for v in variables])
    return None


def _tangent(f, a: float, fa: float, slope: float, name: str) -> str:
    xs = np.linspace(a - 2, a + 2, 161)
    with np.errstate(all="ignore"):
        ys = np.asarray(f(xs), dtype=float) * np.ones_like(xs)
    tangent = fa + slope * (xs - a)
    finite = ys[np.isfinite(ys)]
    y0 = float(min(finite.min(), tangent.min()))
    y1 = float(max(finite.max(), tangent.max()))
    sx, sy = WIDTH / 4, 0.6 * WIDTH / ((y1 - y0) or 1.0)
    curve = " -- ".join(
        f"({_n(x)}, {_n(y)})" for x, y in zip(xs, ys, strict=True) if math.isfinite(y)
    )
    return "\n".join([
        rf"\begin{{tikzpicture}}[x={sx:.4f}cm, y={sy:.4f}cm, >=stealth, font=\scriptsize]",
        rf"\draw[black!25] ({_n(a - 2)}, {_n(y0)}) rectangle ({_n(a + 2)}, {_n(y1)});",
        rf"\draw[black!70, thick] {curve};",
        rf"\draw[red!75!black, thick] ({_n(a - 2)}, {_n(tangent[0])}) -- "
        rf"({_n(a + 2)}, {_n(tangent[-1])}) node[below right, pos=0.72] "
        rf"{{tangent, slope {_n(slope)}}};",
        rf"\fill ({_n(a)}, {_n(fa)}) circle[radius=1.6pt] node[below right] "
        rf"{{$({_n(a)}, {_n(fa)})$}};",
        rf"\node[below] at ({_n(a)}, {_n(y0)}) {{${name}$}};",
        r"\end{tikzpicture}",
    ]) + "\n"  # fmt: skip


def _gradient(f, p: list[float], fp: float, g: list[float], names: list[str]) -> str:
    norm = math.hypot(*g)
    half = max(2.0, 0.8 * norm / 4)
    x0, x1, y0, y1 = p[0] - half, p[0] + half, p[1] - half, p[1] + half
    xs, ys = np.linspace(x0, x1, GRID + 1), np.linspace(y0, y1, GRID + 1)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(f(X, Y), dtype=float) * np.ones_like(X)
    scale = WIDTH * 0.8 / (2 * half)
    lines = [
        rf"\begin{{tikzpicture}}[x={scale:.4f}cm, y={scale:.4f}cm, >=stealth, font=\scriptsize]",
        rf"\draw[black!25] ({_n(x0)}, {_n(y0)}) rectangle ({_n(x1)}, {_n(y1)});",
    ]
    for level, style in ((fp, "red!75!black, thick"),):
        pieces = _segments(Z, xs, ys, level)
        path = " ".join(f"({_n(a[0])}, {_n(a[1])}) -- ({_n(b[0])}, {_n(b[1])})" for a, b in pieces)
        if path:
            lines.append(rf"\draw[{style}] {path};")
    # The gradient drawn at a length that fits the window, its direction exact.
    length = 0.45 * half / norm if norm > 0 else 0.0
    tip = (p[0] + g[0] * length, p[1] + g[1] * length)
    lines += [
        rf"\fill ({_n(p[0])}, {_n(p[1])}) circle[radius=1.6pt];",
        rf"\draw[->, very thick, blue!70!black] ({_n(p[0])}, {_n(p[1])}) -- "
        rf"({_n(tip[0])}, {_n(tip[1])}) node[above right, inner sep=1pt] "
        rf"{{$\nabla f = ({_n(g[0])}, {_n(g[1])})$}};",
        rf"\node[red!75!black, anchor=north west] at ({_n(x0)}, {_n(y1)}) "
        rf"{{level set $f = {_n(fp)}$}};",
        rf"\node[below] at ({_n((x0 + x1) / 2)}, {_n(y0)}) {{${names[0]}$}};",
        rf"\node[left] at ({_n(x0)}, {_n((y0 + y1) / 2)}) {{${names[1]}$}};",
        r"\end{tikzpicture}",
    ]
    return "\n".join(lines) + "\n"

"""Gradient descent as a picture: the level sets of f through the iterates, and the path of the
iterates numbered 0, 1, 2, … (two variables); the curve of f with the iterates on it (one).

The level sets are those through the run's own iterates (f(x⁽ᵏ⁾), the numbers of the table), so
each step is seen leaving its level set at right angles; they are traced by marching squares on a
grid of f evaluated from the run's expression. Several runs of one function (learning rates
compared) share one picture, one colour each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from symnn import numerics
from symnn.core.errors import SymnnError
from symnn.printing.code import CodePrinter

WIDTH = 7.5  # cm of the picture's longer side
GRID = 64  # cells per side for the level sets
MAX_LEVELS = 8
COLOURS = ("red!75!black", "blue!70!black", "green!45!black", "orange!85!black")


def _numeric(expr: sp.Expr, symbols: Sequence[sp.Symbol]):
    """A NumPy function of ``expr`` (symnn's own tree, printed to source; no user text runs)."""
    namespace = {"numpy": np, **numerics.NAMESPACE}
    private = [sp.Symbol(f"_v{i}") for i in range(len(symbols))]
    renamed = expr.xreplace(dict(zip(symbols, private, strict=True)))
    return sp.lambdify(private, renamed, modules=[namespace], printer=CodePrinter())


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _points(run: Any) -> np.ndarray:
    points = np.array([[float(c) for c in it.point] for it in run.iterates], dtype=float)
    if points.size == 0 or not np.all(np.isfinite(points)):
        raise SymnnError("descent figure: the iterates are not all finite numbers; nothing to draw")
    return points


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = max(0.2 * (high - low), 0.5)
    return low - pad, high + pad


def _segments(Z: np.ndarray, xs: np.ndarray, ys: np.ndarray, level: float) -> list[tuple]:
    """Marching squares: the pieces of the level set f = level, cell by cell, in grid order."""
    out = []
    above = level <= Z
    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)]
            flags = [above[c] for c in corners]
            if all(flags) or not any(flags):
                continue
            crossings = []
            for a in range(4):
                p, q = corners[a], corners[(a + 1) % 4]
                if above[p] != above[q]:
                    zp, zq = Z[p], Z[q]
                    t = (level - zp) / (zq - zp)
                    x = xs[p[1]] + t * (xs[q[1]] - xs[p[1]])
                    y = ys[p[0]] + t * (ys[q[0]] - ys[p[0]])
                    crossings.append((x, y))
            for k in range(0, len(crossings) - 1, 2):
                out.append((crossings[k], crossings[k + 1]))
    return out


def descent_picture(runs: Sequence[Any], labels: Sequence[str] = ()) -> str:
    """The TikZ picture of one run, or of several runs of the same function (``labels`` name them,
    e.g. by learning rate)."""
    if not runs:
        raise SymnnError("descent figure: no run to draw")
    first = runs[0]
    if any(r.function != first.function or r.variables != first.variables for r in runs):
        raise SymnnError("descent figure: runs compared on one picture must share the function")
    if len(first.variables) not in (1, 2):
        raise SymnnError(
            f"descent figure: f of one or two variables can be drawn, found {len(first.variables)}"
        )
    paths = [_points(r) for r in runs]
    f = _numeric(first.function, first.variables)
    every = np.vstack(paths)
    lines = []
    if len(first.variables) == 2:
        x0, x1 = _span(every[:, 0])
        y0, y1 = _span(every[:, 1])
        xs, ys = np.linspace(x0, x1, GRID + 1), np.linspace(y0, y1, GRID + 1)
        X, Y = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            Z = np.asarray(f(X, Y), dtype=float) * np.ones_like(X)
        values = sorted(
            {float(it.value) for r in runs for it in r.iterates if math.isfinite(float(it.value))}
        )
        values = [v for v in values if np.nanmin(Z) < v < np.nanmax(Z)]
        if len(values) > MAX_LEVELS:
            picks = np.linspace(0, len(values) - 1, MAX_LEVELS).round().astype(int)
            values = [values[i] for i in sorted(set(picks.tolist()))]
        scale = WIDTH / max(x1 - x0, y1 - y0)
        lines.append(
            rf"\begin{{tikzpicture}}[x={scale:.4f}cm, y={scale:.4f}cm, >=stealth, font=\scriptsize]"
        )
        lines.append(rf"\draw[black!25] ({_n(x0)}, {_n(y0)}) rectangle ({_n(x1)}, {_n(y1)});")
        for v in values:
            pieces = _segments(Z, xs, ys, v)
            if pieces:
                path = " ".join(
                    f"({_n(a[0])}, {_n(a[1])}) -- ({_n(b[0])}, {_n(b[1])})" for a, b in pieces
                )
                lines.append(rf"\draw[black!35, thin] {path};")
        name = [sp.latex(v) for v in first.variables]
        lines.append(rf"\node[below] at ({_n((x0 + x1) / 2)}, {_n(y0)}) {{${name[0]}$}};")
        lines.append(rf"\node[left] at ({_n(x0)}, {_n((y0 + y1) / 2)}) {{${name[1]}$}};")
        coords = [[(p[0], p[1]) for p in path] for path in paths]
    else:
        x0, x1 = _span(every[:, 0])
        xs = np.linspace(x0, x1, 200)
        with np.errstate(all="ignore"):
            ys_ = np.asarray(f(xs), dtype=float) * np.ones_like(xs)
        fin = ys_[np.isfinite(ys_)]
        y0, y1 = float(fin.min()), float(fin.max())
        pad = 0.1 * (y1 - y0 or 1.0)
        y0, y1 = y0 - pad, y1 + pad
        sx, sy = WIDTH / (x1 - x0), 0.6 * WIDTH / (y1 - y0)
        lines.append(
            rf"\begin{{tikzpicture}}[x={sx:.4f}cm, y={sy:.4f}cm, >=stealth, font=\scriptsize]"
        )
        curve = " -- ".join(
            f"({_n(a)}, {_n(b)})" for a, b in zip(xs, ys_, strict=True) if math.isfinite(b)
        )
        lines.append(rf"\draw[black!60, thick] {curve};")
        coords = [[(p[0], float(f(p[0]))) for p in path] for path in paths]
    for r, (path, colour) in enumerate(zip(coords, COLOURS * len(coords), strict=False)):
        trail = " -- ".join(f"({_n(a)}, {_n(b)})" for a, b in path)
        if len(path) > 1:
            lines.append(rf"\draw[->, {colour}, thick] {trail};")
        for k, (a, b) in enumerate(path):
            lines.append(rf"\fill[{colour}] ({_n(a)}, {_n(b)}) circle[radius=1.3pt];")
            if len(runs) == 1 and (k < 6 or k == len(path) - 1):
                lines.append(
                    rf"\node[above right, inner sep=1pt, {colour}] at ({_n(a)}, {_n(b)}) {{{k}}};"
                )
        if labels:
            at = f"({_n(x0)}, {_n(y1 - 0.1 * r * (y1 - y0))})"
            lines.append(rf"\node[{colour}, anchor=north west] at {at} {{{labels[r]}}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"

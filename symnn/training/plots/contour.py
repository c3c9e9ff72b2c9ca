"""Contour plot of f(x, y) with the path of a gradient-descent run (a curve for one variable)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from symnn import numerics
from symnn.calculus.descent import Descent
from symnn.core.errors import SymnnError
from symnn.printing.code import CodePrinter
from symnn.training.plots import finite_floats, new_figure, save


def numeric(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]):
    """A NumPy function of ``expr`` (our own SymPy tree, printed to source; no user text runs)."""
    namespace = {"numpy": np, **numerics.NAMESPACE}
    # Private argument names, so a variable called "numpy" or "sigmoid" cannot shadow the namespace.
    private = [sp.Symbol(f"_v{i}") for i in range(len(symbols))]
    renamed = expr.xreplace(dict(zip(symbols, private, strict=True)))
    return sp.lambdify(private, renamed, modules=[namespace], printer=CodePrinter())


def _span(values: np.ndarray) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    pad = max(0.25 * (high - low), 1.0)
    return low - pad, high + pad


def descent_figure(run: Descent, levels: int = 25) -> Any:
    """The contour plot (two variables) or the curve (one variable) with the descent path.

    Examples:
        >>> import symnn.calculus.descent
        >>> run = symnn.calculus.descent.gradient_descent("x**2 + y**2", "1,1", 0.25, 3)
        >>> from matplotlib.figure import Figure
        >>> isinstance(descent_figure(run), Figure)
        True
    """
    if not run.iterates:
        raise SymnnError(f"plot: no iterates to draw ({run.stopped or 'the run is empty'})")
    if len(run.variables) not in (1, 2):
        raise SymnnError(
            f"contour plot: expected a function of one or two variables, found {len(run.variables)}"
        )
    points = finite_floats([it.point for it in run.iterates], "the iterates are")
    values = finite_floats([[it.value] for it in run.iterates], "the values are")[:, 0]
    f = numeric(run.function, run.variables)
    figure = new_figure(figsize=(6, 4.5))
    axes = figure.subplots()
    if len(run.variables) == 1:
        xs = np.linspace(*_span(points[:, 0]), 400)
        with np.errstate(all="ignore"):
            ys = np.broadcast_to(f(xs), xs.shape).astype(float)
        axes.plot(xs, ys, color="0.3")
        axes.plot(points[:, 0], values, "o-", color="C3")
        axes.set_xlabel(str(run.variables[0]))
        axes.set_ylabel(f"{run.f_name}({run.variables[0]})")
    else:
        X, Y = np.meshgrid(
            np.linspace(*_span(points[:, 0]), 200), np.linspace(*_span(points[:, 1]), 200)
        )
        with np.errstate(all="ignore"):
            Z = np.broadcast_to(f(X, Y), X.shape).astype(float)
        contours = axes.contour(X, Y, Z, levels=levels, cmap="viridis")
        axes.clabel(contours, inline=True, fontsize=7)
        axes.plot(points[:, 0], points[:, 1], "o-", color="C3", label="gradient descent")
        axes.annotate("start", points[0], textcoords="offset points", xytext=(5, 5))
        axes.set_xlabel(str(run.variables[0]))
        axes.set_ylabel(str(run.variables[1]))
        axes.legend(loc="best")
    axes.set_title(f"{run.f_name} = {sp.sstr(run.function)}")
    return figure


def plot_descent(run: Descent, path: str | Path, levels: int = 25) -> list[Path]:
    """Save ``descent_figure(run)`` to ``path`` (.png, .pdf or .svg; no suffix: PNG and PDF).

    Examples:
        >>> import tempfile, symnn.calculus.descent
        >>> run = symnn.calculus.descent.gradient_descent("x**2 + y**2", "1,1", 0.25, 3)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     [p.name for p in plot_descent(run, Path(d) / "gd.png")]
        ['gd.png']
    """
    return save(descent_figure(run, levels), path)

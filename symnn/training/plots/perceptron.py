"""The perceptron's points (by label) and the line w·x + b = 0 it learned (two inputs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from symnn.core.errors import SymnnError
from symnn.perceptron.run import PerceptronRun, weighted_sum
from symnn.training.plots import finite_floats, new_figure, save


def perceptron_figure(run: PerceptronRun) -> Any:
    """The points, coloured by label, and the learned boundary (when w ≠ 0).

    Examples:
        >>> from symnn.perceptron.run import gate, train_perceptron
        >>> from matplotlib.figure import Figure
        >>> isinstance(perceptron_figure(train_perceptron(*gate("and"))), Figure)
        True
    """
    if len(run.names) != 2:
        raise SymnnError(f"perceptron plot: expected two inputs, found {len(run.names)}")
    points = finite_floats(run.X, "the points are")
    w1, w2 = finite_floats([run.weights], "the weights are")[0]
    # The line is w·x + (bias input)·b − θ = 0, under the bias's own name (b, or Cornell's w3).
    b = finite_floats([[run.bias]], "the bias is")[0, 0]
    offset = finite_floats([[run.offset]], "the bias is")[0, 0]
    bias_name = run.bias_names[1]
    line = f"{weighted_sum(run.bias_input, bias_name)} = {run.theta}"
    labels = np.array(run.Y)
    figure = new_figure(figsize=(5, 4.5))
    axes = figure.subplots()
    for label, marker, colour in ((0, "o", "C0"), (1, "s", "C3")):
        chosen = points[labels == label]
        axes.scatter(chosen[:, 0], chosen[:, 1], marker=marker, color=colour, label=f"y = {label}")
    low, high = points.min(axis=0) - 0.5, points.max(axis=0) + 0.5
    xs = np.linspace(low[0], high[0], 100)
    if w2 != 0:
        axes.plot(xs, -(w1 * xs + offset) / w2, "k-", label=line)
    elif w1 != 0:
        axes.axvline(-offset / w1, color="k", label=line)
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_xlabel(run.names[0])
    axes.set_ylabel(run.names[1])
    status = "converged" if run.converged else "not converged"
    axes.set_title(f"Perceptron ({status}): w = ({w1:g}, {w2:g}), {bias_name} = {b:g}")
    axes.legend(loc="best", fontsize=8)
    return figure


def plot_perceptron(run: PerceptronRun, path: str | Path) -> list[Path]:
    """Save ``perceptron_figure(run)`` to ``path`` (.png, .pdf or .svg; no suffix: PNG and PDF).

    Examples:
        >>> import tempfile
        >>> from symnn.perceptron.run import gate, train_perceptron
        >>> with tempfile.TemporaryDirectory() as d:
        ...     [p.name for p in plot_perceptron(train_perceptron(*gate("and")), Path(d) / "p.png")]
        ['p.png']
    """
    return save(perceptron_figure(run), path)

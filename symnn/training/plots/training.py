"""Pictures of a training run: the loss (and accuracy) curve, and decision regions in 2-D.

The regions are the classes the trained network predicts on a grid over the data (by the same
rule as the accuracy: argmax, threshold or sign), with the training points drawn on top.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from symnn.core.errors import SymnnError
from symnn.spec.network import Network
from symnn.training.plots import new_figure, save
from symnn.training.train import TrainResult, accuracy_rule, predict_classes

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")


def loss_curve(result: TrainResult, ax: Any = None) -> Any:
    """Loss against step (log scale when every loss is positive), accuracy on a second axis."""
    if ax is None:
        ax = new_figure(figsize=(5, 3.5)).subplots()
    steps = np.arange(len(result.loss))
    ax.plot(steps, result.loss, color=COLOURS[0], label="loss")
    if min(result.loss) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean over the training set)")
    ax.grid(True, alpha=0.3)
    if result.accuracy is not None:
        right = ax.twinx()
        right.plot(steps, result.accuracy, color=COLOURS[1], label="accuracy")
        right.set_ylabel("training accuracy")
        right.set_ylim(-0.02, 1.02)
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    ax.set_title("training loss")
    return ax.figure


def _class_index(predicted: np.ndarray, rule: str) -> np.ndarray:
    if rule == "argmax":
        return predicted
    return (predicted.ravel() > 0).astype(int)  # 0/1 or −1/+1 labels: class 1 is the positive one


def decision_regions(
    network: Network, params: dict, X, Y, ax: Any = None, resolution: int = 200
) -> Any:
    """The plane coloured by the predicted class, with the samples as points coloured by label."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.shape[1] != 2:
        raise SymnnError(f"decision regions: expected 2 input features, found {X.shape[1]}")
    rule = accuracy_rule(network, Y)
    if rule is None:
        raise SymnnError("decision regions: expected class labels as targets, found real values")
    if ax is None:
        ax = new_figure(figsize=(4.5, 4)).subplots()
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-9)
    g0, g1 = np.meshgrid(
        np.linspace(low[0] - margin[0], high[0] + margin[0], resolution),
        np.linspace(low[1] - margin[1], high[1] + margin[1], resolution),
    )
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    regions = _class_index(predict_classes(network, params, grid, rule), rule)
    labels = np.argmax(Y, axis=1) if rule == "argmax" else (Y.ravel() > 0).astype(int)
    classes = max(int(regions.max()), int(labels.max())) + 1
    from matplotlib.colors import ListedColormap

    if classes <= len(COLOURS):
        cmap = ListedColormap(COLOURS[:classes])
    else:  # more classes than named colours: evenly spaced ones from a qualitative map
        from matplotlib import colormaps

        cmap = colormaps["tab20" if classes <= 20 else "viridis"].resampled(classes)
    ax.contourf(
        g0,
        g1,
        regions.reshape(g0.shape),
        levels=np.arange(classes + 1) - 0.5,
        cmap=cmap,
        alpha=0.25,
    )
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap=cmap, vmin=-0.5, vmax=classes - 0.5, s=18,
               edgecolors="black", linewidths=0.4)  # fmt: skip
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title("decision regions")
    return ax.figure


def training_figure(result: TrainResult, network: Network, X=None, Y=None) -> Any:
    """The loss curve, beside the decision regions when the data are 2-D class labels.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> from symnn.training.train import train
        >>> net = Network(2, [Dense(1, "sigmoid")])
        >>> X, Y = [[0, 0], [1, 1]], [[0], [1]]
        >>> figure = training_figure(train(net, X, Y, steps=5, progress=False), net, X, Y)
        >>> len(figure.axes)  # the loss curve, its accuracy axis, the decision regions
        3
    """
    regions = (
        X is not None
        and np.asarray(X).shape[1] == 2
        and accuracy_rule(network, np.asarray(Y, dtype=float)) is not None
    )
    if not regions:
        return loss_curve(result).figure
    figure = new_figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    loss_curve(result, left)
    decision_regions(network, result.params, X, Y, right)
    figure.tight_layout()
    return figure


def plot_training(
    result: TrainResult, network: Network, path: str | Path, X=None, Y=None
) -> list[Path]:
    """Save the training figure to ``path`` (.png, .pdf or .svg; no suffix saves PNG and PDF).

    Examples:
        >>> import tempfile, pathlib
        >>> from symnn.spec.network import Network, Dense
        >>> from symnn.training.train import train
        >>> net = Network(2, [Dense(1, "sigmoid")])
        >>> X, Y = [[0, 0], [1, 1]], [[0], [1]]
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
        >>> [p.name for p in plot_training(train(net, X, Y, steps=5), net, out, X, Y)]
        ['run.png', 'run.pdf']
    """
    return save(training_figure(result, network, X, Y), path)

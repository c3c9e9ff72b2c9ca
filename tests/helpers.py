"""Builders shared by the tests: compatible output activations, random networks, evaluation."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symnn.activations import ACTIVATIONS
from symnn.losses import LOSSES
from symnn.network import Dense, Network
from symnn.numerics import NAMESPACE
from symnn.printing.code import CodePrinter

ELEMENTWISE = [n for n in ACTIVATIONS if ACTIVATIONS[n].elementwise]


def output_activation_for(loss_name: str) -> str:
    """An output activation whose values are valid inputs for the loss."""
    loss = LOSSES[loss_name]
    if loss.output_activation:
        return loss.output_activation
    if "distributions" in loss.targets:
        return "softmax"
    if "probabilities" in loss.targets:
        return "sigmoid"
    return "identity"


def network(widths, hidden, loss, output=None, **kw) -> Network:
    """A network with the given widths, one hidden activation and a compatible output."""
    output = output or output_activation_for(loss)
    layers = [Dense(w, hidden) for w in widths[1:-1]] + [Dense(widths[-1], output)]
    return Network(widths[0], layers, loss, **kw)


def evaluate(expr: sp.Expr, point: dict[sp.Symbol, float]) -> float:
    """Numeric value of an expression in float64, symnn's rules through their stable NumPy code.

    (Not through the elementary forms: nested Piecewise rules — ReLU, ELU — grow exponentially
    under sympy.diff. Each rule's fdiff is checked against its elementary form in test_rules.)
    """
    symbols = sorted(expr.free_symbols, key=sp.default_sort_key)
    f = sp.lambdify(symbols, expr, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter())
    return float(f(*[point[s] for s in symbols]))


def random_point(graph, rng: np.random.Generator, targets: np.ndarray) -> dict[sp.Symbol, float]:
    point = {s: rng.normal() for s in graph.inputs}
    point |= dict(zip(graph.targets, targets, strict=True))
    for p in graph.parameters:
        for _, s in p.entries():
            point[s] = rng.normal(0.0, 0.8)
    return point

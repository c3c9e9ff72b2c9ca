"""Builders shared by the tests: compatible output activations, random networks, evaluation."""

from __future__ import annotations

import numpy as np
import sympy as sp

from symnn.numerics import NAMESPACE
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Dense, Network

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
    network = graph.network
    if any(hasattr(layer, "sample_inputs") for layer in getattr(network, "layers", ())):
        from symnn.layers.base import sample_inputs

        point = dict(zip(graph.inputs, sample_inputs(network, rng, 1)[0], strict=True))
    else:
        point = {s: rng.normal() for s in graph.inputs}
    point |= dict(zip(graph.targets, targets, strict=True))
    for p in graph.parameters:
        for _, s in p.entries():
            point[s] = rng.normal(0.0, 0.8)
    return point


def assert_saved_module_runs_alone(f, net, tmp_path) -> None:
    """Save a generated gradient function, run it in a fresh interpreter, compare its loss."""
    import subprocess
    import sys

    from symnn.training.check import random_batch, random_params

    f.save(tmp_path / "grads.py")
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    X, Y = random_batch(net, rng, 4)
    np.savez(tmp_path / "inputs.npz", X=X, Y=Y, **params)
    script = (
        "import numpy, sys; sys.path.insert(0, sys.argv[1]); import grads\n"
        "d = dict(numpy.load(sys.argv[2]))\n"
        "X, Y = d.pop('X'), d.pop('Y')\n"
        "print(repr(grads.loss_and_gradients(d, X, Y)[0]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(tmp_path / "inputs.npz")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(out.stdout) == f(params, X, Y)[0]

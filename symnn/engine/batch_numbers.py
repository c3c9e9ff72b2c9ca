"""The batch forms with numbers: every entry of X, Z⁽ˡ⁾, A⁽ˡ⁾, Δ⁽ˡ⁾ and (1/N) Δᵀ A at the data.

Each row of a batch matrix is one sample's vector, read from that sample's element-level worked
numbers (``symnn.engine.values``, the one worked-numbers pipeline); the gradients are then
(1/N) Δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾, the sum of the samples' outer products δ aᵀ over N, which the tests check
against the mean of the per-sample element gradients. The formulas are the matrix-level
derivation's own batch steps (``symnn.engine.batch``), so each number sits beside the formula
that computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Grad
from symnn.core.steps import Step
from symnn.spec.network import Network


@dataclass(frozen=True)
class BatchNumbers:
    """The given matrices, then each batch step with the value of its left-hand side."""

    given: tuple[tuple[sp.MatrixSymbol, np.ndarray], ...]
    steps: tuple[tuple[Step, np.ndarray], ...]
    samples: int
    loss: float


def batch_numbers(net: Network) -> BatchNumbers:
    """Every batch quantity of ``net`` (a plain stack of dense layers) at its data and weights.

    Examples:
        >>> from symnn.spec.network import Data, Dense, Network
        >>> net = Network(1, [Dense(1, "sigmoid", weights=[[0.0]], bias=[0.0])],
        ...               data=Data(x=[[1.0], [2.0]], y=[[1.0], [0.0]]))
        >>> numbers = batch_numbers(net)
        >>> numbers.samples, [str(step.lhs) for step, _ in numbers.steps][:2]
        (2, ['Zbatch_1', 'Abatch_1'])
        >>> numbers.steps[1][1].tolist()
        [[0.5], [0.5]]
    """
    from symnn.engine.element import backprop_for
    from symnn.engine.matrix import BATCH_LOSS, derive_matrix
    from symnn.engine.values import Values, point

    if not net.is_chain:
        raise SymnnError("batch numbers: expected a plain stack of dense layers")
    if net.data is None:
        raise SymnnError("data: expected inputs x and targets y in the spec, found none")
    params = net.given_params()
    bp = backprop_for(net)
    X, Y = (np.asarray(a, dtype=float) for a in net.data.arrays())
    samples = [Values(bp, point(bp.graph, params, x, y)) for x, y in zip(X, Y, strict=True)]
    N, depth, widths = len(samples), len(net.layers), net.widths

    def matrix(kind: str, layer: int) -> np.ndarray:
        make = {"Z": nt.z, "A": nt.a, "Delta": nt.delta}[kind]
        n = widths[layer]
        return np.array([[v.values[make(layer, j)] for j in range(1, n + 1)] for v in samples])

    given: list[tuple[sp.MatrixSymbol, np.ndarray]] = [
        (nt.batch("A", 0, widths[0]), X),
        (nt.target_batch(widths[-1]), Y),
    ]
    for l in range(1, depth + 1):
        given.append((nt.weights(l, widths[l], widths[l - 1]), np.asarray(params[f"W{l}"])))
        if f"b{l}" in params and net.layers[l - 1].has_bias:
            b = np.asarray(params[f"b{l}"], dtype=float).reshape(-1, 1)
            given.append((nt.vector("b", l, widths[l]), b))
    values: dict[sp.Basic, np.ndarray] = {}
    for l in range(1, depth + 1):
        values[nt.batch("Z", l, widths[l])] = matrix("Z", l)
        values[nt.batch("A", l, widths[l])] = matrix("A", l)
        delta = matrix("Delta", l)
        values[nt.batch("Delta", l, widths[l])] = delta
        before = X if l == 1 else matrix("A", l - 1)
        W = nt.weights(l, widths[l], widths[l - 1])
        values[Grad(BATCH_LOSS, W)] = delta.T @ before / N
        values[Grad(BATCH_LOSS, nt.vector("b", l, widths[l]))] = delta.sum(axis=0)[:, None] / N
    steps = []
    for section in derive_matrix(net).sections:
        for step in section.steps:
            if step.lhs in values and not any(s.lhs == step.lhs for s, _ in steps):
                steps.append((step, values[step.lhs]))
    loss = float(np.mean([v.values[nt.LOSS] for v in samples]))
    return BatchNumbers(tuple(given), tuple(steps), N, loss)


__all__ = ["BatchNumbers", "batch_numbers"]

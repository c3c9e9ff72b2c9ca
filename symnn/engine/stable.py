"""Where the evaluation leaves the textbook form: the fused output layer of ``symnn.rules.fused``.

The derivation is unchanged; this says, for a graph, which loss expression and which output δ
the generated code and the worked numbers evaluate instead, and which ∂L/∂a they no longer need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.graph import Graph
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.rules.fused import FusedOutput, fused_output


@dataclass(frozen=True)
class StableOutput:
    """The per-sample loss and output δ_k in logits, and the output ∂L/∂a_k they make unneeded."""

    fused: FusedOutput
    loss: sp.Expr
    deltas: dict[sp.Symbol, sp.Expr]
    unneeded: frozenset[sp.Symbol]


def stable_output(graph: Graph) -> StableOutput | None:
    """The fused evaluation of the graph's output layer and loss, or None when there is none.

    Examples:
        >>> from symnn.spec.build import build_graph
        >>> from symnn.spec.network import Network, Dense
        >>> g = build_graph(Network(1, [Dense(1, "sigmoid")], "binary_cross_entropy"))
        >>> stable_output(g).deltas
        {delta_1_1: a_1_1 - y_1}
    """
    net = graph.network
    depth, outputs = len(net.layers), net.outputs
    output = getattr(net.layers[-1], "activation", None)  # a layer kind without one: no pair
    fused = fused_output(output, net.loss, outputs) if output is not None else None
    if fused is None:
        return None
    units = range(1, outputs + 1)
    z = [nt.z(depth, k) for k in units]
    a = [nt.a(depth, k) for k in units]
    y = [nt.y(k) for k in units]
    deltas = dict(zip([nt.delta(depth, k) for k in units], fused.deltas(z, a, y), strict=True))
    unneeded = frozenset(nt.grad_a(depth, k) for k in units)
    return StableOutput(fused, fused.loss(z, a, y), deltas, unneeded)


def stable_forward(bp: Backprop) -> list[tuple[sp.Symbol, sp.Expr]]:
    """Every definition as the code evaluates it: the loss in its fused form where there is one."""
    stable = stable_output(bp.graph)
    return [
        (d.symbol, stable.loss if stable is not None and d.role == "loss" else d.expr)
        for d in bp.graph.definitions
    ]


def stable_backward(bp: Backprop) -> list[tuple[sp.Symbol, sp.Expr]]:
    """Every adjoint as the code evaluates it, output first: a fused output δ where there is one
    (``symnn.engine.stable``), and without the output ∂L/∂a it no longer needs."""
    stable = stable_output(bp.graph)
    deltas = stable.deltas if stable is not None else {}
    unneeded = stable.unneeded if stable is not None else frozenset()
    return [
        (adjoint_symbol(d), deltas.get(adjoint_symbol(d), bp.adjoints[d.symbol]))
        for d in reversed(bp.graph.definitions[:-1])
        if adjoint_symbol(d) not in unneeded
    ]


def exact_targets(graph: Graph, values: dict[sp.Symbol, float]) -> dict[sp.Symbol, sp.Integer]:
    """Targets of exactly 0 or 1 as SymPy integers: y·(1/a) with y = 0 is then 0, as y log a is."""
    return {
        s: sp.Integer(int(values[s])) for s in graph.targets if s in values and values[s] in (0, 1)
    }


def textbook_value(
    expr: sp.Expr,
    values: dict[sp.Symbol, float],
    graph: Graph,
    evaluate: Callable[[sp.Expr], float],
) -> float:
    """``expr`` (an output ∂L/∂a in its textbook form) at ``values``: ±inf where it is infinite.

    A target of 0 or 1 drops its term exactly (−y/a with y = 0 is 0, not 0/0), and what is left
    divides by a saturated output only where the textbook factor is itself infinite (−y/a at
    a = 0). ``evaluate(expr)`` is the caller's evaluation at its values.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(evaluate(expr.xreplace(exact_targets(graph, values))))

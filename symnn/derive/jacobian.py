"""Jacobians between any two vectors of graph quantities, by the chain rule over the graph."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from symnn.derive.element import backprop_for
from symnn.graph import Graph
from symnn.network import Network


def jacobian(
    spec: Network | Graph,
    outputs: Sequence[sp.Symbol],
    inputs: Sequence[sp.Symbol],
    *,
    expand: bool = False,
) -> sp.Matrix:
    """∂outputs/∂inputs as a matrix (row i: output i), in named quantities or expanded.

    Each entry is the sum over every path from the input to the output of the product of local
    partials; paths are shared through a memo, so the cost grows with the graph, not the paths.

    Examples:
        >>> from symnn.network import Network, Dense
        >>> from symnn import notation as nt
        >>> net = Network(2, [Dense(2, "softmax")], "cross_entropy")
        >>> jacobian(net, [nt.a(1, 1), nt.a(1, 2)], [nt.z(1, 1), nt.z(1, 2)])
        Matrix([
        [a_1_1*(1 - a_1_1),      -a_1_1*a_1_2],
        [     -a_1_1*a_1_2, a_1_2*(1 - a_1_2)]])
    """
    bp = backprop_for(spec)
    graph = bp.graph
    memo: dict[tuple[sp.Symbol, sp.Symbol], sp.Expr] = {}

    def total(u: sp.Symbol, v: sp.Symbol) -> sp.Expr:
        if u == v:
            return sp.S.One
        if not graph.is_defined(u):
            return sp.S.Zero
        if (u, v) not in memo:
            d = graph.definition(u)
            memo[u, v] = sp.Add(*[bp.local(d, p).named * total(p, v) for p in graph.parents(d)])
        return memo[u, v]

    matrix = sp.Matrix([[total(u, v) for v in inputs] for u in outputs])
    return matrix.applyfunc(graph.expand) if expand else matrix

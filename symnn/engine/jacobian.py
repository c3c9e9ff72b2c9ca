"""Jacobians: between any graph quantities (element level), and of layer blocks (matrix level).

``jacobian`` sums local partials over the graph's paths; ``block_jacobian`` multiplies the layer
Jacobians (W, diag(f'(z)), diag(s) − s sᵀ) in numerator layout, and ``explicit_jacobian`` writes
that product out at the network's widths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.engine.element import backprop_for
from symnn.spec.network import Network


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
        >>> from symnn.spec.network import Network, Dense
        >>> from symnn.core import notation as nt
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


EXPLICIT_LIMIT = 2_000  # weights: symbolic products beyond this take minutes
_QUANTITY = re.compile(r"^\s*(?:(x)|([za])\s*(\d+))\s*$")


def _position(net: Network, name: str) -> int:
    """x (a0) is 0, z^{(l)} is 2l − 1, a^{(l)} is 2l."""
    m = _QUANTITY.match(name) if isinstance(name, str) else None
    depth = len(net.layers)
    if m is None or (m.group(3) and not 0 <= int(m.group(3)) <= depth):
        raise SymnnError(f"expected 'x', 'z1'…'z{depth}' or 'a0'…'a{depth}', found {name!r}")
    if m.group(1):
        return 0
    layer = int(m.group(3))
    if m.group(2) == "z" and layer == 0:
        raise SymnnError(f"there is no z0; expected 'z1'…'z{depth}', found {name!r}")
    return 2 * layer - (m.group(2) == "z")


def block_jacobian(spec: Network, of: str, wrt: str) -> sp.MatrixExpr:
    """∂of/∂wrt as a product of layer Jacobians (numerator layout), for any block of the network.

    ``of`` and ``wrt`` name vectors: "x", "z1", "a1", …; ``of`` must come after ``wrt``.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(3, "sigmoid"), Dense(2, "tanh")])
        >>> block_jacobian(net, "a2", "x")
        diag(tanh'(zvec_2))*W_2*diag(sigmoid'(zvec_1))*W_1
        >>> block_jacobian(net, "z2", "a1")
        W_2
    """
    from symnn.engine.matrix import activation_jacobian, layer_symbols

    start, stop = _position(spec, wrt), _position(spec, of)
    if stop < start:
        raise SymnnError(f"{of!r} does not depend on {wrt!r}: it comes earlier in the network")
    layers = layer_symbols(spec)
    factors = []
    for position in range(start + 1, stop + 1):
        s = layers[(position - 1) // 2]
        factors.append(s.W if position % 2 else activation_jacobian(s))
    factors = [f for f in reversed(factors) if not isinstance(f, sp.Identity)]
    if not factors:
        size = spec.widths[(stop + 1) // 2]
        return sp.Identity(size)
    return factors[0] if len(factors) == 1 else sp.MatMul(*factors)


def explicit_jacobian(spec: Network, of: str, wrt: str, *, expand: bool = False) -> sp.Matrix:
    """The entries of ``block_jacobian`` at the network's widths (for small networks).

    In named quantities (a, z, w), or with ``expand`` in inputs and parameters only.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(1, [Dense(2, "relu")])
        >>> explicit_jacobian(net, "a1", "x")
        Matrix([
        [w_1_1_1*Indicator(z_1_1)],
        [w_1_2_1*Indicator(z_1_2)]])
    """
    from symnn.engine.matexpr import instantiate

    entries = sum(rows * cols for _, (rows, *rest) in spec.parameter_shapes() for cols in rest)
    if entries > EXPLICIT_LIMIT:
        raise SymnnError(
            f"an explicit Jacobian of {entries:,} weights is too large to write out (limit "
            f"{EXPLICIT_LIMIT:,}); use block_jacobian for the matrix expression"
        )
    matrix = sp.Matrix(instantiate(block_jacobian(spec, of, wrt), spec))
    return matrix.applyfunc(backprop_for(spec).graph.expand) if expand else matrix

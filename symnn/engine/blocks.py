"""Jacobians of layer blocks (matrix level): ∂of/∂wrt as a product of layer Jacobians.

``block_jacobian`` multiplies the layer Jacobians (W, diag(f'(z)), diag(s) − s sᵀ) in numerator
layout, and ``explicit_jacobian`` writes that product out at the network's widths.
"""

from __future__ import annotations

import re

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.engine.element import backprop_for
from symnn.engine.instantiate import instantiate
from symnn.engine.matrix import activation_jacobian, layer_symbols
from symnn.spec.network import Network

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
    entries = sum(rows * cols for _, (rows, *rest) in spec.parameter_shapes() for cols in rest)
    if entries > EXPLICIT_LIMIT:
        raise SymnnError(
            f"an explicit Jacobian of {entries:,} weights is too large to write out (limit "
            f"{EXPLICIT_LIMIT:,}); use block_jacobian for the matrix expression"
        )
    matrix = sp.Matrix(instantiate(block_jacobian(spec, of, wrt), spec))
    return matrix.applyfunc(backprop_for(spec).graph.expand) if expand else matrix


__all__ = ["block_jacobian", "explicit_jacobian"]

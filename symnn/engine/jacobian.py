"""Jacobians between graph quantities (element level), and each layer's Jacobians as data.

``jacobian`` sums local partials over the graph's paths; ``jacobians`` gives the layer Jacobians
a document shows (named, captioned, and written out when small enough to print).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.core.steps import Derivation
from symnn.engine.backprop import Backprop
from symnn.engine.element import backprop_for
from symnn.rules.activations import ACTIVATIONS
from symnn.spec.network import Network

MAX_MATRIX = 6  # wider Jacobians are described, not printed


def jacobian(
    spec: Network | Graph | Backprop,
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
    bp = spec if isinstance(spec, Backprop) else backprop_for(spec)
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


class JacobianOf(sp.Function):
    """∂(u_1, …, u_m)/∂(v_1, …, v_n), the name of a Jacobian matrix."""

    def _latex(self, printer) -> str:
        outs, ins = self.args
        top = ", ".join(printer._print(u) for u in outs)
        bottom = ", ".join(printer._print(v) for v in ins)
        return rf"\frac{{\partial ({top})}}{{\partial ({bottom})}}"


@dataclass(frozen=True)
class Jacobian:
    """A Jacobian's name, its matrix (None when too large to print) and a caption in words."""

    name: sp.Basic
    matrix: sp.Matrix | None
    caption: str
    wide: bool = False  # name and matrix do not fit on one line: the matrix goes below


def _matrix_of(bp: Backprop, outs: list[sp.Symbol], ins: list[sp.Symbol], what: str) -> Jacobian:
    caption = f"{what} ({len(outs)} by {len(ins)})"
    name = JacobianOf(sp.Tuple(*outs), sp.Tuple(*ins))
    if max(len(outs), len(ins)) > MAX_MATRIX:
        return Jacobian(name, None, caption + ", too large to print here")
    return Jacobian(name, jacobian(bp, outs, ins), caption)


def jacobians(spec: Graph | Backprop, layers: Sequence[int]) -> list[Jacobian]:
    """Each layer's Jacobians: activations by weighted inputs, weighted inputs by those below.

    Given the reverse walk (``Backprop``), every Jacobian reads its local partials; given a graph,
    the walk is built once for all of them.
    """
    bp = spec if isinstance(spec, Backprop) else backprop_for(spec)
    graph = bp.graph
    found = []
    widths = graph.network.widths
    for l in layers:
        if not graph.is_defined(nt.z(l, 1)):
            continue  # a block without weighted inputs (a sum, a concatenation)
        zs = [nt.z(l, j) for j in range(1, widths[l] + 1)]
        acts = [nt.a(l, j) for j in range(1, widths[l] + 1)]
        activation = ACTIVATIONS[graph.network.layers[l - 1].activation]
        what = "diagonal, as each unit reads only its own weighted input"
        if not activation.elementwise:
            what = "full, as every output of the layer reads every weighted input"
        found.append(_matrix_of(bp, acts, zs, f"Layer {l}, activations by weighted inputs: {what}"))
        source, *more = graph.network.sources[l - 1]
        if source > 0 and not more:
            below = [nt.a(source, k) for k in range(1, widths[source] + 1)]
            what = f"Layer {l}, weighted inputs by the activations below: the weight matrix"
            found.append(_matrix_of(bp, zs, below, what))
    return found


def _layer_of(subject: sp.Basic) -> int | None:
    symbol = subject.variables[0] if isinstance(subject, sp.Derivative) else subject
    if not isinstance(symbol, sp.Symbol):
        return None
    try:
        return nt.parse(symbol)[1][0]
    except SymnnError:
        return None


def layers_touched(derivation: Derivation) -> list[int]:
    """The layers whose quantities or parameters the derivation's sections are about, last first."""
    layers = {_layer_of(section.subject) for section in derivation.sections}
    return sorted((layer for layer in layers if layer is not None), reverse=True)


def derivation_jacobians(derivation: Derivation) -> list[Jacobian]:
    """The Jacobians of the layers an element-level derivation touches, from its own reverse walk.

    Examples:
        >>> from symnn.engine.element import derive
        >>> from symnn.spec.network import Network, Dense
        >>> d = derive(Network(2, [Dense(2, "sigmoid"), Dense(1, "sigmoid")]), "W1[1,1]")
        >>> [j.caption.split(",")[0] for j in derivation_jacobians(d)]
        ['Layer 2', 'Layer 2', 'Layer 1']
    """
    graph = derivation.context.get("graph")
    if graph is None:
        return []
    bp = derivation.context.get("backprop") or graph
    return jacobians(bp, layers_touched(derivation))


__all__ = ["Jacobian", "JacobianOf", "derivation_jacobians", "jacobian", "jacobians"]
__all__ += ["layers_touched"]

"""Build a network's graph of definitions through its layers: x → each block → the loss."""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt
from symnn.core.bulk import bulk
from symnn.core.graph import LOSS_NODE, Definition, Graph
from symnn.layers.base import GraphBuilder, constant
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network


@bulk
def build_graph(network: Network) -> Graph:
    """Turn a network spec into its graph of definitions.

    Each layer writes its definitions (tagged by node kind) for the blocks it reads; the loss
    reads the last block.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> g = build_graph(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> [str(d.symbol) for d in g.definitions]
        ['z_1_1', 'a_1_1', 'L']
        >>> g.definitions[0].expr
        b_1_1 + w_1_1_1*x_1
    """
    inputs = tuple(nt.x(k) for k in range(1, network.inputs + 1))
    targets = tuple(nt.y(k) for k in range(1, network.outputs + 1))
    g = GraphBuilder(network)
    blocks: list[list[sp.Symbol]] = [list(inputs)]
    for l, (layer, sources) in enumerate(zip(network.layers, network.sources, strict=True), 1):
        blocks.append(layer.define(g, l, [blocks[b] for b in sources]))
    loss = LOSSES[network.loss]
    hyper = {k: constant(v) for k, v in network.loss_params.items()}
    g.definitions.append(
        Definition(nt.LOSS, loss.build(blocks[-1], targets, hyper), LOSS_NODE, 0, 0)
    )
    return Graph(network, inputs, targets, tuple(g.parameters), tuple(g.definitions))

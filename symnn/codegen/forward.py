"""A generated forward pass: the network's outputs for a batch, from the engine's own definitions.

Predictions (for accuracy and decision regions) need the values of the outputs, not just the
gradients. The function is generated from the same graph as ``symnn.codegen.element`` (nothing is
re-derived by hand), printed with the same printer and common-subexpression pass. (Worked numbers
of every named quantity come from ``symnn.engine.values``.)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from symnn.codegen.element import (
    _lines,
    _names,
    _with_cse,
    function_header,
    load_function,
)
from symnn.core.graph import LOSS_NODE
from symnn.engine.element import backprop_for
from symnn.printing.code import CodePrinter
from symnn.spec.network import Network

Params = dict[str, np.ndarray]


def _parameters(graph) -> list[str]:
    return [p.name for p in graph.parameters]


def _column(value: str) -> str:
    # A quantity that does not depend on the sample (a constant, a bias) still gets one per row.
    return f"numpy.broadcast_to(numpy.asarray({value}, dtype=float), X.shape[:1])"


def forward_source(network: Network) -> str:
    """Source of ``forward(params, X) -> outputs`` (rows are samples, columns output units)."""
    graph = backprop_for(network).graph
    printer = CodePrinter(_names(graph))
    forward = [(d.symbol, d.expr) for d in graph.definitions if d.kind is not LOSS_NODE]
    outputs = ", ".join(_column(s.name) for s in graph.outputs)
    body = _lines(printer, _with_cse(forward))
    footer = [f"    return numpy.stack([{outputs}], axis=1)", ""]
    return "\n".join(function_header("forward", _parameters(graph), targets=False) + body + footer)


@lru_cache(maxsize=64)
def compile_forward(network: Network) -> Callable[[Params, np.ndarray], np.ndarray]:
    """The network's outputs for a batch, generated from the graph's forward definitions.

    For ``softmax_cross_entropy`` and ``binary_cross_entropy_logits`` these are the logits.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> f = compile_forward(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> f({"W1": [[2.0]], "b1": [0.0]}, [[0.0], [100.0]]).tolist()
        [[0.5], [1.0]]
    """
    return load_function(forward_source(network), "forward")

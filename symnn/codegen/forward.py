"""Numbers from the engine's own expressions: a generated forward pass, and a full trace.

Predictions (for accuracy and decision regions) and the worked-step documents need the values of
the named quantities, not just the gradients. Both functions here are generated from the same
graph and backprop expressions as ``symnn.codegen.element`` (nothing is re-derived by hand),
printed with the same printer and common-subexpression pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from symnn.codegen.element import (
    _assignments,
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


@dataclass(frozen=True)
class Trace:
    """Per-sample values of every named quantity (z, a, L, ∂L/∂a, δ) and every gradient entry.

    ``values`` maps each graph symbol to an array over samples; ``gradients`` maps each trainable
    scalar parameter symbol to its per-sample gradient (the batch gradient is their mean).
    """

    values: dict[sp.Symbol, np.ndarray]
    gradients: dict[sp.Symbol, np.ndarray]


def trace_source(network: Network) -> str:
    """Source of ``trace(params, X, Y) -> (values, gradients)`` keyed by symbol name."""
    bp = backprop_for(network)
    graph = bp.graph
    printer = CodePrinter(_names(graph))
    assignments = _assignments(bp)
    body = _lines(printer, _with_cse(assignments))
    out = ["    values = {"]
    out += [f'        "{lhs.name}": {_column(lhs.name)},' for lhs, _ in assignments]
    out += ["    }", "    gradients = {"]
    out += [
        f'        "{s.name}": {_column(printer.doprint(expr))},' for s, expr in bp.gradients.items()
    ]
    out += ["    }", "    return values, gradients", ""]
    return "\n".join(function_header("trace", _parameters(graph)) + body + out)


def trace(network: Network, params: Params, X, Y) -> Trace:
    """Evaluate every named quantity of the derivation at ``params`` on the batch ``X, Y``.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(1, [Dense(1, "sigmoid")], "squared_error")
        >>> t = trace(net, {"W1": [[0.0]], "b1": [0.0]}, [[1.0]], [[1.0]])
        >>> [(str(s), float(v[0])) for s, v in t.values.items()]
        [('z_1_1', 0.0), ('a_1_1', 0.5), ('L', 0.125), ('dL_da_1_1', -0.5), ('delta_1_1', -0.125)]
    """
    bp = backprop_for(network)
    values, gradients = _compiled_trace(network)(params, X, Y)
    symbols = [lhs for lhs, _ in _assignments(bp)]
    return Trace(
        {s: np.asarray(values[s.name]) for s in symbols},
        {s: np.asarray(gradients[s.name]) for s in bp.gradients},
    )


@lru_cache(maxsize=16)
def _compiled_trace(network: Network) -> Callable:
    return load_function(trace_source(network), "trace")

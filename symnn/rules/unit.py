"""The scalar rules a matrix formula is made of: one representative unit, never the whole net.

A layer is read through its ``activation`` name and ``activation_params``, and a network through
``layers``, ``outputs``, ``loss`` and ``loss_params``, so these rules sit below the spec that
defines ``Dense`` and ``Network`` (any object with those fields will do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import LogSumExp
from symnn.core.graph import _constant
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES


def hyperparameters(activation: str, given: dict) -> tuple:
    """An activation's hyperparameters as SymPy numbers, in the order of its defaults."""
    return tuple(_constant(given[k]) for k in ACTIVATIONS[activation].defaults)


def unit_activation(layer: Any, z: sp.Expr) -> sp.Expr:
    """f(z) for one unit of an elementwise layer."""
    rule = ACTIVATIONS[layer.activation]
    values = hyperparameters(layer.activation, layer.activation_params)
    params = dict(zip(rule.defaults, values, strict=True))
    return rule.apply([z], params)[0]


def unit_derivative(layer: Any, z: sp.Expr, a: sp.Expr) -> sp.Expr:
    """f'(z) for one unit, f(z) written back as a (σ' = a(1 − a)), as the element level does."""
    f = unit_activation(layer, z)
    derivative = f.diff(z)
    return derivative if isinstance(f, sp.Symbol) else derivative.xreplace({f: a})


@dataclass(frozen=True)
class LossParts:
    """A per-sample loss split into Σ_k term(ŷ_k, y_k) and whole-vector parts (log Σ e^{ŷ})."""

    term: sp.Expr  # in nt.a(depth, 1) and nt.y(1): the k-th summand, shown for k = 1
    output: sp.Symbol
    target: sp.Symbol
    logsumexp: bool

    @property
    def term_gradient(self) -> sp.Expr:
        """∂term/∂ŷ_k, entry k of the separable part of ∂L/∂ŷ."""
        return self.term.diff(self.output)


def loss_parts(net: Any) -> LossParts:
    """Split the network's loss into its per-output terms and a log-sum-exp, or fail naming it.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> parts = loss_parts(Network(2, [Dense(3)], "softmax_cross_entropy"))
        >>> parts.term, parts.logsumexp
        (-a_1_1*y_1, True)
    """
    depth, k_out = len(net.layers), net.outputs
    outputs = [nt.a(depth, k) for k in range(1, k_out + 1)]
    targets = [nt.y(k) for k in range(1, k_out + 1)]
    hyper = {k: _constant(v) for k, v in net.loss_params.items()}
    expr = LOSSES[net.loss].build(outputs, targets, hyper)
    terms = list(expr.args) if isinstance(expr, sp.Add) else [expr]
    by_unit: dict[int, list[sp.Expr]] = {k: [] for k in range(1, k_out + 1)}
    logsumexp = False
    # Which output each of ŷ_k, y_k belongs to, so that a term's units are read from its own
    # symbols (asking every term about every output was quadratic: minutes at 2,048 outputs).
    unit_of = {s: k for k, pair in enumerate(zip(outputs, targets, strict=True), 1) for s in pair}
    for term in terms:
        if isinstance(term, LogSumExp) and list(term.args) == outputs:
            logsumexp = True
            continue
        units = sorted({unit_of[s] for s in term.free_symbols if s in unit_of})
        if len(units) != 1:
            raise SymnnError(
                f"loss {net.loss!r}: cannot write the term {term} as one per output "
                "(the matrix level knows per-output terms and log-sum-exp)"
            )
        by_unit[units[0]].append(term)
    term = sp.Add(*by_unit[1])
    for k in range(2, k_out + 1):
        renamed = term.xreplace({outputs[0]: outputs[k - 1], targets[0]: targets[k - 1]})
        if sp.expand(renamed - sp.Add(*by_unit[k])) != 0:
            raise SymnnError(f"loss {net.loss!r}: its terms differ between outputs 1 and {k}")
    return LossParts(term, outputs[0], targets[0], logsumexp)


__all__ = ["LossParts", "hyperparameters", "loss_parts", "unit_activation", "unit_derivative"]

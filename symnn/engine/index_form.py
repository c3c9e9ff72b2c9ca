"""The δ recursion in index form with symbolic layer and widths, as textbooks print it.

δ^{(l)}_j = f'(z^{(l)}_j) Σ_{k=1}^{n^{(l+1)}} w^{(l+1)}_{kj} δ^{(l+1)}_k. The quantities are
``notation`` index functions: substituting integers for l, j, k and the widths turns the formula
into the element-level one, which is how the tests check it. The recursion and its instance for
a hidden layer are the dense layer's rules (``symnn.layers.dense``), re-exported here.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.steps import Section, Step
from symnn.layers import dense
from symnn.layers.base import IndexContext, layer_key
from symnn.spec.network import Network

LAYER = dense.LAYER
ActivationDerivative = dense.ActivationDerivative
index_recursion = dense.index_recursion
_j, _k = sp.symbols("j k", integer=True, positive=True)


def _product(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def index_form_section(net: Network, instances: list[Step]) -> Section:
    """The general index form, then its ``instances`` (the layers' own, from their rules)."""
    l = LAYER
    z, a = ix.z_at(l, _j), ix.a_at(l, _j)
    z_next = ix.z_at(l + 1, _k)
    d = lambda f, v: sp.Derivative(f, v, evaluate=False)  # noqa: E731
    chain = sp.Sum(_product(d(nt.LOSS, z_next), d(z_next, a), d(a, z)), (_k, 1, ix.width(l + 1)))
    steps = [
        Step(ix.delta_at(l, _j), d(nt.LOSS, z), "definition"),
        Step(ix.delta_at(l, _j), chain, "multivariate_chain_rule", "a_j feeds every z_k of l + 1"),
        Step(d(z_next, a), ix.w_at(l + 1, _k, _j), "linear"),
        Step(d(a, z), ActivationDerivative(z), "activation_derivative"),
        index_recursion(),
        Step(
            d(nt.LOSS, ix.w_at(l, _j, _k)),
            _product(ix.delta_at(l, _j), ix.a_at(l - 1, _k)),
            "result",
        ),
        Step(d(nt.LOSS, ix.b_at(l, _j)), ix.delta_at(l, _j), "result"),
    ]
    steps += instances
    return Section(ix.delta_at(l, _j), tuple(steps))


# -- a network that is a graph: its blocks are fixed, the widths and units stay symbolic ---------
def graph_index_section(net: Network) -> Section | None:
    """The index form of a graph of layers that all have an ``index_rule``; None otherwise.

    From the output back: ∂L/∂a^{(b)}_j of each block b is the sum of what its readers pass back to
    unit j (a residual's input: the sum's ∂L/∂a_j plus the branch's Σ_k w_kj δ_k), then the block's
    own adjoints (δ_j); last, each parameter's gradient, summed over its uses (a tied weight).
    """
    if any(not hasattr(layer, "index_rule") for layer in net.layers):
        return None
    depth = len(net.layers)
    received: dict[int, list[tuple[int, sp.Expr]]] = {b: [] for b in range(depth + 1)}
    steps: list[Step] = []
    uses: dict[str, list[tuple[int, sp.Expr, sp.Expr]]] = {}
    for l in range(depth, 0, -1):
        adjoint = None if l == depth else _adjoint_step(net, l, received[l], steps)
        rule = net.layers[l - 1].index_rule(IndexContext(net, l, _j, _k, adjoint))
        for b, term in zip(net.sources[l - 1], rule.pullbacks, strict=True):
            received[b].insert(0, (l, term, rule))  # readers in forward order
        steps += rule.backward
        for name, lhs, term in rule.gradients:
            uses.setdefault(name, []).append((l, lhs, term))
    for name in _parameter_order(net, uses):
        found = sorted(uses[name], key=lambda use: use[0])
        lhs = found[0][1]
        if len(found) == 1:
            steps.append(Step(lhs, found[0][2], "result"))
            continue
        layers = " and ".join(str(l) for l, _, _ in found)
        note = f"{name} is used by layers {layers}: one term per use, summed"
        total = sp.Add(*(t for _, _, t in found), evaluate=False)
        steps.append(Step(lhs, total, "shared_weight", note))
    return Section(sp.Derivative(nt.LOSS, ix.a_at(LAYER, _j), evaluate=False), tuple(steps))


def _adjoint_step(net: Network, l: int, terms: list, steps: list[Step]) -> sp.Expr:
    """∂L/∂a^{(l)}_j = the sum of its readers' terms, appended to ``steps``; returns the sum."""
    lhs = sp.Derivative(nt.LOSS, ix.a_at(l, _j), evaluate=False)
    rhs = terms[0][1] if len(terms) == 1 else sp.Add(*(t for _, t, _ in terms), evaluate=False)
    readers = [layer_key(net, c) for c, _, _ in terms]
    if len(terms) == 1:
        rule = terms[0][2]
        steps.append(Step(lhs, rhs, rule.rule, f"read by {readers[0]} only: {rule.passes}"))
    else:
        note = f"read by {', '.join(readers[:-1])} and {readers[-1]}: one term for each"
        steps.append(Step(lhs, rhs, "fork_sum", note))
    return rhs


def _parameter_order(net: Network, uses: dict) -> list[str]:
    """Parameter names in the network's order (W¹, b¹, W², …)."""
    order = [name for name, _ in net.parameter_shapes()]
    return [name for name in order if name in uses]


__all__ = [
    "LAYER",
    "ActivationDerivative",
    "graph_index_section",
    "index_form_section",
    "index_recursion",
]

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


__all__ = ["LAYER", "ActivationDerivative", "index_form_section", "index_recursion"]

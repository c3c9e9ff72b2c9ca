"""The δ recursion in index form with symbolic layer and widths, as textbooks print it.

δ^{(l)}_j = f'(z^{(l)}_j) Σ_{k=1}^{n^{(l+1)}} w^{(l+1)}_{kj} δ^{(l+1)}_k. The quantities are
``notation`` index functions: substituting integers for l, j, k and the widths turns the formula
into the element-level one, which is how the tests check it.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.steps import Section, Step
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import unit_derivative
from symnn.spec.network import Network

LAYER = sp.Symbol("l", integer=True, positive=True)
_j, _k = sp.symbols("j k", integer=True, positive=True)


class ActivationDerivative(sp.Function):
    """f'(u) of a layer's (elementwise) activation f, left unnamed in the general form."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        text = rf"f'\left({printer._print(self.args[0])}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _sympystr(self, printer) -> str:
        return f"f'({printer._print(self.args[0])})"


def _product(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def index_recursion(net: Network | None = None, layer: int | None = None) -> Step:
    """δ^{(l)}_j = f'(z^{(l)}_j) Σ_k w^{(l+1)}_{kj} δ^{(l+1)}_k, general or for one hidden layer.

    With a network and a hidden layer, f' is that layer's rule and the sum runs to its width.

    Examples:
        >>> from symnn.printing.text import text
        >>> print(text(index_recursion().rhs))
        f'(z^(l)_j)*Sum(w^(l + 1)_k,j*delta^(l + 1)_k, (k, 1, n^(l + 1)))
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(3, "sigmoid"), Dense(2)])
        >>> index_recursion(net, 1).rhs.subs(_j, 2).doit()
        a_1_2*(1 - a_1_2)*(delta_2_1*w_2_1_2 + delta_2_2*w_2_2_2)
    """
    l = LAYER if layer is None else sp.Integer(layer)
    z, a = ix.z_at(l, _j), ix.a_at(l, _j)
    upper = ix.width(l + 1)
    fprime = ActivationDerivative(z)
    if net is not None:
        if layer is None or not 1 <= layer < len(net.layers):
            hidden = len(net.layers) - 1
            raise SymnnError(f"layer: expected a hidden layer 1 to {hidden}, found {layer}")
        spec = net.layers[layer - 1]
        if not ACTIVATIONS[spec.activation].elementwise:
            raise SymnnError(f"layer {layer}: the index recursion needs an elementwise activation")
        upper, fprime = sp.Integer(net.widths[layer + 1]), unit_derivative(spec, z, a)
    total = sp.Sum(_product(ix.w_at(l + 1, _k, _j), ix.delta_at(l + 1, _k)), (_k, 1, upper))
    return Step(ix.delta_at(l, _j), _product(fprime, total), "index_recursion")


def index_form_section(net: Network) -> Section:
    """The general index form, then its instance for each hidden elementwise layer of ``net``."""
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
    for layer in range(1, len(net.layers)):
        if ACTIVATIONS[net.layers[layer - 1].activation].elementwise:
            steps.append(index_recursion(net, layer))
    return Section(ix.delta_at(l, _j), tuple(steps))

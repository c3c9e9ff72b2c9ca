"""The four fundamental equations of backpropagation (BP1–BP4, as Nielsen's chapter 2 names them).

Each equation is derived from the chain rule in index form, stated at the element level and as
vectors, and instantiated for the network at hand: BP1 at its output layer (its loss and output
activation), BP2 at each hidden layer (its activation and the width of the layer above), BP3 and
BP4 at every layer. The matrix instances are the matrix-level derivation's own results, so what
the summary states is what the derivation derived.

    BP1  δ^{(D)}_j = ∂L/∂a^{(D)}_j f'(z^{(D)}_j)          δ^{(D)} = ∂L/∂a^{(D)} ⊙ f'(z^{(D)})
    BP2  δ^{(l)}_j = f'(z^{(l)}_j) Σ_k w^{(l+1)}_{kj} δ^{(l+1)}_k
                                           δ^{(l)} = ((W^{(l+1)})ᵀ δ^{(l+1)}) ⊙ f'(z^{(l)})
    BP3  ∂L/∂b^{(l)}_j = δ^{(l)}_j                        ∂L/∂b^{(l)} = δ^{(l)}
    BP4  ∂L/∂w^{(l)}_{jk} = δ^{(l)}_j a^{(l−1)}_k         ∂L/∂W^{(l)} = δ^{(l)} (a^{(l−1)})ᵀ

The output layer is named by its number D (L is the loss here, not the last layer). They apply to
a plain stack of dense layers whose hidden activations act entry by entry; an output that couples
its units (softmax) keeps BP1 in its Jacobian form, δ = (∂a/∂z)ᵀ ∂L/∂a.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Grad, Jac
from symnn.core.steps import Derivation, Step
from symnn.layers.dense import LAYER, ActivationDerivative, index_recursion
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import loss_parts, unit_derivative
from symnn.spec.network import Network

_j, _k = sp.symbols("j k", integer=True, positive=True)


class LayerVector(sp.MatrixExpr):
    """A layer's vector or weight matrix at a symbolic layer (δ^{(l)}, W^{(l+1)}, …), for display.

    ``at_layer`` turns it into the matrix-level symbol of a concrete layer.
    """

    def __new__(cls, kind: str, layer: sp.Expr):
        kind = kind if isinstance(kind, sp.Symbol) else sp.Symbol(kind)
        return sp.Basic.__new__(cls, kind, sp.sympify(layer))

    @property
    def kind(self) -> str:
        return self.args[0].name

    @property
    def layer(self) -> sp.Expr:
        return self.args[1]

    @property
    def shape(self):
        rows = ix.width(self.layer)
        return (rows, ix.width(self.layer - 1) if self.kind == "W" else sp.Integer(1))

    def _latex(self, printer, exp=None) -> str:
        head = {"W": "W", "b": "b", "z": "z", "a": "a", "delta": r"\delta"}[self.kind]
        if self.kind == "a" and self.layer == 0:
            return "x"
        text = f"{head}^{{({ix._layer_text(self.layer, printer._print)})}}"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _sympystr(self, printer) -> str:
        return f"{self.kind}^({ix._layer_text(self.layer, printer._print)})"


class VectorDerivative(sp.MatrixExpr):
    """f'(z^{(l)}) entry by entry, the activation left unnamed (the general form)."""

    def __new__(cls, arg: sp.MatrixExpr):
        return sp.Basic.__new__(cls, arg)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer) -> str:
        return rf"f'\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"f'({printer._print(self.args[0])})"


@dataclass(frozen=True)
class Equation:
    """One of BP1–BP4: its derivation, its boxed statements and its instances for the network."""

    label: str
    words: str
    subject: sp.Basic
    steps: tuple[Step, ...]  # from the definition to the element statement, then the vector form
    element: Step
    matrix: Step
    instances: tuple[Step, ...]  # for the network at hand: element form, then matrix form
    note: str = ""  # said when the network gives the equation nothing to do


def applies(net: Network) -> str:
    """Why BP1–BP4 in this form do not apply to ``net`` ("" when they do)."""
    if not net.is_chain:
        return "BP1–BP4 speak of a plain stack of dense layers; this network is a graph"
    for l, layer in enumerate(net.layers[:-1], start=1):
        if not ACTIVATIONS[layer.activation].elementwise:
            return f"BP2 needs hidden activations that act entry by entry; layer {l} does not"
    return ""


def _d(f: sp.Basic, v: sp.Basic) -> sp.Derivative:
    return sp.Derivative(f, v, evaluate=False)


def _mul(*factors: sp.Basic) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _matrix_results(net: Network) -> dict[sp.Basic, Step]:
    """The matrix-level derivation's per-sample results, by their left-hand side."""
    from symnn.engine.matrix import derive_matrix

    return {step.lhs: step for step in derive_matrix(net).results}


def _instance(step: Step | None, rule: str = "bp_instance") -> list[Step]:
    return [] if step is None else [Step(step.lhs, step.rhs, rule)]


def _bp1(net: Network, matrix: dict) -> Equation:
    depth = len(net.layers)
    out = net.layers[-1]
    z, a = ix.z_at(depth, _j), ix.a_at(depth, _j)
    a_k = ix.a_at(depth, _k)
    delta = ix.delta_at(depth, _j)
    total = sp.Sum(_mul(_d(nt.LOSS, a_k), _d(a_k, z)), (_k, 1, sp.Integer(net.outputs)))
    steps = [
        Step(delta, _d(nt.LOSS, z), "definition"),
        Step(delta, total, "multivariate_chain_rule", "z_j may feed every output a_k"),
    ]
    vec_delta = nt.vector("delta", depth, net.outputs)
    vec_a, vec_z = nt.vector("a", depth, net.outputs), nt.vector("z", depth, net.outputs)
    elementwise = ACTIVATIONS[out.activation].elementwise
    if elementwise:
        steps.append(
            Step(
                _d(a_k, z),
                _mul(sp.KroneckerDelta(_k, _j), ActivationDerivative(z)),
                "elementwise_jacobian",
            )
        )
        element = Step(
            delta, _mul(_d(nt.LOSS, a), ActivationDerivative(z)), "kronecker_sum_outputs"
        )
        vector = Step(
            vec_delta,
            sp.HadamardProduct(Grad(nt.LOSS, vec_a), VectorDerivative(vec_z)),
            "bp_vector_form",
        )
    else:
        element = steps[-1]
        vector = Step(
            vec_delta,
            sp.MatMul(sp.Transpose(Jac(vec_a, vec_z)), Grad(nt.LOSS, vec_a)),
            "vector_chain_rule",
        )
    steps += [element, vector] if elementwise else [vector]
    instances: list[Step] = []
    parts = loss_parts(net)
    if elementwise and not parts.logsumexp:
        gradient = parts.term_gradient.xreplace({parts.output: a, parts.target: ix.y_at(_j)})
        fprime = unit_derivative(out, z, a)
        if isinstance(gradient, sp.Add):  # a_j − y_j, positive terms first, as the element level
            terms = sorted(gradient.args, key=lambda t: t.could_extract_minus_sign())
            gradient = sp.Add(*terms, evaluate=False)
        value = gradient if fprime == 1 else _mul(fprime, gradient)
        instances.append(Step(delta, value, "bp_instance"))
    instances += _instance(matrix.get(vec_delta))
    words = "the error of the output layer"
    return Equation("BP1", words, delta, tuple(steps), element, vector, tuple(instances))


def _bp2(net: Network, matrix: dict) -> Equation:
    l = LAYER
    z, a = ix.z_at(l, _j), ix.a_at(l, _j)
    z_next = ix.z_at(l + 1, _k)
    delta = ix.delta_at(l, _j)
    chain = sp.Sum(_mul(_d(nt.LOSS, z_next), _d(z_next, a), _d(a, z)), (_k, 1, ix.width(l + 1)))
    element = index_recursion()
    steps = [
        Step(delta, _d(nt.LOSS, z), "definition"),
        Step(delta, chain, "multivariate_chain_rule", "a_j feeds every z_k of l + 1"),
        Step(_d(z_next, a), ix.w_at(l + 1, _k, _j), "linear"),
        Step(_d(a, z), ActivationDerivative(z), "activation_derivative"),
        element,
    ]
    W_next = LayerVector("W", l + 1)
    vector = Step(
        LayerVector("delta", l),
        sp.HadamardProduct(
            sp.MatMul(sp.Transpose(W_next), LayerVector("delta", l + 1)),
            VectorDerivative(LayerVector("z", l)),
        ),
        "bp_vector_form",
    )
    steps.append(vector)
    instances: list[Step] = []
    for layer in range(1, len(net.layers)):
        recursion = index_recursion(net, layer)
        instances.append(Step(recursion.lhs, recursion.rhs, "bp_instance"))
    for layer in range(1, len(net.layers)):
        instances += _instance(matrix.get(nt.vector("delta", layer, net.widths[layer])))
    note = "" if instances else "This network has no hidden layer: BP2 has nothing to do."
    words = "the error of a layer from the error of the layer above"
    return Equation("BP2", words, delta, tuple(steps), element, vector, tuple(instances), note)


def _bp3(net: Network, matrix: dict) -> Equation:
    l = LAYER
    z, b = ix.z_at(l, _j), ix.b_at(l, _j)
    lhs = _d(nt.LOSS, b)
    element = Step(lhs, ix.delta_at(l, _j), "substitution")
    vector = Step(Grad(nt.LOSS, LayerVector("b", l)), LayerVector("delta", l), "bp_vector_form")
    steps = (
        Step(lhs, _mul(_d(nt.LOSS, z), _d(z, b)), "chain_rule", "b_j enters only z_j"),
        Step(_d(z, b), sp.Integer(1), "linear"),
        element,
        vector,
    )
    instances: list[Step] = []
    layers = [
        layer
        for layer, spec in enumerate(net.layers, start=1)
        if spec.has_bias and spec.trainable_bias
    ]
    for layer in layers:
        instances.append(
            Step(_d(nt.LOSS, ix.b_at(layer, _j)), ix.delta_at(layer, _j), "bp_instance")
        )
    for layer in layers:
        instances += _instance(matrix.get(Grad(nt.LOSS, nt.vector("b", layer, net.widths[layer]))))
    note = "" if instances else "This network trains no bias: BP3 has nothing to do."
    words = "the gradient of a bias"
    return Equation("BP3", words, lhs, steps, element, vector, tuple(instances), note)


def _bp4(net: Network, matrix: dict) -> Equation:
    l = LAYER
    z, w = ix.z_at(l, _j), ix.w_at(l, _j, _k)
    lhs = _d(nt.LOSS, w)
    element = Step(lhs, _mul(ix.delta_at(l, _j), ix.a_at(l - 1, _k)), "substitution")
    vector = Step(
        Grad(nt.LOSS, LayerVector("W", l)),
        sp.MatMul(LayerVector("delta", l), sp.Transpose(LayerVector("a", l - 1))),
        "outer_product",
    )
    steps = (
        Step(lhs, _mul(_d(nt.LOSS, z), _d(z, w)), "chain_rule", "w_jk enters only z_j"),
        Step(_d(z, w), ix.a_at(l - 1, _k), "linear"),
        element,
        vector,
    )
    instances: list[Step] = []
    for layer in range(1, len(net.layers) + 1):
        instances.append(
            Step(
                _d(nt.LOSS, ix.w_at(layer, _j, _k)),
                _mul(ix.delta_at(layer, _j), ix.a_at(layer - 1, _k)),
                "bp_instance",
            )
        )
    for layer in range(1, len(net.layers) + 1):
        W = nt.weights(layer, net.widths[layer], net.widths[layer - 1])
        instances += _instance(matrix.get(Grad(nt.LOSS, W)))
    words = "the gradient of a weight"
    return Equation("BP4", words, lhs, steps, element, vector, tuple(instances))


def fundamental_equations(net: Network) -> tuple[Equation, ...]:
    """BP1–BP4 derived, stated and instantiated for ``net`` (a plain stack of dense layers).

    Examples:
        >>> from symnn.spec.network import Dense, Network
        >>> net = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")
        >>> bp1, bp2, bp3, bp4 = fundamental_equations(net)
        >>> from symnn.printing.latex import tex
        >>> print(tex(bp1.element.rhs))
        \\frac{\\partial L}{\\partial a^{(2)}_{j}} f'\\left(z^{(2)}_{j}\\right)
        >>> print(tex(bp1.instances[0].rhs))
        a^{(2)}_{j} \\left(1 - a^{(2)}_{j}\\right) \\left(a^{(2)}_{j} - y_{j}\\right)
    """
    why = applies(net)
    if why:
        raise SymnnError(why)
    matrix = _matrix_results(net)
    return (_bp1(net, matrix), _bp2(net, matrix), _bp3(net, matrix), _bp4(net, matrix))


def at_layer(expr: sp.Basic, layer: int, net: Network) -> sp.Basic:
    """A general vector form at a concrete ``layer``: l → layer, f' → the layer's activation′."""
    from symnn.core.matexpr import Apply

    def concrete(symbol: LayerVector) -> sp.MatrixSymbol:
        number = int(symbol.layer.xreplace({LAYER: sp.Integer(layer)}))
        if symbol.kind == "W":
            return nt.weights(number, net.widths[number], net.widths[number - 1])
        return nt.vector(symbol.kind, number, net.widths[number])

    def derivative(v: VectorDerivative) -> sp.MatrixExpr:
        (z,) = v.args
        number = nt.parse_matrix(z)[1]
        spec = net.layers[number - 1]
        from symnn.layers.dense import activation_hyperparameters

        params = activation_hyperparameters(spec.activation, spec.activation_params)
        return Apply(spec.activation, z, 1, params)

    expr = expr.replace(lambda e: isinstance(e, LayerVector), concrete)
    return expr.replace(lambda e: isinstance(e, VectorDerivative), derivative)


def equations_derivation(net: Network) -> Derivation:
    """BP1–BP4 as a Derivation (one section each, the instances as results), for JSON and text."""
    from symnn.core.steps import Section

    equations = fundamental_equations(net)
    return Derivation(
        "The four fundamental equations of backpropagation",
        tuple(Section(e.subject, e.steps) for e in equations),
        tuple(step for e in equations for step in e.instances),
        {"level": "equations", "network": net},
    )


__all__ = [
    "Equation",
    "LayerVector",
    "VectorDerivative",
    "applies",
    "at_layer",
    "equations_derivation",
    "fundamental_equations",
]

"""Dense: a fully connected layer z = W a_prev + b, a = f(z), and everything it declares.

Parameters are named ``W{l}``, ``b{l}`` (layer l counted from 1); ``W{l}`` has shape
(units_l, units of the block it reads): row j holds the weights into unit j. A dense layer may
share another's weights (``weights_from = "enc"``, with ``transpose = true`` for a tied
autoencoder): it then owns no W, reads the owner's symbols, and the owner's gradient sums over
both uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import Indicator
from symnn.core.graph import ACTIVATION, WEIGHTED_INPUT, symbol_array, weighted_sum
from symnn.core.matexpr import Apply, Diag, Grad, HadamardDivide, Jac
from symnn.layers.base import (
    ArrayCode,
    GraphBuilder,
    IndexContext,
    IndexRule,
    MatrixContext,
    MatrixRule,
    OracleContext,
    ParameterSpec,
    SpecContext,
    constant,
    fail,
    hyperparameters,
    is_fresh,
    layer,
    lookup,
    matrix,
    parenthesised,
    positive_int,
    product,
    single_product,
    vector,
)
from symnn.layers.base import Pullback as Pullback
from symnn.layers.base import Step as Step
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import hyperparameters as activation_hyperparameters
from symnn.rules.unit import unit_activation, unit_derivative

# Activations printed as one call that can write into a given array (``out=``).
WRITE_INTO = ("relu", "sigmoid", "numpy.tanh")


def unit_printer(layer: int, extra: dict | None = None) -> CodePrinter:
    """Prints a representative unit's rule with the whole layer's matrices as its names."""
    return CodePrinter({nt.z(layer, 1): f"Z{layer}", nt.a(layer, 1): f"A{layer}", **(extra or {})})


def _size(shape: tuple[int, ...]) -> str:
    return "×".join(map(str, shape))


@layer
@dataclass(frozen=True)
class Dense:
    """A fully connected layer: z = W a_prev + b, a = f(z).

    ``bias`` is True, False (no bias term) or the bias values; ``weights`` optionally gives W.
    ``name`` lets later layers read it; ``inputs`` names the one block it reads (default: the
    previous one); ``weights_from`` names a dense layer whose W it shares (``transpose``: Wᵀ).

    Examples:
        >>> Dense(2, "sigmoid").units
        2
    """

    kind: ClassVar[str] = "dense"
    # Example networks (spec dicts) that tests/test_layers.py runs through the five-way check.
    examples: ClassVar[tuple[dict, ...]] = (
        {
            "inputs": 2,
            "layers": [{"units": 3, "activation": "tanh"}, {"units": 2, "activation": "sigmoid"}],
            "loss": "squared_error",
        },
        {  # a tied autoencoder: the decoder reads the encoder's weights, transposed
            "inputs": 3,
            "layers": [
                {"name": "enc", "units": 2, "activation": "tanh"},
                {"units": 3, "weights_from": "enc", "transpose": True},
            ],
            "loss": "squared_error",
        },
    )

    units: int
    activation: str = "identity"
    bias: bool | Sequence[float] = True
    weights: Sequence[Sequence[float]] | None = None
    trainable_bias: bool = True
    activation_params: Mapping[str, float] = field(default_factory=dict)
    name: str = ""
    inputs: tuple[str, ...] = ()
    weights_from: str = ""
    transpose: bool = False

    def __hash__(self) -> int:  # the mapping field is not hashable; the repr is stable
        return hash(repr(self))

    def __repr__(self) -> str:
        # The graph keys are shown only when set, so a plain stack reads as it always has.
        shown = [
            f"units={self.units!r}",
            f"activation={self.activation!r}",
            f"bias={self.bias!r}",
            f"weights={self.weights!r}",
            f"trainable_bias={self.trainable_bias!r}",
            f"activation_params={self.activation_params!r}",
        ]
        for key, default in (("name", ""), ("inputs", ()), ("weights_from", "")):
            if getattr(self, key) != default:
                shown.append(f"{key}={getattr(self, key)!r}")
        if self.transpose:
            shown.append("transpose=True")
        return f"Dense({', '.join(shown)})"

    @property
    def has_bias(self) -> bool:
        return self.bias is not False

    @property
    def bias_values(self) -> tuple[float, ...] | None:
        return None if isinstance(self.bias, bool) else tuple(self.bias)

    # -- the Layer protocol ----------------------------------------------------------------
    def width(self, sizes: tuple[int, ...]) -> int:
        return self.units

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Dense:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for a dense layer", list(self.inputs))
        (previous,) = sizes
        units = positive_int(self.units, f"{key}.units")
        activation = lookup(ACTIVATIONS, self.activation, f"{key}.activation")
        if not activation.elementwise and units < 2:
            raise fail(f"{key}.units", "at least 2 units for softmax over a layer", units)
        params = hyperparameters(
            self.activation_params, activation.defaults, f"{key}.activation_params"
        )
        bias = self.bias
        if not isinstance(bias, bool):
            bias = vector(bias, units, f"{key}.bias")
        weights = self.weights
        if weights is not None:
            weights = matrix(weights, (units, previous), f"{key}.weights")
        if not isinstance(self.trainable_bias, bool):
            raise fail(f"{key}.trainable_bias", "true or false", self.trainable_bias)
        if not isinstance(self.transpose, bool):
            raise fail(f"{key}.transpose", "true or false", self.transpose)
        if self.weights_from:
            self._check_shared(key, (units, previous), ctx)
            if weights is not None:
                raise SymnnError(
                    f"{key}.weights: this layer shares the weights of {self.weights_from!r}; "
                    "give them on that layer"
                )
        elif self.transpose:
            raise SymnnError(f"{key}.transpose: only a layer with weights_from reads Wᵀ")
        return Dense(
            units,
            self.activation,
            bias,
            weights,
            self.trainable_bias,
            dict(params),
            self.name,
            self.inputs,
            self.weights_from,
            self.transpose,
        )

    def _check_shared(self, key: str, needed: tuple[int, int], ctx: SpecContext) -> None:
        source = ctx.block(self.weights_from, f"{key}.weights_from")
        owner = ctx.layers[source - 1] if source > 0 else None
        if not isinstance(owner, Dense) or owner.weights_from:
            raise SymnnError(
                f"{key}.weights_from: {self.weights_from!r} is not a dense layer with weights "
                "of its own"
            )
        shape = ctx.shapes[f"W{source}"]
        used = shape[::-1] if self.transpose else shape
        if used != needed:
            how = f"W{source}ᵀ is {_size(used)}" if self.transpose else f"W{source} is"
            how = how if self.transpose else f"{how} {_size(shape)}"
            raise SymnnError(
                f"{key}.weights_from: a shared weight has one shape: {how}, but this layer needs "
                f"{_size(needed)} (units × inputs)"
                + ("" if self.transpose else "; for a tied decoder set transpose = true")
            )

    def weight_name(self, block: int, blocks: Mapping[str, int]) -> str:
        """The name of the W this layer multiplies by: its own, or its owner's."""
        return f"W{blocks[self.weights_from]}" if self.weights_from else f"W{block}"

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        key = f"layers[{block}]"
        found = []
        if not self.weights_from:
            found.append(
                ParameterSpec(
                    f"W{block}", (self.units, sizes[0]), "weights", True, self.weights, key
                )
            )
        if self.has_bias:
            found.append(
                ParameterSpec(
                    f"b{block}", (self.units,), "bias", self.trainable_bias, self.bias_values, key
                )
            )
        return found

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (previous,) = xs
        l = block
        units = range(1, self.units + 1)
        if self.weights_from:
            owner = g.array(self.weight_name(l, g.network.blocks)).symbols.tolist()
            rows = [list(r) for r in zip(*owner, strict=True)] if self.transpose else owner
        else:
            rows = [[nt.w(l, j, k) for k in range(1, len(previous) + 1)] for j in units]
            flat = [w for row in rows for w in row]
            g.parameter(f"W{l}", symbol_array(flat, (self.units, len(previous))), l, True)
        if self.has_bias:
            biases = [nt.b(l, j) for j in units]
            g.parameter(f"b{l}", symbol_array(biases, (self.units,)), l, self.trainable_bias)
        zs = []
        for j in units:
            terms = [product(w, a_k) for w, a_k in zip(rows[j - 1], previous, strict=True)]
            bias = [nt.b(l, j)] if self.has_bias else []
            zs.append(weighted_sum(terms, bias))  # Add(*terms, *bias), sorted by name
        z = g.define([nt.z(l, j) for j in units], zs, WEIGHTED_INPUT, l)
        hyper = {k: constant(v) for k, v in self.activation_params.items()}
        activations = ACTIVATIONS[self.activation].apply(z, hyper)
        return g.define([nt.a(l, j) for j in units], activations, ACTIVATION, l)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (a,) = xs
        W = o.params[self.weight_name(block, o.network.blocks)]
        z = o.anp.dot(a, W if self.transpose else W.T)
        if self.has_bias:
            z = z + o.params[f"b{block}"]
        return o.activations[self.activation](z, dict(self.activation_params))

    # -- the batched NumPy rule (samples as rows): Z = A_prev Wᵀ + b, A = f(Z) ---------------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        (previous,) = ins
        l = block
        W = self.weight_name(l, c.network.blocks)
        # A shared Wᵀ (z = Wᵀ a) reads Z = A W; the layer's own W reads Z = A Wᵀ.
        width = c.network.widths[l]
        product = c.product(previous, W if self.transpose else f"{W}.T", f"Z{l}", width)
        if self.has_bias and c.keep_arrays:  # the bias added in place, no second array
            c.emit(f"Z{l} = {product}")
            c.emit(f"Z{l} += b{l}")
        else:
            c.emit(f"Z{l} = {product}{f' + b{l}' if self.has_bias else ''}")
        if not ACTIVATIONS[self.activation].elementwise:
            c.emit(f"A{l} = {c.call('softmax_rows', f'Z{l}')}")
        else:
            rule = c.expr(unit_printer(l), unit_activation(self, nt.z(l, 1)))
            if rule in (f"{f}(Z{l})" for f in WRITE_INTO):
                rule = c.into(rule, f"A{l}", width)
            c.emit(f"A{l} = {rule}")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """Δ = ∂L/∂Z from ∂L/∂A; ∂L/∂A_prev = Δ W; ∂L/∂W gains Δᵀ A_prev, ∂L/∂b gains Σ Δ."""
        (previous,) = ins
        l = block
        if gradient is not None:
            self._through_activation(c, l, gradient)
        W = self.weight_name(l, c.network.blocks)
        if self.transpose:
            back, grads = f"Delta{l} @ {W}.T", {W: f"{previous}.T @ Delta{l}"}
        else:
            back, grads = f"Delta{l} @ {W}", {W: f"Delta{l}.T @ {previous}"}
        if self.has_bias and self.trainable_bias:
            grads[f"b{l}"] = f"Delta{l}.sum(axis=0)"
        return [back], grads

    def _through_activation(self, c: ArrayCode, l: int, gradient: str) -> None:
        """Δ^{(l)} from the gradient with respect to A^{(l)}: ⊙ f'(Z), or the softmax rule."""
        elementwise = ACTIVATIONS[self.activation].elementwise
        derivative = unit_derivative(self, nt.z(l, 1), nt.a(l, 1)) if elementwise else None
        if derivative == 0:  # the step: f' = 0, nothing flows back through this layer
            c.emit(f"Delta{l} = numpy.zeros_like(Z{l})")
            return
        factors = single_product(gradient) if elementwise and c.keep_arrays else None
        if factors is not None:
            # The next layer's Δ W, written into an array kept between calls, then scaled there.
            gradient = c.product(*factors, f"Delta{l}", c.network.widths[l])
        if self.activation == "identity":
            c.emit(f"Delta{l} = {gradient}")
        elif elementwise:
            if isinstance(derivative, Indicator) and derivative.args[0] == nt.z(l, 1):
                text = f"(Z{l} > 0)"  # ReLU′ as a boolean mask: one comparison, no float copy
            else:
                text = c.expr(unit_printer(l), derivative)
            if is_fresh(gradient) or factors is not None:  # ours alone: scale it in place
                c.emit(f"Delta{l} = {gradient}")
                c.emit(f"Delta{l} *= {text}")
            else:
                c.emit(f"Delta{l} = {parenthesised(gradient)} * {parenthesised(text)}")
        else:
            c.emit(f"G{l} = {gradient}")
            c.emit(f"Delta{l} = A{l} * (G{l} - numpy.sum(G{l} * A{l}, axis=1, keepdims=True))")

    # -- the matrix-level derivation (per sample, column vectors): see MatrixRule in base.py ----
    def matrix_symbols(self, m: MatrixContext) -> LayerSymbols:
        """Its W, b, z, a, δ as MatrixSymbols; a shared weight reads its owner's W (or Wᵀ)."""
        l, (a_prev,) = m.block, m.inputs
        if self.weights_from:
            owner = m.network.blocks[self.weights_from]
            W = nt.weights(owner, *dict(m.network.parameter_shapes())[f"W{owner}"])
            W = sp.Transpose(W) if self.transpose else W
        else:
            W = nt.weights(l, self.units, a_prev.shape[0])
        return LayerSymbols(
            l,
            self.activation,
            activation_hyperparameters(self.activation, self.activation_params),
            W,
            nt.vector("b", l, self.units) if self.has_bias else None,
            nt.vector("z", l, self.units),
            nt.vector("a", l, self.units),
            a_prev,
            nt.vector("delta", l, self.units),
            self.trainable_bias,
            self,
        )

    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """z = W a_prev + b, a = f(z); δ = (∂a/∂z)ᵀ ∂L/∂a; a_prev gets Wᵀ δ; ∂L/∂W = δ a_prevᵀ."""
        s = self.matrix_symbols(m)
        backward = delta_steps(s, m)
        chain_note = (
            "∂z^{(l+1)}/∂a^{(l)} = W^{(l+1)} and ∂L/∂z^{(l+1)} = δ^{(l+1)}"
            if m.chain
            else "∂z/∂a = W and ∂L/∂z = δ for a dense reader"
        )
        pullback = Pullback(
            sp.MatMul(sp.Transpose(Jac(s.z, s.a_prev)), Grad(nt.LOSS, s.z)),
            sp.MatMul(s.W.T, s.delta),
            chain_note,
        )
        W = s.W.arg if isinstance(s.W, sp.Transpose) else s.W
        outer = (
            sp.MatMul(s.a_prev, sp.Transpose(s.delta))
            if self.transpose
            else sp.MatMul(s.delta, sp.Transpose(s.a_prev))
        )
        gradients = [Step(Grad(nt.LOSS, W), outer, "outer_product")]
        if s.b is not None and s.trainable_bias:
            gradients.append(Step(Grad(nt.LOSS, s.b), s.delta, "identity_jacobian", "∂z/∂b = I"))
        rule = MatrixRule(
            forward=(
                Step(s.z, weighted_input(s), "definition"),
                Step(s.a, activation_of(s), "definition"),
            ),
            jacobians=tuple(jacobian_steps(s)),
            jacobian_head=Jac(s.a, s.a_prev),
            backward=tuple(backward),
            adjoints=(Step(s.delta, backward[-1].rhs, "result"),),
            pullbacks=(pullback,),
            gradients=tuple(gradients),
            explicit=(s.W if s.identity else sp.MatMul(activation_jacobian(s), s.W),),
            symbols=s,
        )
        if not m.chain:
            return rule
        hidden = not m.is_output and ACTIVATIONS[self.activation].elementwise
        return replace(
            rule,
            gradient_steps=tuple(weight_gradient_steps(s)),
            batch=batch_forward(s),
            batch_gradients=batch_gradients(s),
            index=(index_recursion(m.network, m.block),) if hidden else (),
        )

    def index_rule(self, c: IndexContext) -> IndexRule:
        """Index form in a graph: its input's unit j gets Σ_k w_kj δ_k; δ_j = ∂L/∂a_j f'(z_j)."""
        return graph_index_rule(self, c)


# -- the dense layer's matrix-level rules ------------------------------------------------------
_i, _j, _k = sp.symbols("i j k", integer=True, positive=True)


@dataclass(frozen=True)
class LayerSymbols:
    """The matrix-level quantities of one dense layer, and its activation rule."""

    index: int
    activation: str
    params: tuple
    W: sp.MatrixExpr
    b: sp.MatrixSymbol | None
    z: sp.MatrixSymbol
    a: sp.MatrixSymbol
    a_prev: sp.MatrixSymbol
    delta: sp.MatrixSymbol
    trainable_bias: bool
    spec: Dense

    @property
    def identity(self) -> bool:
        return self.activation == "identity"

    @property
    def elementwise(self) -> bool:
        return ACTIVATIONS[self.activation].elementwise

    def derivative(self) -> Apply:
        """f'(z^{(l)}), entry by entry."""
        return Apply(self.activation, self.z, 1, self.params)


def weighted_input(s: LayerSymbols) -> sp.MatrixExpr:
    product = sp.MatMul(s.W, s.a_prev)
    return product if s.b is None else sp.MatAdd(product, s.b)


def activation_of(s: LayerSymbols) -> sp.MatrixExpr:
    return s.z if s.identity else Apply(s.activation, s.z, 0, s.params)


def activation_jacobian(s: LayerSymbols) -> sp.MatrixExpr:
    """∂a^{(l)}/∂z^{(l)}: I, diag(f'(z)), or diag(s) − s sᵀ for softmax."""
    if s.identity:
        return sp.Identity(s.z.shape[0])
    if s.elementwise:
        return Diag(s.derivative())
    return sp.MatAdd(Diag(s.a), sp.MatMul(-1, s.a, sp.Transpose(s.a)))


def _softmax_product(a: sp.MatrixExpr, g: sp.MatrixExpr) -> sp.MatrixExpr:
    """(diag(s) − s sᵀ) g = s ⊙ (g − 𝟏 sᵀ g)."""
    ones = sp.OneMatrix(a.shape[0], 1)
    return sp.HadamardProduct(a, sp.MatAdd(g, sp.MatMul(-1, ones, sp.Transpose(a), g)))


def through_activation(s: LayerSymbols, g: sp.MatrixExpr) -> list[Step]:
    """δ = (∂a/∂z)ᵀ g simplified by the activation's rule, from the substituted Jacobian on."""
    J = activation_jacobian(s)
    if s.identity:
        return [Step(s.delta, g, "identity_jacobian", "∂a/∂z = I for the identity")]
    steps = [Step(s.delta, sp.MatMul(sp.Transpose(J), g), "substitution")]
    if s.elementwise:
        steps.append(Step(s.delta, sp.MatMul(J, g), "symmetric_jacobian", "diag(v)ᵀ = diag(v)"))
        steps.append(Step(s.delta, sp.HadamardProduct(g, s.derivative()), "diag_hadamard"))
    else:
        steps.append(Step(s.delta, sp.MatMul(J, g), "symmetric_jacobian", "(diag(s) − s sᵀ)ᵀ"))
        steps.append(Step(s.delta, _softmax_product(s.a, g), "softmax_jacobian_product"))
    return steps


def jacobian_steps(s: LayerSymbols) -> list[Step]:
    """The Jacobians of layer l: ∂z/∂a^{(l−1)}, ∂z/∂b, ∂a/∂z and the layer's ∂a/∂a^{(l−1)}."""
    rule = ACTIVATIONS[s.activation]
    steps = [Step(Jac(s.z, s.a_prev), s.W, "jacobian_linear", "∂z_j/∂a_k = w_jk")]
    if s.b is not None:
        steps.append(Step(Jac(s.z, s.b), sp.Identity(s.z.shape[0]), "jacobian_linear"))
    if s.identity:  # a = z: no diag(f'(z)) to cite
        steps.append(Step(Jac(s.a, s.z), activation_jacobian(s), "identity_jacobian", "a = z"))
    else:
        kind = "jacobian_softmax" if not rule.elementwise else "jacobian_elementwise"
        steps.append(Step(Jac(s.a, s.z), activation_jacobian(s), kind, rule.derivative))
    if rule.elementwise and not s.identity:
        z, a = ix.z_at(s.index, _j), ix.a_at(s.index, _j)
        entry = sp.Derivative(a, z, evaluate=False)
        steps.append(
            Step(entry, unit_derivative(s.spec, z, a), "activation_derivative", rule.derivative)
        )
    steps.append(
        Step(
            Jac(s.a, s.a_prev),
            sp.MatMul(Jac(s.a, s.z), Jac(s.z, s.a_prev)),
            "jacobian_chain_rule",
        )
    )
    if not s.identity:
        steps.append(
            Step(Jac(s.a, s.a_prev), sp.MatMul(activation_jacobian(s), s.W), "substitution")
        )
    return steps


def delta_steps(s: LayerSymbols, m: MatrixContext) -> list[Step]:
    """δ = ∂L/∂z = (∂a/∂z)ᵀ ∂L/∂a, simplified; softmax with cross-entropy collapses to s − y."""
    J = sp.Transpose(Jac(s.a, s.z))
    steps = [Step(s.delta, Grad(nt.LOSS, s.z), "definition")]
    if m.adjoint_chain is None:
        steps.append(Step(s.delta, sp.MatMul(J, m.adjoint_name), "vector_chain_rule"))
        steps += m.adjoint_steps
    else:  # a plain stack: the reader's chain rule, then its substitution, inside δ's steps
        steps.append(Step(s.delta, sp.MatMul(J, *_factors(m.adjoint_chain)), "vector_chain_rule"))
        steps.append(Step(s.delta, sp.MatMul(J, m.adjoint), "substitution", m.adjoint_note))
    if m.is_output and s.activation == "softmax" and m.network.loss == "cross_entropy":
        return steps + _softmax_cross_entropy(s, m.adjoint)
    return steps + through_activation(s, m.adjoint)


def _factors(expr: sp.MatrixExpr) -> tuple:
    return expr.args if isinstance(expr, sp.MatMul) else (expr,)


def _softmax_cross_entropy(out: LayerSymbols, g: sp.MatrixExpr) -> list[Step]:
    s, K = out.a, out.a.shape[0]
    y = nt.targets(K)
    ratio = HadamardDivide(y, s)
    return [
        Step(out.delta, sp.MatMul(activation_jacobian(out), g), "symmetric_jacobian"),
        Step(
            out.delta,
            sp.MatAdd(
                sp.MatMul(-1, Diag(s), ratio), sp.MatMul(s, sp.Transpose(s), ratio), evaluate=False
            ),
            "distribute",
        ),
        Step(
            out.delta,
            sp.MatAdd(sp.MatMul(s, sp.Transpose(sp.OneMatrix(K, 1)), y), sp.MatMul(-1, y)),
            "softmax_cross_entropy",
            "diag(s)(y ⊘ s) = y and sᵀ(y ⊘ s) = 𝟏ᵀy",
        ),
        Step(out.delta, sp.MatAdd(s, sp.MatMul(-1, y)), "targets_sum_to_one", "Σ_k y_k = 1"),
    ]


def _ordered(*factors: sp.Expr) -> sp.Expr:
    """A product kept in the order the textbook writes it (δ_j a_k, not a_k δ_j)."""
    return sp.Mul(*factors, evaluate=False)


def weight_gradient_steps(s: LayerSymbols) -> list[Step]:
    """∂L/∂W^{(l)} from the rule ∂z_i/∂w_jk = [i = j] a_k, and ∂L/∂b^{(l)} = δ^{(l)}."""
    n = s.z.shape[0]
    z_i, w_jk, a_k = ix.z_at(s.index, _i), ix.w_at(s.index, _j, _k), ix.a_at(s.index - 1, _k)
    dl_dw = sp.Derivative(nt.LOSS, w_jk, evaluate=False)
    steps = [
        Step(
            sp.Derivative(z_i, w_jk, evaluate=False),
            sp.KroneckerDelta(_i, _j) * a_k,
            "jacobian_weights",
            "z_i = Σ_k w_ik a_k + b_i reads w_jk only when i = j",
        ),
        Step(
            dl_dw,
            sp.Sum(_ordered(ix.delta_at(s.index, _i), sp.KroneckerDelta(_i, _j), a_k), (_i, 1, n)),
            "multivariate_chain_rule",
        ),
        Step(dl_dw, _ordered(ix.delta_at(s.index, _j), a_k), "kronecker_sum"),
        Step(Grad(nt.LOSS, s.W), sp.MatMul(s.delta, sp.Transpose(s.a_prev)), "outer_product"),
    ]
    if s.b is not None and s.trainable_bias:
        steps += [
            Step(
                Grad(nt.LOSS, s.b),
                sp.MatMul(sp.Transpose(Jac(s.z, s.b)), Grad(nt.LOSS, s.z)),
                "vector_chain_rule",
            ),
            Step(Grad(nt.LOSS, s.b), s.delta, "identity_jacobian", "∂z/∂b = I"),
        ]
    return steps


# -- over a batch (samples as rows): Z = A_prev Wᵀ + 𝟏 bᵀ; ∂L̄/∂W = (1/N) Δᵀ A_prev ------------
def _batch_of(v: sp.MatrixSymbol) -> sp.MatrixExpr:
    kind, l = nt.parse_matrix(v)
    return nt.batch("A", 0 if kind == "xvec" else l, v.shape[0])


def batch_forward(s: LayerSymbols) -> tuple[Step, ...]:
    n = s.z.shape[0]
    Z, A_prev = nt.batch("Z", s.index, n), _batch_of(s.a_prev)
    product = sp.MatMul(A_prev, sp.Transpose(s.W))
    if s.b is not None:
        product = sp.MatAdd(product, sp.MatMul(sp.OneMatrix(nt.N_SAMPLES, 1), sp.Transpose(s.b)))
    A = nt.batch("A", s.index, n)
    activation = Z if s.identity else Apply(s.activation, Z, 0, s.params)
    return (
        Step(Z, product, "batch_rows", "row n is (W a_n + b)ᵀ for sample n"),
        Step(A, activation, "batch_rows"),
    )


def batch_gradients(s: LayerSymbols) -> tuple[Step, ...]:
    N = nt.N_SAMPLES
    lbar = nt.BATCH_LOSS
    Delta = nt.batch("Delta", s.index, s.z.shape[0])
    A_prev = _batch_of(s.a_prev)
    grads = [Step(Grad(lbar, s.W), sp.MatMul(1 / N, sp.Transpose(Delta), A_prev), "batch_mean")]
    if s.b is not None and s.trainable_bias:
        rhs = sp.MatMul(1 / N, sp.Transpose(Delta), sp.OneMatrix(N, 1))
        grads.append(Step(Grad(lbar, s.b), rhs, "batch_mean", "column sums of Δ over N"))
    return tuple(grads)


# -- the δ recursion in index form (a plain stack of dense layers) -----------------------------
LAYER = sp.Symbol("l", integer=True, positive=True)


class ActivationDerivative(sp.Function):
    """f'(u) of a layer's (elementwise) activation f, left unnamed in the general form."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        text = rf"f'\left({printer._print(self.args[0])}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _sympystr(self, printer) -> str:
        return f"f'({printer._print(self.args[0])})"


def index_recursion(net=None, layer: int | None = None) -> Step:
    """δ^{(l)}_j = f'(z^{(l)}_j) Σ_k w^{(l+1)}_{kj} δ^{(l+1)}_k, general or for one hidden layer.

    With a network and a hidden layer, f' is that layer's rule and the sum runs to its width.

    Examples:
        >>> from symnn.printing.text import text
        >>> print(text(index_recursion().rhs))
        f'(z^(l)_j)*Sum(w^(l + 1)_k,j*delta^(l + 1)_k, (k, 1, n^(l + 1)))
        >>> from symnn.spec.network import Network
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
    total = sp.Sum(_ordered(ix.w_at(l + 1, _k, _j), ix.delta_at(l + 1, _k)), (_k, 1, upper))
    return Step(ix.delta_at(l, _j), _ordered(fprime, total), "index_recursion")


# -- the index form in a network that is a graph (residual blocks, tied weights) -----------------
def graph_index_rule(spec: Dense, c: IndexContext) -> IndexRule:
    """What a dense layer contributes to a graph's index form, with symbolic widths.

    Its own weights, or a shared W^{(o)} (read transposed by a tied decoder: z_k = Σ_j w_jk a_j,
    so unit j of its input receives Σ_k w_jk δ_k and this use adds δ_k a_j to ∂L/∂w_jk).
    """
    l, (source,) = c.block, c.sources
    j, k = c.j, c.k
    owner = c.network.blocks[spec.weights_from] if spec.weights_from else l
    w = ix.w_at(owner, j, k) if spec.transpose else ix.w_at(owner, k, j)
    back = sp.Sum(_ordered(w, ix.delta_at(l, k)), (k, 1, ix.width(l)))
    if spec.transpose:
        term = _ordered(ix.delta_at(l, k), ix.a_at(source, j))
    else:
        term = _ordered(ix.delta_at(l, j), ix.a_at(source, k))
    d_w = sp.Derivative(nt.LOSS, ix.w_at(owner, j, k), evaluate=False)
    gradients = [(f"W{owner}", d_w, term)]
    if spec.has_bias and spec.trainable_bias:
        d_b = sp.Derivative(nt.LOSS, ix.b_at(l, j), evaluate=False)
        gradients.append((f"b{l}", d_b, ix.delta_at(l, j)))
    backward = () if c.adjoint is None else tuple(_index_delta_steps(spec, l, j, c.adjoint))
    passes = "∂z_k/∂a_j = w_jk (Wᵀ)" if spec.transpose else "∂z_k/∂a_j = w_kj"
    return IndexRule((back,), passes, backward=backward, gradients=tuple(gradients))


def _index_delta_steps(spec: Dense, l: int, j: sp.Symbol, adjoint: sp.Expr) -> list[Step]:
    """δ^{(l)}_j from ∂L/∂a^{(l)}_j: times f'(z_j) (elementwise), or the softmax rule."""
    z, a, delta = ix.z_at(l, j), ix.a_at(l, j), ix.delta_at(l, j)
    named = sp.Derivative(nt.LOSS, a, evaluate=False)
    if ACTIVATIONS[spec.activation].elementwise:
        fprime = unit_derivative(spec, z, a)
        factor = (lambda g: g) if fprime == 1 else (lambda g: _ordered(g, fprime))
        note = "a_j reads z_j only"
        steps = [Step(delta, factor(named), "chain_rule", note)]
        if adjoint != named:
            steps.append(Step(delta, factor(adjoint), "substitution"))
        return steps
    # softmax: δ_j = Σ_i ∂a_i/∂z_j ∂L/∂a_i = a_j (∂L/∂a_j − Σ_i a_i ∂L/∂a_i)
    i = sp.Symbol("i", integer=True, positive=True)
    inner = sp.Sum(
        _ordered(ix.a_at(l, i), sp.Derivative(nt.LOSS, ix.a_at(l, i), evaluate=False)),
        (i, 1, ix.width(l)),
    )
    rhs = _ordered(a, sp.Add(named, -inner, evaluate=False))
    return [Step(delta, rhs, "softmax_jacobian_product")]

"""Dense: a fully connected layer z = W a_prev + b, a = f(z), and everything it declares.

Parameters are named ``W{l}``, ``b{l}`` (layer l counted from 1); ``W{l}`` has shape
(units_l, units of the block it reads): row j holds the weights into unit j. A dense layer may
share another's weights (``weights_from = "enc"``, with ``transpose = true`` for a tied
autoencoder): it then owns no W, reads the owner's symbols, and the owner's gradient sums over
both uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import Indicator
from symnn.core.graph import ACTIVATION, WEIGHTED_INPUT, symbol_array, weighted_sum
from symnn.layers.base import (
    ArrayCode,
    GraphBuilder,
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
    vector,
)
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import unit_activation, unit_derivative


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
        product = f"{previous} @ {W}" if self.transpose else f"{previous} @ {W}.T"
        bias = f" + b{l}" if self.has_bias else ""
        c.emit(f"Z{l} = {product}{bias}")
        if not ACTIVATIONS[self.activation].elementwise:
            c.emit(f"A{l} = {c.call('softmax_rows', f'Z{l}')}")
        else:
            rule = unit_activation(self, nt.z(l, 1))
            c.emit(f"A{l} = {c.expr(unit_printer(l), rule)}")

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
        if self.activation == "identity":
            c.emit(f"Delta{l} = {gradient}")
        elif ACTIVATIONS[self.activation].elementwise:
            derivative = unit_derivative(self, nt.z(l, 1), nt.a(l, 1))
            if derivative == 0:  # the step: f' = 0, nothing flows back through this layer
                c.emit(f"Delta{l} = numpy.zeros_like(Z{l})")
                return
            if isinstance(derivative, Indicator) and derivative.args[0] == nt.z(l, 1):
                text = f"(Z{l} > 0)"  # ReLU′ as a boolean mask: one comparison, no float copy
            else:
                text = c.expr(unit_printer(l), derivative)
            if is_fresh(gradient):  # a new array: scale it in place, no second temporary
                c.emit(f"Delta{l} = {gradient}")
                c.emit(f"Delta{l} *= {text}")
            else:
                c.emit(f"Delta{l} = {parenthesised(gradient)} * {parenthesised(text)}")
        else:
            c.emit(f"G{l} = {gradient}")
            c.emit(f"Delta{l} = A{l} * (G{l} - numpy.sum(G{l} * A{l}, axis=1, keepdims=True))")

"""BatchNorm (training mode): each feature normalised over the examples of a batch.

Batch normalisation couples the examples of a batch: μ and σ² of feature j are taken over all B
examples, so the gradient of one example's output reaches every other example's input. symnn's
engine derives one sample at a time, so here **the batch is an axis of the block**: the spec
declares ``input_shape = [B, d]`` (B examples as rows, d features), and one "sample" of the
engine is a whole batch of B examples. The element level then holds every coupling explicitly,
for a small fixed B: for feature j,

    μ_j = (1/B) Σ_b x_bj,   σ²_j = (1/B) Σ_b (x_bj − μ_j)²   (the biased variance, as PyTorch
    uses to normalise in training; its running estimate is not modelled),
    x̂_bj = (x_bj − μ_j) / √(σ²_j + ε),   a_bj = γ_j x̂_bj + β_j,

and the same closed form as layernorm's (over the column instead of the row), which the batched
NumPy rule computes and tests check against the element level and ``torch.nn.BatchNorm1d`` in
training mode. Layers after it see the whole batch as one block: the loss is the batch's loss
(a mean over its B × outputs entries), so use batchnorm before layers that act on each row on
its own (a layernorm) or before the loss. A batch of one example is refused:
its variance is 0 and x̂ = 0 for every input, so nothing would flow back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.layers.base import (
    ArrayCode,
    GraphBuilder,
    MatrixContext,
    MatrixRule,
    OracleContext,
    ParameterSpec,
    SpecContext,
    fail,
    finite,
    layer,
    vector,
)
from symnn.layers.layernorm import (
    norm_matrix_rule,
    norm_numpy_backward,
    norm_numpy_forward,
    normalise_groups,
    scale_shift,
)


@layer
@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation in training mode over a (B, d) block: B examples, d features.

    ``eps`` is added to the variance; ``affine = false`` drops γ and β; ``gamma`` and ``beta``
    optionally give their values (d numbers each).

    Examples:
        >>> from symnn import Network
        >>> Network(6, [BatchNorm()], "mse", input_shape=[3, 2]).parameter_shapes()
        [('gamma1', (2,)), ('beta1', (2,))]
    """

    kind: ClassVar[str] = "batchnorm"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a batch of 3 examples of 2 features, normalised feature by feature
            "inputs": 6,
            "input_shape": [3, 2],
            "layers": [{"kind": "batchnorm"}],
            "loss": "mse",
        },
        {  # the batch normalised, then each example on its own (a layernorm per row); before
            # a batchnorm, a layer's shift per feature has gradient exactly 0 (the batch mean
            # removes it), which test_normattn.py checks with the input's gradient
            "inputs": 6,
            "input_shape": [2, 3],
            "layers": [{"kind": "batchnorm", "eps": 0.1}, {"kind": "layernorm"}],
            "loss": "squared_error",
        },
    )

    eps: float = 1e-5
    affine: bool = True
    gamma: tuple[float, ...] | None = None
    beta: tuple[float, ...] | None = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    def width(self, sizes: tuple[int, ...]) -> int:
        return sizes[0]

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return shapes[0]

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> BatchNorm:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for a batchnorm layer", list(self.inputs))
        source = ctx.block(self.inputs[0], f"{key}.inputs") if self.inputs else len(ctx.layers)
        shape = ctx.block_shapes[source]
        if len(shape) != 2:
            raise SymnnError(
                f"{key}: batchnorm normalises over a batch, which symnn derives as an axis of "
                f"the block: give input_shape = [B, d] (B examples as rows), found shape {shape}"
            )
        batch, d = shape
        if batch < 2:
            raise SymnnError(
                f"{key}: a batch of 1 example has variance 0, so every x̂ is 0 and no gradient "
                "reaches the input; batchnorm needs input_shape = [B, d] with B >= 2"
            )
        eps = finite(self.eps, f"{key}.eps")
        if eps <= 0:
            raise fail(f"{key}.eps", "a positive number (it keeps √(σ² + ε) above 0)", self.eps)
        if not isinstance(self.affine, bool):
            raise fail(f"{key}.affine", "true or false", self.affine)
        gamma = None if self.gamma is None else vector(self.gamma, d, f"{key}.gamma")
        beta = None if self.beta is None else vector(self.beta, d, f"{key}.beta")
        if not self.affine and (gamma or beta):
            raise SymnnError(f"{key}.affine: false has no gamma or beta to give")
        return BatchNorm(eps, self.affine, gamma, beta, self.name, self.inputs)

    def shape(self, network, block: int) -> tuple[int, int]:
        """(B, d) of the block this layer (number ``block``) reads."""
        batch, d = network.block_shapes[network.sources[block - 1][0]]
        return batch, d

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        if not self.affine:
            return []
        source = ctx.block(self.inputs[0], "inputs") if self.inputs else block - 1
        d = ctx.block_shapes[source][-1]
        key = f"layers[{block}]"
        gamma = self.gamma if self.gamma is not None else (1.0,) * d
        return [
            ParameterSpec(f"gamma{block}", (d,), "bias", True, gamma, key),
            ParameterSpec(f"beta{block}", (d,), "bias", True, self.beta, key),
        ]

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        batch, d = self.shape(g.network, block)
        columns = [[b * d + j for b in range(batch)] for j in range(d)]
        xhat, _ = normalise_groups(g, block, x, columns, self.eps)
        return scale_shift(g, block, xhat, d, self.affine)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (x,) = xs
        anp = o.anp
        batch, d = self.shape(o.network, block)
        grid = anp.reshape(x, (x.shape[0], batch, d))
        centred = grid - anp.mean(grid, axis=1, keepdims=True)
        variance = anp.mean(centred**2, axis=1, keepdims=True)
        out = centred / anp.sqrt(variance + self.eps)
        if self.affine:
            out = out * o.params[f"gamma{block}"] + o.params[f"beta{block}"]
        return anp.reshape(out, (x.shape[0], batch * d))

    axis: ClassVar[int] = 0  # statistics over each column (feature), across the batch

    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """μ, σ², r, X̂ and Y per column (feature); back through x̂, σ², μ, then the closed form."""
        return norm_matrix_rule(self, m)

    # -- the batched NumPy rule: each row of the arrays is one batch of B examples ------------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        norm_numpy_forward(self, c, block, ins)

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """∂L/∂x̂ = γ ⊙ G; ∂L/∂x in the closed form over the batch axis; ∂L/∂γ, ∂L/∂β."""
        return norm_numpy_backward(self, c, block, gradient)

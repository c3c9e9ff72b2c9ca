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

from symnn.core.errors import SymnnError
from symnn.layers.base import layer
from symnn.layers.layernorm import NormBase


@layer
@dataclass(frozen=True)
class BatchNorm(NormBase):
    """Batch normalisation in training mode over a (B, d) block: B examples, d features.

    ``eps`` is added to the variance; ``affine = false`` drops γ and β; ``gamma`` and ``beta``
    optionally give their values (d numbers each).

    Examples:
        >>> from symnn import Network
        >>> Network(6, [BatchNorm()], "mse", input_shape=[3, 2]).parameter_shapes()
        [('gamma1', (2,)), ('beta1', (2,))]
    """

    kind: ClassVar[str] = "batchnorm"
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

    axis: ClassVar[int] = 0  # statistics over each column (feature), across the batch

    def grid(self, shape: tuple[int, ...]) -> tuple[int, int]:
        batch, d = shape
        return batch, d

    def check_grid(self, key: str, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise SymnnError(
                f"{key}: batchnorm normalises over a batch, which symnn derives as an axis of "
                f"the block: give input_shape = [B, d] (B examples as rows), found shape {shape}"
            )
        if shape[0] < 2:
            raise SymnnError(
                f"{key}: a batch of 1 example has variance 0, so every x̂ is 0 and no gradient "
                "reaches the input; batchnorm needs input_shape = [B, d] with B >= 2"
            )

    def groups(self, rows: int, d: int) -> list[list[int]]:
        return [[b * d + j for b in range(rows)] for j in range(d)]

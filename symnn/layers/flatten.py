"""Flatten: a (C, H, W) or (C, L) block read as one vector, a^{(l)}_j = x_j, one file.

Blocks are stored flat in row-major order already, so flattening moves no entry: it changes the
block's shape to a vector (C·H·W,), which is what a dense read-out after a conv or a pool reads.
Its node kind is ``flatten``: each output is a copy of one input, so the local derivative is 1
and the adjoint passes back unchanged, entry for entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.steps import RULES
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    SpecContext,
    fail,
    layer,
)

RULES.setdefault("flatten", "flattening copies each entry (row-major order): local derivative 1")
FLATTEN = NODE_KINDS.add("flatten", NodeKind("flatten", nt.grad_a, "flatten", "flatten"))


@layer
@dataclass(frozen=True)
class Flatten:
    """The block it reads as one vector of C·H·W entries, in row-major (C, H, W) order.

    Examples:
        >>> from symnn import Network
        >>> Network(12, [Flatten()], input_shape=[3, 2, 2]).block_shapes
        ((3, 2, 2), (12,))
    """

    kind: ClassVar[str] = "flatten"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a conv, flattened, then a dense read-out
            "inputs": 9,
            "input_shape": [1, 3, 3],
            "layers": [
                {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "activation": "relu"},
                {"kind": "flatten"},
                {"units": 2, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
        },
    )

    name: str = ""
    inputs: tuple[str, ...] = ()

    def width(self, sizes: tuple[int, ...]) -> int:
        return sizes[0]

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return (math.prod(shapes[0]),)

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Flatten:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for a flatten layer", list(self.inputs))
        return self

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        return []

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        units = range(1, len(x) + 1)
        return g.define([nt.a(block, j) for j in units], list(x), FLATTEN, block)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (a,) = xs
        return o.anp.reshape(a, (a.shape[0], -1))

    # -- the batched NumPy rule: the rows are flat already; the gradient passes back as it is --
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        c.emit(f"A{block} = {ins[0]}  # blocks are flat (row-major) already")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        return [c.named(gradient, f"G{block}")], {}

    # -- the matrix level: a = u (the same column, read as a vector); u gets ∂L/∂a unchanged ---
    def matrix_rule(self, m):
        from symnn.core.matexpr import Jac
        from symnn.core.steps import Step
        from symnn.layers.base import MatrixRule, Pullback

        (u,) = m.inputs
        g = m.adjoint_name
        back = Pullback(sp.MatMul(sp.Transpose(Jac(m.output, u)), g), g, "flattening copies")
        return MatrixRule(forward=(Step(m.output, u, "definition", "flatten"),), pullbacks=(back,))

"""Concat: earlier blocks side by side, a^{(l)} = (u; v; …), one file.

Its node kind is ``concat``: each output entry is a copy of one input entry, so a child's local
step is 1 and each input's adjoint reads its slice of the concatenation's adjoint.
"""

from __future__ import annotations

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

RULES.setdefault("concatenation", "a concatenation copies each entry: its local derivative is 1")
CONCAT = NODE_KINDS.add("concat", NodeKind("concat", nt.grad_a, "concatenation", "concatenation"))


@layer
@dataclass(frozen=True)
class Concat:
    """Two or more earlier blocks joined into one vector, in the order named."""

    kind: ClassVar[str] = "concat"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # two branches from the input, joined, then a read-out
            "inputs": 2,
            "layers": [
                {"name": "u", "units": 2, "activation": "tanh"},
                {"name": "v", "units": 1, "activation": "sigmoid", "inputs": ["input"]},
                {"kind": "concat", "inputs": ["u", "v"]},
                {"units": 2, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
        },
    )

    inputs: tuple[str, ...] = ()
    name: str = ""

    def width(self, sizes: tuple[int, ...]) -> int:
        return sum(sizes)

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Concat:
        if len(self.inputs) < 2:
            raise fail(f"{key}.inputs", "at least two layer names to join", list(self.inputs))
        return self

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        return []

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        joined = [s for x in xs for s in x]
        units = range(1, len(joined) + 1)
        return g.define([nt.a(block, j) for j in units], joined, CONCAT, block)

    def oracle(self, o: OracleContext, block: int, xs: list):
        return o.anp.concatenate(xs, axis=1)

    # -- the batched NumPy rule: columns side by side; each input reads its slice back ---------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        c.emit(f"A{block} = numpy.concatenate([{', '.join(ins)}], axis=1)")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        g = c.named(gradient, f"G{block}")
        sources = c.network.sources[block - 1]
        widths = [c.network.widths[b] for b in sources]
        starts = [sum(widths[:i]) for i in range(len(widths))]
        return [f"{g}[:, {s}:{s + w}]" for s, w in zip(starts, widths, strict=True)], {}

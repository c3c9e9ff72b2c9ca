"""Concat: earlier blocks side by side, a^{(l)} = (u; v; …), one file.

Its node kind is ``concat``: each output entry is a copy of one input entry, so a child's local
step is 1 and each input's adjoint reads its slice of the concatenation's adjoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.matexpr import Jac, Rows
from symnn.core.steps import RULES
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    IndexContext,
    IndexRule,
    MatrixContext,
    MatrixRule,
    Merge,
    NodeKind,
    OracleContext,
    Pullback,
    Step,
    layer,
)

RULES.setdefault("concatenation", "a concatenation copies each entry: its local derivative is 1")
RULES.setdefault(
    "concatenation_jacobian",
    "the Jacobian of a concatenation by one part is I in that part's rows and 0 elsewhere",
)
CONCAT = NODE_KINDS.add("concat", NodeKind("concat", nt.grad_a, "concatenation", "concatenation"))


@layer
@dataclass(frozen=True)
class Concat(Merge):
    """Two or more earlier blocks joined into one vector, in the order named."""

    kind: ClassVar[str] = "concat"
    joins: ClassVar[str] = "join"
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

    def width(self, sizes: tuple[int, ...]) -> int:
        return sum(sizes)

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

    # -- the matrix-level derivation: a = (u; v); each input receives its slice of ∂L/∂a -------
    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        a, g = m.output, m.adjoint_name
        spans, first = [], 1
        for u in m.inputs:
            spans.append((first, first + u.shape[0] - 1))
            first += u.shape[0]
        forward = Step(a, sp.BlockMatrix([[u] for u in m.inputs]), "definition")
        jacobians = []
        for u in dict.fromkeys(m.inputs):  # a block joined twice has a sum of two selections
            selections = [_selection(m.inputs, i) for i, v in enumerate(m.inputs) if v == u]
            J = selections[0] if len(selections) == 1 else sp.MatAdd(*selections)
            jacobians.append(Step(Jac(a, u), J, "concatenation_jacobian"))
        backs = tuple(
            Pullback(sp.MatMul(sp.Transpose(Jac(a, u)), g), Rows(g, *span), "its slice of ∂L/∂a")
            for u, span in zip(m.inputs, spans, strict=True)
        )
        return MatrixRule(
            forward=(forward,), jacobians=tuple(jacobians), jacobian_head=a, pullbacks=backs
        )

    # -- the index form: unit j of an input is entry j + (the widths before it) of the join ----
    def index_rule(self, c: IndexContext) -> IndexRule:
        backs, offset = [], sp.Integer(0)
        for b in c.sources:
            at = ix.a_at(c.block, offset + c.j)
            backs.append(sp.Derivative(nt.LOSS, at, evaluate=False))
            offset += ix.width(b)
        note = "a join passes each input its own entries of ∂L/∂a"
        return IndexRule(tuple(backs), note, rule="concatenation")


def _selection(inputs: tuple, position: int) -> sp.BlockMatrix:
    """∂a/∂u for the input at ``position``: I in its rows, 0 in the others' (a column of blocks)."""
    n = inputs[position].shape[0]
    blocks = [
        [sp.Identity(n) if i == position else sp.ZeroMatrix(v.shape[0], n)]
        for i, v in enumerate(inputs)
    ]
    return sp.BlockMatrix(blocks)

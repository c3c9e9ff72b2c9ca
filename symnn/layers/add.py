"""Add: a skip connection, the entrywise sum of earlier blocks (a residual a + F(a)), one file.

Its node kind is ``sum``: the adjoint of an output entry is ∂L/∂a like any block's output, and a
child's local step cites the sum rule (∂(u + v)/∂u = 1), so each input's adjoint gains the sum's
adjoint unchanged: a residual block's Jacobian is I + J_F.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Jac
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
    SpecContext,
    Step,
    layer,
)

RULES.setdefault("sum_adjoint", "a sum passes its adjoint on to each of its terms unchanged")
SUM = NODE_KINDS.add("sum", NodeKind("sum", nt.grad_a, "sum_rule", "sum (skip connection)"))


@layer
@dataclass(frozen=True)
class Add(Merge):
    """The entrywise sum of two or more earlier blocks of one width.

    Examples:
        >>> from symnn import Dense, Network
        >>> layers = [Dense(2, "tanh", name="h"), Dense(2, "tanh", name="f"), Add(("h", "f"))]
        >>> Network(2, layers).widths
        (2, 2, 2, 2)
    """

    kind: ClassVar[str] = "add"
    joins: ClassVar[str] = "add"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a residual block a + F(a), then a read-out
            "inputs": 2,
            "layers": [
                {"name": "h", "units": 2, "activation": "tanh"},
                {"name": "f", "units": 2, "activation": "sigmoid"},
                {"kind": "add", "inputs": ["h", "f"]},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
        {  # a skip from the input itself, three inputs added
            "inputs": 2,
            "layers": [
                {"name": "f", "units": 2, "activation": "softplus"},
                {"name": "g", "units": 2, "activation": "tanh"},
                {"kind": "add", "inputs": ["input", "f", "g"]},
            ],
            "loss": "mse",
        },
    )

    def width(self, sizes: tuple[int, ...]) -> int:
        return sizes[0]

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Add:
        super().checked(key, sizes, ctx)
        repeated = sorted({n for n in self.inputs if self.inputs.count(n) > 1})
        if repeated:
            # a + a is 2a: a dense layer with doubled weights says that more plainly, and the
            # matrix derivation's sum rule counts each reader once.
            raise SymnnError(
                f"{key}.inputs: expected distinct layer names, found {repeated[0]!r} more than once"
            )
        if len(set(sizes)) != 1:
            found = ", ".join(f"{n} ({s})" for n, s in zip(self.inputs, sizes, strict=True))
            raise SymnnError(f"{key}.inputs: an add layer sums blocks of one width, found {found}")
        return self

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        units = range(1, len(xs[0]) + 1)
        sums = [sp.Add(*(x[j - 1] for x in xs)) for j in units]
        return g.define([nt.a(block, j) for j in units], sums, SUM, block)

    def oracle(self, o: OracleContext, block: int, xs: list):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total

    # -- the batched NumPy rule: S = A + B; each input's gradient is the sum's, unchanged ----
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        c.emit(f"A{block} = {' + '.join(ins)}")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        g = c.named(gradient, f"G{block}")
        return [g] * len(ins), {}

    # -- the matrix-level derivation: a = u + v + …; each input receives ∂L/∂a unchanged -------
    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        a = m.output
        g = m.adjoint_name  # the sum passes its adjoint on by name, at the output too
        # Local: the Jacobian by one term, the others held fixed, is I, so each term receives g.
        # It is written ∂a/∂u only where that is also the total Jacobian: for the u of a residual
        # a = u + F(u), ∂a/∂u is I + J_F, and the local Iᵀ g is written g.
        backs = tuple(
            Pullback(
                g if _feeds_another(m, b) else sp.MatMul(sp.Transpose(Jac(a, u)), g),
                g,
                "the Jacobian of a sum by one of its terms is I",
            )
            for b, u in zip(m.sources, m.inputs, strict=True)
        )
        return MatrixRule(
            forward=(Step(a, sp.MatAdd(*m.inputs), "definition", "a skip connection"),),
            jacobians=tuple(_sum_jacobian_steps(m)),
            jacobian_head=a,
            pullbacks=backs,
        )

    # -- the index form: unit j of every input receives ∂L/∂a_j of the sum, unchanged ----------
    def index_rule(self, c: IndexContext) -> IndexRule:
        g = sp.Derivative(nt.LOSS, ix.a_at(c.block, c.j), evaluate=False)
        note = "∂(u_j + v_j)/∂u_j = 1"
        return IndexRule((g,) * len(c.sources), note, rule="sum_adjoint")


def _feeds_another(m: MatrixContext, b: int) -> bool:
    """Whether another term of the sum is computed from block ``b`` (a + F(a))."""
    return any(c != b and m.depends(c, b) for c in m.sources)


def _sum_jacobian_steps(m: MatrixContext) -> list[Step]:
    """∂a/∂u for each input u of the sum: I, plus J_F where another input is F(u)."""
    a, identity = m.output, sp.Identity(m.output.shape[0])
    steps = []
    for b, u in dict(zip(m.sources, m.inputs, strict=True)).items():
        others = [(c, v) for c, v in zip(m.sources, m.inputs, strict=True) if c != b]
        others = [(c, v) for c, v in others if m.depends(c, b)]
        if not others:
            steps.append(Step(Jac(a, u), identity, "sum_jacobian", "∂(u + v)/∂u = I"))
            continue
        terms = [Jac(v, u) for _, v in others]
        steps.append(
            Step(Jac(a, u), sp.MatAdd(identity, *terms, evaluate=False), "residual_jacobian")
        )
        paths = [m.path_jacobian(c, b) for c, _ in others]
        if all(p is not None for p in paths):
            note = "J_F is the product of the Jacobians of the layers between"
            explicit = sp.MatAdd(identity, *paths, evaluate=False)
            steps.append(Step(Jac(a, u), explicit, "substitution", note))
    return steps

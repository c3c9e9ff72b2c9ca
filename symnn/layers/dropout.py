"""Dropout with a fixed mask: a^{(l)} = m ⊙ u / q (inverted dropout), one file.

**p is the drop probability** (PyTorch's convention, ``torch.nn.Dropout(p)``): a unit is dropped
with probability p and kept with probability q = 1 − p. A kept unit is scaled by 1/q, so the
expected output equals the input and nothing changes at test time ("inverted" dropout).

The mask m (1 = kept, 0 = dropped) is *fixed*: given in the spec (``mask = [1, 0, 1]``) or drawn
once from ``seed`` (a unit is kept when a uniform draw from ``numpy.random.default_rng(seed)`` is
at least p). It is the same for every sample of a batch: the derivation is the one of a single
training step with that mask, which is what a derivation of dropout can state. Then

    a_j = (m_j / q) u_j,   ∂a_j/∂u_j = m_j / q,   so   ∂L/∂u = (∂L/∂a) ⊙ m / q:

the gradient passes through the kept units, scaled by 1/q, and is 0 at the dropped ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.steps import RULES
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    SpecContext,
    fail,
    finite,
)
from symnn.layers.base import layer as register

RULES.setdefault(
    "dropout", "dropout scales a kept unit by 1/q and zeroes a dropped one: ∂a_j/∂u_j = m_j / q"
)
DROPOUT = NODE_KINDS.add("dropout", NodeKind("dropout", nt.grad_a, "dropout", "dropout"))


def _exact(value: float) -> sp.Rational:
    """A probability as the decimal it was written as (0.2 is 1/5, not 0.2000000000000000111)."""
    return sp.Rational(repr(float(value)))


@register
@dataclass(frozen=True)
class Dropout:
    """Inverted dropout with a fixed keep mask: a = m ⊙ u / q, q = 1 − p (p drops a unit).

    Examples:
        >>> from symnn import Dense, Network
        >>> net = Network(2, [Dense(4, "relu"), Dropout(p=0.5, seed=1), Dense(1)])
        >>> net.layers[1].mask
        (1, 1, 0, 1)
    """

    kind: ClassVar[str] = "dropout"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # dropout in an MLP, the mask drawn from a seed
            "inputs": 2,
            "layers": [
                {"units": 4, "activation": "tanh"},
                {"kind": "dropout", "p": 0.5, "seed": 1},
                {"units": 2, "activation": "sigmoid"},
            ],
            "loss": "squared_error",
        },
        {  # a mask given in the spec, p = 0.25 (each kept unit scaled by 4/3)
            "inputs": 3,
            "layers": [
                {"units": 3, "activation": "softplus"},
                {"kind": "dropout", "p": 0.25, "mask": [1, 0, 1]},
                {"units": 1},
            ],
            "loss": "mse",
        },
    )

    p: float = 0.5
    mask: Sequence[int] | None = None
    seed: int = 0
    name: str = ""
    inputs: tuple[str, ...] = ()

    @property
    def keep(self) -> float:
        """q = 1 − p, the probability of keeping a unit."""
        return 1.0 - float(self.p)

    def width(self, sizes: tuple[int, ...]) -> int:
        return sizes[0]

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return shapes[0]

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Dropout:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for dropout", list(self.inputs))
        (width,) = sizes
        p = finite(self.p, f"{key}.p")
        if not 0 <= p < 1:
            raise fail(f"{key}.p", "a drop probability in [0, 1) (PyTorch's p; q = 1 − p)", p)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise fail(f"{key}.seed", "an integer", self.seed)
        if self.seed < 0:
            raise fail(f"{key}.seed", "a non-negative integer", self.seed)
        if self.mask is None:
            drawn = np.random.default_rng(int(self.seed)).random(width) >= p
            mask = tuple(int(kept) for kept in drawn)
        else:
            given = self.mask
            expected = f"a list of {width} zeros and ones"
            if isinstance(given, str | bytes) or not isinstance(given, Sequence | np.ndarray):
                raise fail(f"{key}.mask", expected, given)
            if len(given) != width:
                raise fail(f"{key}.mask", expected, f"{len(given)} entries")
            for i, m in enumerate(given):
                if isinstance(m, bool) or m not in (0, 1):
                    raise fail(f"{key}.mask[{i}]", "0 (dropped) or 1 (kept)", m)
            mask = tuple(int(m) for m in given)
            if p == 0 and 0 in mask:
                raise SymnnError(
                    f"{key}.mask: p = 0 keeps every unit, but the mask drops unit "
                    f"{mask.index(0) + 1}; give p > 0"
                )
        return Dropout(p, mask, int(self.seed), self.name, self.inputs)

    def convention(self, block: int) -> str:
        """What the document states about this layer (text with $…$ maths, LaTeX and Markdown)."""
        p, q = f"{float(self.p):.10g}", f"{self.keep:.10g}"
        mask = ", ".join(map(str, self.mask))
        return (
            f"Dropout (layer {block}): $p = {p}$ is the probability of dropping a unit "
            f"(PyTorch's convention) and $q = 1 - p = {q}$ that of keeping it. The mask "
            f"is fixed, $m = ({mask})$ (1 keeps a unit, 0 drops it), the same for every sample, "
            r"and a kept unit is scaled by $1/q$ (inverted dropout): "
            rf"$a^{{({block})}} = m \odot a^{{({block - 1})}} / q$, so "
            rf"$\partial L/\partial a^{{({block - 1})}} = "
            rf"(\partial L/\partial a^{{({block})}}) \odot m / q$."
        )

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        return []

    def scales(self) -> list[sp.Expr]:
        """m_j / q for every unit, exact (0 for a dropped unit)."""
        q = 1 - _exact(self.p)
        return [sp.Integer(m) / q for m in self.mask]

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (u,) = xs
        outputs = [scale * x for scale, x in zip(self.scales(), u, strict=True)]
        units = range(1, len(u) + 1)
        return g.define([nt.a(block, j) for j in units], outputs, DROPOUT, block)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (u,) = xs
        return u * np.asarray(self.mask, dtype=float) / self.keep

    # -- the batched NumPy rule: A = U ⊙ m / q; ∂L/∂U = G ⊙ m / q ----------------------------
    def _mask(self, c: ArrayCode, block: int) -> str:
        values = ", ".join(f"{m}.0" for m in self.mask)
        c.emit(f"M{block} = numpy.array([{values}]) / {self.keep!r}  # m / q, q = 1 - p")
        return f"M{block}"

    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        (u,) = ins
        c.emit(f"A{block} = {u} * {self._mask(c, block)}")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        g = c.named(gradient, f"G{block}")
        return [f"{g} * M{block}"], {}

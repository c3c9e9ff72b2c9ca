"""Embedding: a vocabulary × dimension table E whose rows the input's tokens look up, one file.

**How integer tokens enter a network whose input is a flat vector.** The input block holds token
indices: x_t is the index (0 … V−1, counted from 0 as in PyTorch) of token t of the sample, so a
sample of T tokens is a row of T numbers and a batch is N × T, like any other input. The lookup
is written at the element level as a sum the engine can differentiate like any other:

    e_{t,j} = Σ_v 1[x_t = v] E_{v,j},

where 1[x_t = v] (``Equals``) is 1 when token t is v and 0 otherwise. Its partial derivative in
E_{v,j} is the indicator itself, so the engine's chain rule gives, with no special case,

    ∂L/∂E_{v,j} = Σ_t 1[x_t = v] ∂L/∂e_{t,j}:

the gradient of the table is a **scatter-add** of the output's gradient rows into the rows of
the tokens that were looked up, and a token that occurs twice gets both rows added. In x the
lookup is piecewise constant, so its derivative there is 0: tokens are labels, not quantities,
and nothing flows back into the input. Any other value of x (2.5, −1, V) is an error, in the
spec's data, in ``train``'s data, and at run time in the generated code (``token_indices``).

``bag = "sum"`` or ``"mean"`` (an *embedding bag*, PyTorch's ``EmbeddingBag``) adds up or
averages a sample's token embeddings into one vector of ``dimension`` entries,
s_j = Σ_t e_{t,j} (÷ T for the mean), so a bag-of-words classifier is an embedding bag then a
dense layer; its gradient is ∂L/∂E_{v,j} = c_v ∂L/∂s_j (÷ T), c_v the count of v in the sample.
Without a bag the output is the T × dimension matrix of the looked-up rows, stored row by row
(shape (T, d), the sequence convention).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import _Rule
from symnn.core.steps import RULES
from symnn.layers.base import (
    INPUT,
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    ParameterSpec,
    SpecContext,
    fail,
    layer,
    matrix,
    positive_int,
)

BAGS = ("none", "sum", "mean")

RULES.setdefault(
    "embedding_lookup",
    "an embedding looks up row x_t: ∂e_{t,j}/∂E_{v,j} = [x_t = v], and 0 in x_t",
)
RULES.setdefault(
    "embedding_bag",
    "an embedding bag sums the looked-up rows: ∂s_j/∂E_{v,j} = Σ_t [x_t = v], over T for a mean",
)
LOOKUP = NODE_KINDS.add(
    "embedding_lookup",
    NodeKind("embedding_lookup", nt.grad_a, "embedding_lookup", "embedding lookup"),
)
BAG = NODE_KINDS.add(
    "embedding_bag", NodeKind("embedding_bag", nt.grad_a, "embedding_bag", "embedding bag")
)


class Equals(_Rule):
    """1[x = v]: 1 when token x is v, else 0; its derivative is 0 (x takes integer values)."""

    nargs = 2
    code_name = "equals"

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _tex(self, printer) -> str:
        x, v = (printer._print(arg) for arg in self.args)
        return rf"\mathbb{{1}}\left[{x} = {v}\right]"

    def _elementary(self):
        return sp.Piecewise((1, sp.Eq(*self.args)), (0, True))

    def _sympystr(self, printer) -> str:
        x, v = (printer._print(arg) for arg in self.args)
        return f"1[{x} = {v}]"


def _integer(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return False
    return bool(np.isfinite(value)) and float(value).is_integer()


@layer
@dataclass(frozen=True)
class Embedding:
    """A table of ``vocabulary`` rows of ``dimension`` entries, looked up by the input's tokens.

    ``bag`` is "none" (the T looked-up rows, a T × dimension block), "sum" or "mean" (one
    vector: an embedding bag). ``weights`` optionally gives the table (``vocabulary`` rows).

    Examples:
        >>> from symnn import Dense, Network
        >>> Network(3, [Embedding(5, 2, bag="mean"), Dense(2)]).widths
        (3, 2, 2)
    """

    kind: ClassVar[str] = "embedding"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # an embedding bag classifier: mean of 3 token embeddings, then a softmax read-out
            "inputs": 3,
            "layers": [
                {"kind": "embedding", "vocabulary": 4, "dimension": 2, "bag": "mean"},
                {"units": 2, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
        },
        {  # the looked-up rows themselves (2 tokens × 2), a sum bag beside them, then a layer
            "inputs": 2,
            "layers": [
                {"name": "rows", "kind": "embedding", "vocabulary": 3, "dimension": 2},
                {
                    "name": "bag",
                    "kind": "embedding",
                    "vocabulary": 3,
                    "dimension": 2,
                    "bag": "sum",
                    "inputs": ["input"],
                },
                {"kind": "concat", "inputs": ["rows", "bag"]},
                {"units": 1, "activation": "tanh"},
            ],
            "loss": "mse",
        },
    )

    vocabulary: int
    dimension: int
    bag: str = "none"
    weights: Sequence[Sequence[float]] | None = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    # -- the Layer protocol ----------------------------------------------------------------
    def width(self, sizes: tuple[int, ...]) -> int:
        return self.dimension if self.bag != "none" else sizes[0] * self.dimension

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        tokens = int(np.prod(shapes[0]))
        return (self.dimension,) if self.bag != "none" else (tokens, self.dimension)

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Embedding:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for an embedding", list(self.inputs))
        reads = self.inputs[0] if self.inputs else None
        if (reads is None and ctx.layers) or (reads is not None and reads != INPUT):
            raise SymnnError(
                f"{key}.inputs: an embedding reads the network's input (token indices); "
                f"found {reads or 'the previous layer'!r}; put it first or set inputs = "
                '["input"]'
            )
        vocabulary = positive_int(self.vocabulary, f"{key}.vocabulary")
        dimension = positive_int(self.dimension, f"{key}.dimension")
        if self.bag not in BAGS:
            raise fail(f"{key}.bag", f"one of {', '.join(BAGS)}", self.bag)
        weights = self.weights
        if weights is not None:
            weights = matrix(weights, (vocabulary, dimension), f"{key}.weights")
        return Embedding(vocabulary, dimension, self.bag, weights, self.name, self.inputs)

    def convention(self, block: int) -> str:
        """What the document states about this layer (text with $…$ maths, LaTeX and Markdown)."""
        V, l = self.vocabulary, block
        bag = {
            "none": "Its output is the looked-up rows, one after another",
            "sum": rf"It is an embedding bag: $a^{{({l})}}_j = \sum_t e_{{t,j}}$, the sum of "
            "the looked-up rows",
            "mean": rf"It is an embedding bag: $a^{{({l})}}_j = \frac{{1}}{{T}} \sum_t "
            "e_{t,j}$, the mean of the looked-up rows",
        }[self.bag]
        return (
            rf"Embedding (layer {l}): the input holds token indices $x_t \in \{{0, \dots, "
            rf"{V - 1}\}}$ (counted from 0), and token $v$ looks up row $v$ of the table "
            rf"$E^{{({l})}}$ ({V} rows from 0, entries from 1): $e_{{t,j}} = \sum_v "
            rf"\mathbb{{1}}\left[x_t = v\right] E^{{({l})}}_{{vj}}$. {bag}. The lookup is "
            "constant between integers, so nothing flows back into the tokens, and "
            rf"$\partial L/\partial E^{{({l})}}_{{vj}}$ adds up the gradients of every position "
            "that holds token $v$ (a scatter-add of rows; a repeated token adds once per use)."
        )

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        key = f"layers[{block}]"
        shape = (self.vocabulary, self.dimension)
        return [ParameterSpec(f"E{block}", shape, "weights", True, self.weights, key)]

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (tokens,) = xs
        l, V, d = block, range(self.vocabulary), range(1, self.dimension + 1)
        table = [[nt.e(l, v, j) for j in d] for v in V]
        g.parameter(f"E{l}", sp.Array(table), l, True)

        def lookup(x: sp.Symbol, j: int) -> sp.Expr:
            return sp.Add(*(Equals(x, v) * table[v][j - 1] for v in V))

        if self.bag == "none":
            rows = [lookup(x, j) for x in tokens for j in d]
            units = range(1, len(rows) + 1)
            return g.define([nt.a(l, k) for k in units], rows, LOOKUP, l)
        scale = sp.Integer(1) if self.bag == "sum" else sp.Rational(1, len(tokens))
        bags = [scale * sp.Add(*(lookup(x, j) for x in tokens)) for j in d]
        return g.define([nt.a(l, j) for j in d], bags, BAG, l)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (X,) = xs
        rows = o.params[f"E{block}"][np.asarray(X).astype(int)]  # N × T × d; autograd scatters
        if self.bag == "sum":
            return o.anp.sum(rows, axis=1)
        if self.bag == "mean":
            return o.anp.mean(rows, axis=1)
        return o.anp.reshape(rows, (rows.shape[0], -1))

    # -- token indices: drawn for the checks, validated in data and at run time --------------
    def sample_inputs(self, rng: np.random.Generator, n: int, width: int) -> np.ndarray:
        return rng.integers(0, self.vocabulary, (n, width)).astype(float)

    def check_inputs(self, X: np.ndarray, key: str, where: str) -> None:
        for index in np.ndindex(X.shape):
            value = X[index]
            if not (_integer(value) and 0 <= value < self.vocabulary):
                at = "".join(f"[{i}]" for i in index)
                raise SymnnError(
                    f"{key}{at}: {where} reads token indices, integers "
                    f"0..{self.vocabulary - 1} (vocabulary = {self.vocabulary}); found "
                    f"{value:g}"
                )

    def input_code(self, where: str) -> list[str]:
        return [f"token_indices(X, {self.vocabulary}, {where!r})"]

    # -- the batched NumPy rule: rows by fancy indexing; ∂L/∂E a scatter-add (numpy.add.at) ---
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        (X,) = ins
        l = block
        where = f"layers[{l}] ({self.kind}{' ' + repr(self.name) if self.name else ''})"
        c.emit(f"T{l} = {c.call('token_indices', X, str(self.vocabulary), repr(where))}")
        if self.bag == "none":
            c.emit(f"A{l} = E{l}[T{l}].reshape(N, -1)")
        else:
            c.emit(f"A{l} = E{l}[T{l}].{self.bag}(axis=1)")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """∂L/∂E: each sample's gradient rows added into the rows of its tokens (repeats add)."""
        l = block
        g = c.named(gradient, f"G{l}")
        c.emit(f"dE{l} = numpy.zeros_like(E{l})")
        if self.bag == "none":
            rows = f"{g}.reshape(N, T{l}.shape[1], {self.dimension})"
        elif self.bag == "sum":
            rows = f"{g}[:, None, :]"
        else:
            rows = f"{g}[:, None, :] / T{l}.shape[1]"
        c.emit(f"numpy.add.at(dE{l}, T{l}, {rows})")
        # Nothing flows into the tokens (labels, not quantities).
        return [f"numpy.zeros_like({ins[0]})"], {f"E{l}": f"dE{l}"}

"""Attention: scaled dot-product self-attention over a (T, d) sequence block, one or more heads.

For the block X (T rows, one per time step, of d features; stored flat, row-major) and each head
h of width d_h = units / heads, with τ = 1/√d_h,

    Q = X W_Qᵀ + b_Q,  K = X W_Kᵀ + b_K,  V = X W_Vᵀ + b_V        (T × units)
    S_h = τ Q_h K_hᵀ,  P_h = softmax of each row of S_h,  O_h = P_h V_h      (T × T, T × d_h)

where Q_h is head h's columns of Q. The heads' outputs O = (O_1 … O_H) sit side by side, and with
an output projection (the default for more than one head, as ``torch.nn.MultiheadAttention``)
the block's output is O W_Oᵀ + b_O, else O itself. A mask keeps row t from attending to some
steps s (``causal = true``: only s <= t): those P_ts are 0 and the row's softmax runs over the
others. Every quantity (q, k, v, s, p, o) is a named node, so the element level reads as
backprop computes it; the matrix form (``dV = Pᵀ dO``, ``dP = dO Vᵀ``, ``dS = P ⊙ (dP −
rowsum(dP ⊙ P))``, ``dQ = τ dS K``, ``dK = τ dSᵀ Q``) is what the batched NumPy rule computes,
checked against the element level in tests/test_normattn.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import Softmax
from symnn.core.graph import weighted_sum
from symnn.core.matexpr import Grad, Grid, Jac, RowSoftmax, Vec
from symnn.core.steps import RULES
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    MatrixContext,
    MatrixRule,
    NodeKind,
    OracleContext,
    ParameterSpec,
    Pullback,
    SpecContext,
    Step,
    fail,
    layer,
    matrix,
    positive_int,
    product,
    vector,
)

# Parameters: w^{Q(l)}_{ik} joins feature k of the input to column i of Q (rows = outputs).
WEIGHTS = {
    role: (
        nt.register_quantity(f"w{role}", "w^{{" + role.upper() + r"\,({l})}}_{{{i}}}"),
        nt.register_quantity(f"b{role}", "b^{{" + role.upper() + r"\,({l})}}_{{{i}}}"),
    )
    for role in ("q", "k", "v", "o")
}
# Named quantities, indexed flat: q, k, v and o by (t, i) as (t − 1)·units + i; s and p by
# (h, t, s) as ((h − 1)·T + t − 1)·T + s.
Q = nt.register_quantity("attq", r"q^{{({l})}}_{{{i}}}")
K = nt.register_quantity("attk", r"k^{{({l})}}_{{{i}}}")
V = nt.register_quantity("attv", r"v^{{({l})}}_{{{i}}}")
S = nt.register_quantity("atts", r"s^{{({l})}}_{{{i}}}")
P = nt.register_quantity("attp", r"p^{{({l})}}_{{{i}}}")
O = nt.register_quantity("atto", r"o^{{({l})}}_{{{i}}}")

RULES.setdefault("scaled_dot_product", "derivative of a scaled dot product s = τ q·k")
RULES.setdefault("attention_softmax", "derivative of a row's softmax")
RULES.setdefault("attention_sum", "derivative of o = Σ p v, a weighted sum of values")

PROJECTION = NODE_KINDS.add(
    "projection", NodeKind("projection", Q.adjoint, "linear", "query", "attq", "dL_dattq", 6)
)
KEY = NODE_KINDS.add("key", NodeKind("key", K.adjoint, "linear", "key", "attk", "dL_dattk", 6))
VALUE = NODE_KINDS.add(
    "value", NodeKind("value", V.adjoint, "linear", "value", "attv", "dL_dattv", 6)
)
SCORE = NODE_KINDS.add(
    "score",
    NodeKind("score", S.adjoint, "scaled_dot_product", "score", "atts", "dL_datts", 5),
)
WEIGHT = NODE_KINDS.add(
    "attention_weight",
    NodeKind(
        "attention_weight",
        P.adjoint,
        "attention_softmax",
        "attention weight",
        "attp",
        "dL_dattp",
        4,
        names_expression=True,
    ),
)
ATTENDED = NODE_KINDS.add(
    "attended",
    NodeKind("attended", O.adjoint, "attention_sum", "attended values", "atto", "dL_datto", 3),
)
ATTENTION_OUT = NODE_KINDS.add(
    "attention_out", NodeKind("attention_out", nt.grad_a, "attention_sum", "attention output")
)
PROJECTED = NODE_KINDS.add(
    "projected", NodeKind("projected", nt.grad_a, "linear", "output projection")
)


RULES.setdefault("block_as_rows", "the block read as a matrix, one row per step (row-major)")
RULES.setdefault(
    "linear_rows_backward",
    "Y = X Wᵀ + 1 bᵀ: ∂L/∂X = ∂L/∂Y W, ∂L/∂W = (∂L/∂Y)ᵀ X, ∂L/∂b = (∂L/∂Y)ᵀ 1",
)
RULES.setdefault("attention_values", "O = P V: ∂L/∂V = Pᵀ ∂L/∂O")
RULES.setdefault("attention_weights", "O = P V: ∂L/∂P = ∂L/∂O Vᵀ (0 where the mask is 0)")
RULES.setdefault(
    "softmax_rows_backward", "softmax of each row: ∂L/∂S = P ⊙ (∂L/∂P − rowsum(∂L/∂P ⊙ P))"
)
RULES.setdefault(
    "scaled_dot_product_backward", "S = τ Q Kᵀ: ∂L/∂Q = τ ∂L/∂S K, ∂L/∂K = τ (∂L/∂S)ᵀ Q"
)
RULES.setdefault("heads_side_by_side", "the heads' columns side by side")
RULES.setdefault("three_paths", "X feeds Q, K and V: the three paths add")
RULES.setdefault("vec_pullback", "the block's adjoint, stored flat (row-major)")


def _flat(symbols: list, rows: int, cols: int) -> list[list]:
    return [symbols[t * cols : (t + 1) * cols] for t in range(rows)]


def _block_symbols(net, block: int) -> list[sp.Symbol]:
    if block == 0:
        return [nt.x(k) for k in range(1, net.widths[0] + 1)]
    return [nt.a(block, k) for k in range(1, net.widths[block] + 1)]


def _dims(net, l: int) -> tuple[Attention, int, int, int, int]:
    layer_ = net.layers[l - 1]
    T, d = layer_._source_shape(net, l)
    u = layer_.width_of_heads(d)
    return layer_, T, d, u, u // layer_.heads


def _x_entries(net, idx):
    (l,) = idx
    _, T, d, _, _ = _dims(net, l)
    return _flat(_block_symbols(net, net.sources[l - 1][0]), T, d)


def _a_entries(net, idx):
    (l,) = idx
    _, T, _, _, _ = _dims(net, l)
    return _flat(_block_symbols(net, l), T, net.widths[l] // T)


def _columns(quantity):
    def entries(net, idx):
        l, *head = idx
        att, T, _, u, dh = _dims(net, l)
        if quantity is O and not att.output_projection:
            grid = _flat(_block_symbols(net, l), T, u)
        else:
            grid = _flat([quantity(l, k) for k in range(1, T * u + 1)], T, u)
        if not head:
            return grid
        h = head[0] - 1
        return [row[h * dh : (h + 1) * dh] for row in grid]

    return entries


def _head_grid(quantity):
    def entries(net, idx):
        l, *head = idx  # one head: no head index
        h = head[0] if head else 1
        _, T, _, _, _ = _dims(net, l)
        start = (h - 1) * T * T
        return _flat([quantity(l, start + k) for k in range(1, T * T + 1)], T, T)

    return entries


def _parameter(role: str, bias: bool):
    def entries(net, idx):
        (l,) = idx
        att, _, d, _, _ = _dims(net, l)
        n, m = att._shapes(d)[role]
        w, b = WEIGHTS[role]
        if bias:
            return [[b(l, i)] for i in range(1, n + 1)]
        return [[w(l, i, k) for k in range(1, m + 1)] for i in range(1, n + 1)]

    return entries


MX = nt.matrix_quantity("attX", r"X^{{({l})}}", _x_entries)
MA = nt.matrix_quantity("attA", r"Y^{{({l})}}", _a_entries)
MQ = nt.matrix_quantity("attQ", r"Q^{{({l})}}_{{{h}}}", _columns(Q))
MK = nt.matrix_quantity("attK", r"K^{{({l})}}_{{{h}}}", _columns(K))
MV = nt.matrix_quantity("attV", r"V^{{({l})}}_{{{h}}}", _columns(V))
MO = nt.matrix_quantity("attO", r"O^{{({l})}}_{{{h}}}", _columns(O))
MS = nt.matrix_quantity("attS", r"S^{{({l})}}_{{{h}}}", _head_grid(S))
MP = nt.matrix_quantity("attP", r"P^{{({l})}}_{{{h}}}", _head_grid(P))
MW = {
    r: nt.matrix_quantity(f"W{r.upper()}", f"W^{{{{{r.upper()}\\,({{l}})}}}}", _parameter(r, False))
    for r in ("q", "k", "v", "o")
}
MB = {
    r: nt.matrix_quantity(f"b{r.upper()}", f"b^{{{{{r.upper()}\\,({{l}})}}}}", _parameter(r, True))
    for r in ("q", "k", "v", "o")
}


def _mask(value: object, causal: bool, T: int, key: str) -> tuple[tuple[bool, ...], ...]:
    """The T × T mask (True: row t attends to step s) from ``mask`` rows of 0/1 or ``causal``."""
    if value is None:
        return tuple(tuple(s <= t or not causal for s in range(T)) for t in range(T))
    if causal:
        raise SymnnError(f"{key}.mask: give either mask or causal = true, not both")
    expected = f"{T} rows of {T} zeros and ones (T × T for a block of T = {T} steps)"
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or len(value) != T:
        raise fail(f"{key}.mask", expected, value)
    rows = []
    for t, row in enumerate(value):
        if (
            isinstance(row, str | bytes)
            or not isinstance(row, list | tuple)
            or len(row) != T
            or any(isinstance(v, bool) or v not in (0, 1) for v in row)
        ):
            raise fail(f"{key}.mask[{t}]", f"{T} zeros and ones", row)
        if not any(row):
            raise fail(f"{key}.mask[{t}]", "at least one step to attend to (a 1)", list(row))
        rows.append(tuple(bool(v) for v in row))
    return tuple(rows)


@layer
@dataclass(frozen=True)
class Attention:
    """Scaled dot-product self-attention over a (T, d) block: one head or several.

    ``units`` is the width of Q, K and V (default: d); ``heads`` must divide it.
    ``output_projection`` (default: on for several heads) maps the heads' outputs back to d.
    ``bias`` adds b_Q, b_K, b_V (and b_O). ``causal = true`` or ``mask`` (T rows of T 0/1)
    limits which steps each row attends to.

    Examples:
        >>> from symnn import Dense, Network
        >>> net = Network(6, [Attention(heads=1, bias=False), Dense(1)], input_shape=[3, 2])
        >>> net.parameter_shapes()[:3], net.widths
        ([('Wq1', (2, 2)), ('Wk1', (2, 2)), ('Wv1', (2, 2))], (6, 6, 1))
    """

    kind: ClassVar[str] = "attention"
    activation: ClassVar[str] = "identity"
    examples: ClassVar[tuple[dict, ...]] = (
        {  # one head over 2 steps of 2 features, no biases, then a read-out
            "inputs": 4,
            "input_shape": [2, 2],
            "layers": [{"kind": "attention", "bias": False}, {"units": 1}],
            "loss": "mse",
        },
        {  # two heads, causal, with the output projection (b_K's gradient is exactly 0, as
            # the softmax of a row is shift-invariant: biases are checked in test_normattn.py)
            "inputs": 4,
            "input_shape": [2, 2],
            "layers": [
                {"kind": "attention", "heads": 2, "causal": True, "bias": False},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
    )

    heads: int = 1
    units: int | None = None
    output_projection: bool | None = None
    bias: bool = True
    causal: bool = False
    mask: tuple[tuple[int, ...], ...] | None = None
    weights: dict | None = None  # optional values: {q = [[…]], k, v, o; bq, bk, bv, bo}
    name: str = ""
    inputs: tuple[str, ...] = ()

    # -- shapes --------------------------------------------------------------------------------
    def _source_shape(self, network, block: int) -> tuple[int, int]:
        T, d = network.block_shapes[network.sources[block - 1][0]]
        return T, d

    def _out(self, d: int) -> int:
        return d if self.output_projection else self.width_of_heads(d)

    def width_of_heads(self, d: int) -> int:
        return self.units or d

    def width(self, sizes: tuple[int, ...]) -> int:
        # checked() has run: T × (d or units), read back from the spec context there.
        return self._width

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        T, d = shapes[0]
        return (T, self._out(d))

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Attention:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", "one block for an attention layer", list(self.inputs))
        source = ctx.block(self.inputs[0], f"{key}.inputs") if self.inputs else len(ctx.layers)
        shape = ctx.block_shapes[source]
        if len(shape) != 2:
            raise SymnnError(
                f"{key}: attention reads a (T, d) sequence block, found shape {shape}; "
                "give the input's shape with input_shape = [T, d]"
            )
        T, d = shape
        heads = positive_int(self.heads, f"{key}.heads")
        units = d if self.units is None else positive_int(self.units, f"{key}.units")
        if units % heads:
            raise SymnnError(
                f"{key}.heads: expected a number of heads that divides the width "
                f"(units = {units}), found {heads}"
            )
        for flag in ("bias", "causal"):
            if not isinstance(getattr(self, flag), bool):
                raise fail(f"{key}.{flag}", "true or false", getattr(self, flag))
        projection = self.output_projection
        if projection is None:
            projection = heads > 1
        if not isinstance(projection, bool):
            raise fail(f"{key}.output_projection", "true or false", projection)
        mask = _mask(self.mask, self.causal, T, key) if self.mask is not None else None
        given = self._given(key, d, units, projection)
        checked = Attention(
            heads,
            self.units if self.units is None else units,
            projection,
            self.bias,
            self.causal,
            None if mask is None else tuple(tuple(int(v) for v in row) for row in mask),
            given,
            self.name,
            self.inputs,
        )
        object.__setattr__(checked, "_width", T * checked._out(d))
        return checked

    def _given(self, key: str, d: int, units: int, projection: bool) -> dict | None:
        """The weights (and biases) written in the spec, each of its shape; errors name the key."""
        if self.weights is None:
            return None
        if not isinstance(self.weights, Mapping):
            raise fail(f"{key}.weights", "a table of q, k, v (and o) weight matrices", self.weights)
        roles = ("q", "k", "v", "o") if projection else ("q", "k", "v")
        known = [*roles, *(f"b{r}" for r in roles if self.bias)]
        for name in self.weights:
            if name not in known:
                raise SymnnError(f"{key}.weights: unknown key {name!r}; known: {', '.join(known)}")
        shapes = {"q": (units, d), "k": (units, d), "v": (units, d), "o": (d, units)}
        found = {}
        for name in known:
            if name not in self.weights:
                if not name.startswith("b"):
                    raise SymnnError(f"{key}.weights.{name}: required key is missing")
                continue
            value, where = self.weights[name], f"{key}.weights.{name}"
            if name.startswith("b"):
                found[name] = vector(value, shapes[name[1]][0], where)
            else:
                found[name] = matrix(value, shapes[name], where)
        return found

    def allowed(self, T: int) -> tuple[tuple[bool, ...], ...]:
        """Which steps s each row t attends to (True), T × T."""
        if self.mask is not None:
            return tuple(tuple(bool(v) for v in row) for row in self.mask)
        return _mask(None, self.causal, T, "")

    # -- parameters ----------------------------------------------------------------------------
    def _roles(self) -> tuple[str, ...]:
        return ("q", "k", "v", "o") if self.output_projection else ("q", "k", "v")

    def _shapes(self, d: int) -> dict[str, tuple[int, int]]:
        u = self.width_of_heads(d)
        return {"q": (u, d), "k": (u, d), "v": (u, d), "o": (d, u)}

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        source = ctx.block(self.inputs[0], "inputs") if self.inputs else block - 1
        _, d = ctx.block_shapes[source]
        key = f"layers[{block}]"
        shapes = self._shapes(d)
        found = []
        given = self.weights or {}
        for role in self._roles():
            found.append(
                ParameterSpec(
                    f"W{role}{block}", shapes[role], "weights", True, given.get(role), key
                )
            )
            if self.bias:
                found.append(
                    ParameterSpec(
                        f"b{role}{block}",
                        shapes[role][:1],
                        "bias",
                        True,
                        given.get(f"b{role}"),
                        key,
                    )
                )
        return found

    # -- element level -------------------------------------------------------------------------
    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        l = block
        T, d = self._source_shape(g.network, l)
        u, H = self.width_of_heads(d), self.heads
        dh = u // H
        tau = 1 / sp.sqrt(dh)
        rows = [x[t * d : (t + 1) * d] for t in range(T)]
        shapes = self._shapes(d)
        arrays = {}
        for role in self._roles():
            w, b = WEIGHTS[role]
            n, m = shapes[role]
            W = [[w(l, i, k) for k in range(1, m + 1)] for i in range(1, n + 1)]
            g.parameter(f"W{role}{l}", sp.Array(W), l, True)
            bias = [b(l, i) for i in range(1, n + 1)] if self.bias else []
            if self.bias:
                g.parameter(f"b{role}{l}", sp.Array(bias), l, True)
            arrays[role] = (W, bias)

        def linear(role, row):
            W, bias = arrays[role]
            return [
                weighted_sum(
                    [product(wi, xk) for wi, xk in zip(W[i], row, strict=True)],
                    [bias[i]] if bias else [],
                )
                for i in range(len(W))
            ]

        flat = range(1, T * u + 1)
        q = g.define(
            [Q(l, k) for k in flat], [e for r in rows for e in linear("q", r)], PROJECTION, l
        )
        k = g.define([K(l, j) for j in flat], [e for r in rows for e in linear("k", r)], KEY, l)
        v = g.define([V(l, j) for j in flat], [e for r in rows for e in linear("v", r)], VALUE, l)

        def at(m, t, i):  # entry (t, i) of a T × u matrix stored flat
            return m[t * u + i]

        allowed = self.allowed(T)
        cols = [range(h * dh, (h + 1) * dh) for h in range(H)]
        scores = [
            tau * sp.Add(*(product(at(q, t, i), at(k, s, i)) for i in cols[h]))
            for h in range(H)
            for t in range(T)
            for s in range(T)
        ]
        grid = range(1, H * T * T + 1)
        s_ = g.define([S(l, n) for n in grid], scores, SCORE, l)
        weights = []
        for h in range(H):
            for t in range(T):
                row = s_[(h * T + t) * T : (h * T + t + 1) * T]
                kept = [row[s] for s in range(T) if allowed[t][s]]
                position = 0
                for s in range(T):
                    if allowed[t][s]:
                        position += 1
                        weights.append(Softmax(position, *kept))
                    else:
                        weights.append(sp.S.Zero)  # masked: p_ts = 0, no path back
        p = g.define([P(l, n) for n in grid], weights, WEIGHT, l)
        attended = []
        for t in range(T):
            for i in range(u):
                h = i // dh
                terms = [
                    product(p[(h * T + t) * T + s], at(v, s, i)) for s in range(T) if allowed[t][s]
                ]
                attended.append(sp.Add(*terms))
        if not self.output_projection:
            return g.define([nt.a(l, n) for n in flat], attended, ATTENTION_OUT, l)
        o = g.define([O(l, n) for n in flat], attended, ATTENDED, l)
        orows = [o[t * u : (t + 1) * u] for t in range(T)]
        out = [e for r in orows for e in linear("o", r)]
        return g.define([nt.a(l, n) for n in range(1, len(out) + 1)], out, PROJECTED, l)

    # -- the autograd oracle -------------------------------------------------------------------
    def oracle(self, o: OracleContext, block: int, xs: list):
        (x,) = xs
        anp, params = o.anp, o.params
        T, d = self._source_shape(o.network, block)
        u, H = self.width_of_heads(d), self.heads
        dh, N = u // H, x.shape[0]
        X = anp.reshape(x, (N, T, d))

        def project(role, inp):
            out = anp.matmul(inp, params[f"W{role}{block}"].T)
            return out + params[f"b{role}{block}"] if self.bias else out

        def split(m):  # (N, T, u) -> (N, H, T, dh)
            return anp.transpose(anp.reshape(m, (N, T, H, dh)), (0, 2, 1, 3))

        q, k, v = (split(project(r, X)) for r in ("q", "k", "v"))
        scores = anp.matmul(q, anp.transpose(k, (0, 1, 3, 2))) / math.sqrt(dh)
        blocked = [[0.0 if a else -1e300 for a in row] for row in self.allowed(T)]
        scores = scores + anp.array(blocked)
        top = anp.max(scores, axis=3, keepdims=True)
        e = anp.exp(scores - top)
        weights = e / anp.sum(e, axis=3, keepdims=True)
        out = anp.reshape(anp.transpose(anp.matmul(weights, v), (0, 2, 1, 3)), (N, T, u))
        if self.output_projection:
            out = project("o", out)
        return anp.reshape(out, (N, -1))

    # -- the batched NumPy rule ----------------------------------------------------------------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        (previous,) = ins
        l = block
        T, d = self._source_shape(c.network, l)
        u, H = self.width_of_heads(d), self.heads
        dh = u // H
        c.emit(f"X{l} = {previous}.reshape(N, {T}, {d})")
        for role in ("q", "k", "v"):
            bias = f" + b{role}{l}" if self.bias else ""
            head = f"{role.upper()}{l}"
            c.emit(f"{head} = (X{l} @ W{role}{l}.T{bias}).reshape(N, {T}, {H}, {dh})")
            c.emit(f"{head} = {head}.transpose(0, 2, 1, 3)")
        c.emit(f"S{l} = (Q{l} @ K{l}.transpose(0, 1, 3, 2)) * {1 / math.sqrt(dh)!r}")
        allowed = self.allowed(T)
        if not all(all(row) for row in allowed):
            rows = repr([[not a for a in row] for row in allowed])
            c.emit(f"S{l} = numpy.where(numpy.array({rows}), -numpy.inf, S{l})")
        c.emit(f"P{l} = numpy.exp(S{l} - S{l}.max(axis=3, keepdims=True))")
        c.emit(f"P{l} /= P{l}.sum(axis=3, keepdims=True)")
        c.emit(f"O{l} = (P{l} @ V{l}).transpose(0, 2, 1, 3).reshape(N, {T}, {u})")
        if self.output_projection:
            bias = f" + bo{l}" if self.bias else ""
            c.emit(f"A{l} = (O{l} @ Wo{l}.T{bias}).reshape(N, {T * d})")
        else:
            c.emit(f"A{l} = O{l}.reshape(N, {T * u})")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """dV = Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = τ dS K, dK = τ dSᵀ Q."""
        l = block
        T, d = self._source_shape(c.network, l)
        u, H = self.width_of_heads(d), self.heads
        dh = u // H
        grads: dict[str, str] = {}
        if self.output_projection:
            c.emit(f"G{l} = ({gradient}).reshape(N * {T}, {d})")
            grads[f"Wo{l}"] = f"G{l}.T @ O{l}.reshape(N * {T}, {u})"
            if self.bias:
                grads[f"bo{l}"] = f"G{l}.sum(axis=0)"
            c.emit(f"DO{l} = G{l} @ Wo{l}")
        else:
            c.emit(f"DO{l} = {gradient}")
        c.emit(f"DO{l} = DO{l}.reshape(N, {T}, {H}, {dh}).transpose(0, 2, 1, 3)")
        c.emit(f"DV{l} = P{l}.transpose(0, 1, 3, 2) @ DO{l}")
        c.emit(f"DP{l} = DO{l} @ V{l}.transpose(0, 1, 3, 2)")
        c.emit(f"DS{l} = P{l} * (DP{l} - (DP{l} * P{l}).sum(axis=3, keepdims=True))")
        tau = repr(1 / math.sqrt(dh))
        c.emit(f"DQ{l} = (DS{l} @ K{l}) * {tau}")
        c.emit(f"DK{l} = (DS{l}.transpose(0, 1, 3, 2) @ Q{l}) * {tau}")
        back = []
        x = f"X{l}.reshape(N * {T}, {d})"
        for role in ("q", "k", "v"):
            name = f"D{role.upper()}{l}"
            c.emit(f"{name} = {name}.transpose(0, 2, 1, 3).reshape(N * {T}, {u})")
            grads[f"W{role}{l}"] = f"{name}.T @ {x}"
            if self.bias:
                grads[f"b{role}{l}"] = f"{name}.sum(axis=0)"
            back.append(f"{name} @ W{role}{l}")
        c.emit(f"DX{l} = ({' + '.join(back)}).reshape(N, {T * d})")
        order = [f"{p}{r}{l}" for r in self._roles() for p in ("W", "b")]
        return [f"DX{l}"], {name: grads[name] for name in order if name in grads}

    # -- the matrix-level derivation: per sample, the block as a T × d matrix X ---------------
    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """Forward Q, K, V, S_h, P_h, O_h; backward dV = Pᵀ dO, dP = dO Vᵀ, dS, dQ, dK, dX."""
        net, l = m.network, m.block
        T, d = self._source_shape(net, l)
        u, H = self.width_of_heads(d), self.heads
        dh, out = u // H, self._out(d)
        tau = 1 / sp.sqrt(dh)
        ones = sp.OneMatrix(T, 1)
        (source,) = m.inputs
        X, Y = MX(l, T, d), MA(l, T, out)
        shapes = self._shapes(d)
        W = {r: MW[r](l, *shapes[r]) for r in self._roles()}
        b = {r: MB[r](l, shapes[r][0], 1) for r in self._roles()}
        full = {"q": MQ(l, T, u), "k": MK(l, T, u), "v": MV(l, T, u), "o": MO(l, T, u)}
        head = {
            r: [q(l, T, dh, h) for h in range(1, H + 1)] if H > 1 else [full[r]]
            for r, q in (("q", MQ), ("k", MK), ("v", MV), ("o", MO))
        }
        heads = [(h,) if H > 1 else () for h in range(1, H + 1)]
        Ss = [MS(l, T, T, *h) for h in heads]
        Ps = [MP(l, T, T, *h) for h in heads]
        allowed = self.allowed(T)
        mask = sp.Matrix(T, T, lambda t, s: int(allowed[t][s]))
        masked = not all(all(row) for row in allowed)

        def linear(role, inp):
            product = sp.MatMul(inp, sp.Transpose(W[role]))
            if not self.bias:
                return product
            return sp.MatAdd(product, sp.MatMul(ones, sp.Transpose(b[role])))

        G = lambda v: Grad(nt.LOSS, v)  # noqa: E731
        forward = [Step(X, Grid(source, T, d), "block_as_rows")]
        forward += [Step(full[r], linear(r, X), "definition") for r in ("q", "k", "v")]
        for h in range(H):
            q, k, v = head["q"][h], head["k"][h], head["v"][h]
            forward.append(Step(Ss[h], sp.MatMul(tau, q, sp.Transpose(k)), "definition"))
            forward.append(Step(Ps[h], RowSoftmax(Ss[h], mask), "definition"))
            forward.append(Step(head["o"][h], sp.MatMul(Ps[h], v), "definition"))
        if H > 1:
            forward.append(Step(full["o"], sp.BlockMatrix([head["o"]]), "heads_side_by_side"))
        result = full["o"]
        if self.output_projection:
            forward.append(Step(Y, linear("o", full["o"]), "definition"))
            result = Y
        forward.append(Step(m.output, Vec(result), "definition"))

        backward = [Step(G(result), Grid(m.adjoint, T, out), "block_as_rows")]
        gradients = []

        def param_gradients(role, grad):
            found = [
                Step(
                    G(W[role]), sp.MatMul(sp.Transpose(grad), inputs[role]), "linear_rows_backward"
                )
            ]
            if self.bias:
                found.append(
                    Step(G(b[role]), sp.MatMul(sp.Transpose(grad), ones), "linear_rows_backward")
                )
            return found

        inputs = {"q": X, "k": X, "v": X, "o": full["o"]}
        if self.output_projection:
            backward.append(Step(G(full["o"]), sp.MatMul(G(Y), W["o"]), "linear_rows_backward"))
        for h in range(H):
            dO, P_, S_ = G(head["o"][h]), Ps[h], Ss[h]
            q, k, v = head["q"][h], head["k"][h], head["v"][h]
            backward.append(Step(G(v), sp.MatMul(sp.Transpose(P_), dO), "attention_values"))
            dP = sp.MatMul(dO, sp.Transpose(v))
            if masked:
                dP = sp.HadamardProduct(sp.ImmutableMatrix(mask), dP)
            backward.append(Step(G(P_), dP, "attention_weights"))
            rowsum = sp.MatMul(sp.HadamardProduct(G(P_), P_), ones, sp.Transpose(ones))
            backward.append(
                Step(
                    G(S_),
                    sp.HadamardProduct(P_, sp.MatAdd(G(P_), sp.MatMul(-1, rowsum))),
                    "softmax_rows_backward",
                )
            )
            backward.append(Step(G(q), sp.MatMul(tau, G(S_), k), "scaled_dot_product_backward"))
            backward.append(
                Step(G(k), sp.MatMul(tau, sp.Transpose(G(S_)), q), "scaled_dot_product_backward")
            )
        if H > 1:
            for r in ("q", "k", "v"):
                parts = [G(p) for p in head[r]]
                backward.append(Step(G(full[r]), sp.BlockMatrix([parts]), "heads_side_by_side"))
        dX = sp.MatAdd(*(sp.MatMul(G(full[r]), W[r]) for r in ("q", "k", "v")))
        reads_input = net.sources[l - 1][0] == 0  # ∂L/∂x is not needed: x is data
        if not reads_input:
            backward.append(Step(G(X), dX, "three_paths"))
        for r in self._roles():
            grad = G(Y) if r == "o" else G(full[r])
            gradients += param_gradients(r, grad)
        chain = sp.MatMul(sp.Transpose(Jac(m.output, source)), m.adjoint_name)
        return MatrixRule(
            forward=tuple(forward),
            backward=tuple(backward),
            adjoints=(
                Step(G(X) if not reads_input else backward[-1].lhs, backward[-1].rhs, "result"),
            ),
            pullbacks=(Pullback(chain, Vec(G(X)), "∂L/∂X stored flat"),),
            gradients=tuple(gradients),
        )

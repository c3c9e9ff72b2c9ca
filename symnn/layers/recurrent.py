"""What the recurrent layer kinds (rnn, lstm, gru) share: spec keys, checks, parameters, the
unrolled element graph and the batched loops over time.

A sequence is a (T, d) block (time steps as rows), stored flat in row-major order, so x_t is
entries (t − 1)d + 1 … td of the block. A recurrent layer writes the whole hidden sequence, a
(T, H) block (``returns = "last"``: only h_T, an (H,) block). Its weights are shared by every time
step, so each weight's gradient is a sum over t, and ∂L/∂h_t gathers what the output at t sends
back and what h_{t+1} sends back through W_hh (backpropagation through time). h_0 = 0 unless
given (``h0``, a constant). Weights follow PyTorch: ``Wih{l}`` is W_ih, (G·H × d), ``Whh{l}`` is
W_hh, (G·H × H), with the G gate blocks stacked as rows, and two biases ``bih{l}``, ``bhh{l}``;
``convention = "cs231n"`` (rnn, lstm) has one bias ``b{l}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import weighted_sum
from symnn.core.matexpr import Grad, Jac, Rows
from symnn.core.steps import RULES, Step
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    ParameterSpec,
    Pullback,
    SpecContext,
    constant,
    fail,
    matrix,
    positive_int,
    product,
    vector,
)
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS

# Quantity families: u = W_hh's entries, b̄ = b_hh's; z_{t,j} a step's pre-activation (its adjoint
# δ), h_{t,j} the hidden state; the gates and the cell of the LSTM and GRU.
nt.family("u", "u", "u", comma=False)
nt.family("bh", r"\bar{b}", "b̄", comma=False)
nt.family("zt", "z", "z", adjoint=(r"\delta", "δ"))
nt.family("h", "h", "h")
nt.family("c", "c", "c")
for _prefix in ("gi", "gf", "gg", "go", "gr", "gn"):
    nt.family(_prefix, _prefix[1], _prefix[1])
nt.family("gz", r"\zeta", "ζ")  # the GRU's update gate (z is the pre-activation here)
nt.family("q", "q", "q")  # GRU: W_ih x_t + b_ih
nt.family("p", "p", "p")  # GRU: W_hh h_{t−1} + b_hh

RULES.setdefault(
    "cell_update", "derivative of the cell update f ⊙ (previous c) + i ⊙ g (product rule)"
)
RULES.setdefault("lstm_output", "derivative of h = o ⊙ tanh(c) (product rule)")
RULES.setdefault(
    "gru_update",
    "derivative of the update: h mixes the candidate n and the previous h by the update gate",
)
RULES.setdefault(
    "shared_over_time", "a weight shared by every time step: its gradient is the sum over t"
)


def _by_symbol(block: int, unit: int) -> sp.Expr:
    raise SymnnError("a recurrent node's adjoint is named from its symbol")


def _kind(name: str, rule: str, heading: str, array: str, named: bool = False) -> NodeKind:
    kind = NodeKind(
        name,
        _by_symbol,
        rule,
        heading,
        array,
        f"dL_d{array}",
        0,
        names_expression=named,
        adjoint_of_symbol=nt.adjoint_quantity,
    )
    return NODE_KINDS.add(name, kind)


# One order for every kind: a recurrent layer numbers its nodes in reading order itself (the
# last time step first; in a step the state before the gates before the pre-activations).
PRE_ACTIVATION = _kind("recurrent_input", "linear", "pre-activation", "zt")
HIDDEN = _kind("hidden_state", "activation_derivative", "hidden state", "h", named=True)
GATE = _kind("gate", "activation_derivative", "gate", "gate", named=True)
CELL = _kind("cell_state", "cell_update", "cell state", "c")
LSTM_HIDDEN = _kind("lstm_hidden", "lstm_output", "hidden state", "h")
GRU_HIDDEN = _kind("gru_hidden", "gru_update", "hidden state", "h")

# The layer's output block a^{(l)}: a^{(l)}_k copies h_{t,j} (k = (t − 1)H + j), so ∂L/∂a^{(l)}
# (what the readers of the block send back) stays apart from ∂L/∂h_t (which also gets h_{t+1}'s).
RULES.setdefault(
    "sequence_output", "the output block lists the hidden states: each entry's derivative is 1"
)
SEQUENCE_OUTPUT = NODE_KINDS.add(
    "sequence_output",
    NodeKind("sequence_output", nt.grad_a, "sequence_output", "output block", "a", "dL_da", -1),
)

RETURNS = ("sequence", "last")


@dataclass(frozen=True)
class Recurrent:
    """The keys every recurrent kind has; subclasses add theirs and the step itself."""

    activation: ClassVar[str] = "identity"  # the loss checks: h is no probability
    title: ClassVar[str] = "Recurrent layer"
    stacking: ClassVar[str] = "one block of rows"
    gates: ClassVar[int] = 1  # G: gate blocks stacked in W_ih, W_hh
    conventions: ClassVar[tuple[str, ...]] = ("pytorch",)
    sharing_note: ClassVar[str] = (
        "the weight is shared by every time step: its gradient is the sum over t"
    )

    hidden: int
    bias: bool = True
    convention: str = "pytorch"
    returns: str = "sequence"
    h0: Sequence[float] | None = None
    steps: int | None = None
    input_size: int | None = None
    weights_ih: Sequence[Sequence[float]] | None = None
    weights_hh: Sequence[Sequence[float]] | None = None
    bias_ih: Sequence[float] | None = None
    bias_hh: Sequence[float] | None = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    # -- spec --------------------------------------------------------------------------------
    @property
    def one_bias(self) -> bool:
        return self.convention == "cs231n"

    @property
    def rows(self) -> int:
        return self.gates * self.hidden

    def width(self, sizes: tuple[int, ...]) -> int:
        return self.hidden * (self.steps if self.returns == "sequence" else 1)

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return (self.steps, self.hidden) if self.returns == "sequence" else (self.hidden,)

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext):
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", f"one block for an {self.kind} layer", list(self.inputs))
        block = ctx.block(self.inputs[0], f"{key}.inputs") if self.inputs else len(ctx.widths) - 1
        shape = ctx.block_shapes[block]
        if len(shape) != 2:
            where = "input_shape = [T, d] on the network" if block == 0 else "a (T, d) block"
            raise SymnnError(
                f"{key}: an {self.kind} layer reads a sequence, a (T, d) block with time steps as "
                f"rows; found shape {shape}; give it {where}"
            )
        T, d = shape
        hidden = positive_int(self.hidden, f"{key}.hidden")
        for field_key, value, expected, what in (
            ("steps", self.steps, T, "time steps"),
            ("input_size", self.input_size, d, "features per step"),
        ):
            if value is not None and positive_int(value, f"{key}.{field_key}") != expected:
                raise SymnnError(
                    f"{key}.{field_key}: the sequence it reads has shape ({T}, {d}), so {expected} "
                    f"{what}; found {field_key} = {value}"
                )
        if self.convention not in self.conventions:
            known = f"one of {', '.join(self.conventions)}"
            raise fail(f"{key}.convention", known, self.convention)
        if self.returns not in RETURNS:
            raise fail(f"{key}.returns", "'sequence' or 'last'", self.returns)
        for flag in ("bias",):
            if not isinstance(getattr(self, flag), bool):
                raise fail(f"{key}.{flag}", "true or false", getattr(self, flag))
        rows = self.gates * hidden
        shapes = {
            "weights_ih": (matrix, (rows, d)),
            "weights_hh": (matrix, (rows, hidden)),
            "bias_ih": (vector, rows),
            "bias_hh": (vector, rows),
            "h0": (vector, hidden),
        }
        values = {
            name: None
            if getattr(self, name) is None
            else check(getattr(self, name), size, f"{key}.{name}")
            for name, (check, size) in shapes.items()
        }
        for given in ("bias_ih", "bias_hh"):
            if values[given] is not None and not self.bias:
                raise SymnnError(f"{key}.{given}: the layer has bias = false")
        if values["bias_hh"] is not None and self.convention == "cs231n":
            raise SymnnError(
                f"{key}.bias_hh: the cs231n convention has one bias b; give it as bias_ih"
            )
        extra = self._checked_extra(key, hidden)
        return replace(self, hidden=hidden, steps=T, input_size=d, **values, **extra)

    def _checked_extra(self, key: str, hidden: int) -> dict:
        return {}

    def convention_statement(self, block: int) -> str:
        """What the document states about this layer (text with $…$ maths)."""
        l, T, d, H = block, self.steps, self.input_size, self.hidden
        biases = (
            rf"one bias $b^{{({l})}}$ (CS231n's convention)"
            if self.one_bias
            else rf"two biases $b^{{({l})}}$ (PyTorch's $b_{{ih}}$) and $\bar{{b}}^{{({l})}}$ "
            rf"($b_{{hh}}$)"
        )
        out = (
            rf"its output block $a^{{({l})}}$ lists $h_1, \dots, h_{{{T}}}$ ($a^{{({l})}}_k = "
            rf"h_{{t,j}}$ with $k = {H}(t - 1) + j$), so a loss on it sums over the steps"
            if self.returns == "sequence"
            else rf"its output block $a^{{({l})}}$ is the last state $h_{{{T}}}$"
        )
        start = "given" if self.h0 is not None else "$0$"
        where = (
            r"$x_t$ being entry $t$ of the block it reads"
            if d == 1
            else rf"$x_t$ being entries ${d}(t - 1) + 1$ to ${d} t$ of the block it reads"
        )
        return (
            rf"{self.title} (layer {l}): the input is a sequence of {T} steps of {d} "
            rf"feature{'s' if d > 1 else ''}, {where}; "
            rf"$h^{{({l})}}_{{t,j}}$ is unit $j$ of the hidden state at step $t$, $h_0$ is "
            rf"{start}; $w^{{({l})}}_{{jk}}$ are the entries of $W_{{ih}}$ "
            rf"(${self.rows} \times {d}$) and $u^{{({l})}}_{{jk}}$ those of $W_{{hh}}$ "
            rf"(${self.rows} \times {H}$), "
            rf"{self.stacking}, with {biases}; every weight is shared by all steps, so its "
            rf"gradient sums over $t$; {out}."
        )

    def parameter_names(self, block: int) -> dict[str, str]:
        """Role ("ih", "hh", "bih", "bhh") -> parameter name; one bias: "bih" is b{l}."""
        names = {"ih": f"Wih{block}", "hh": f"Whh{block}"}
        if self.bias:
            if self.one_bias:
                names["bih"] = f"b{block}"
            else:
                names |= {"bih": f"bih{block}", "bhh": f"bhh{block}"}
        return names

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        key = f"layers[{block}]"
        names = self.parameter_names(block)
        rows = self.rows
        found = [
            ParameterSpec(
                names["ih"], (rows, self.input_size), "weights", True, self.weights_ih, key
            ),
            ParameterSpec(names["hh"], (rows, self.hidden), "weights", True, self.weights_hh, key),
        ]
        for role, given in (("bih", self.bias_ih), ("bhh", self.bias_hh)):
            if role in names:
                found.append(ParameterSpec(names[role], (self.rows,), "bias", True, given, key))
        return found

    # -- element level: the graph unrolled over T steps ---------------------------------------
    def _unit(self, t: int, rank: int, j: int) -> int:
        """Reading order: the last step first; in a step by ``rank`` (state 0, …), then j.

        Numbered past the output block's entries (1 … T·H), which the copies a^{(l)}_k hold: a
        node's (block, index) never names an entry of the block it is not.
        """
        return self.hidden * self.steps + ((self.steps - t) * 8 + rank) * (self.rows + 1) + j

    def define_nodes(
        self,
        g: GraphBuilder,
        block: int,
        t: int,
        prefix: str,
        kind: NodeKind,
        rank: int,
        exprs: list[sp.Expr],
    ) -> list[sp.Symbol]:
        symbols = [nt.quantity(prefix, block, t, j) for j in range(1, len(exprs) + 1)]
        units = [self._unit(t, rank, j) for j in range(1, len(exprs) + 1)]
        return g.define(symbols, exprs, kind, block, units)

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        l, d, H, rows = block, self.input_size, self.hidden, self.rows
        names = self.parameter_names(l)
        w = [[nt.w(l, j, k) for k in range(1, d + 1)] for j in range(1, rows + 1)]
        u = [[nt.quantity("u", l, j, k) for k in range(1, H + 1)] for j in range(1, rows + 1)]
        g.parameter(names["ih"], sp.Array(w), l, True)
        g.parameter(names["hh"], sp.Array(u), l, True)
        b_ih = [nt.b(l, j) for j in range(1, rows + 1)] if self.bias else None
        b_hh = [nt.quantity("bh", l, j) for j in range(1, rows + 1)] if "bhh" in names else None
        if b_ih is not None:
            g.parameter(names["bih"], sp.Array(b_ih), l, True)
        if b_hh is not None:
            g.parameter(names["bhh"], sp.Array(b_hh), l, True)
        h = [constant(v) for v in self.h0] if self.h0 is not None else [sp.S.Zero] * H
        state = self.initial_state()
        outputs: list[sp.Symbol] = []
        for t in range(1, self.steps + 1):
            x_t = x[(t - 1) * d : t * d]
            from_x = [_affine(w[j], x_t, b_ih[j] if b_ih else None) for j in range(rows)]
            from_h = [_affine(u[j], h, b_hh[j] if b_hh else None) for j in range(rows)]
            h, state = self.step(g, l, t, from_x, from_h, h, state)
            outputs += h
        block_entries = outputs if self.returns == "sequence" else h
        units = range(1, len(block_entries) + 1)
        return g.define([nt.a(l, k) for k in units], block_entries, SEQUENCE_OUTPUT, l)

    def initial_state(self):
        return None

    def step(self, g, block, t, from_x, from_h, h, state):
        raise NotImplementedError

    # -- oracle: an independent forward in autograd.numpy -------------------------------------
    def oracle(self, o: OracleContext, block: int, xs: list):
        anp = o.anp
        (x,) = xs
        names = self.parameter_names(block)
        T, d, H = self.steps, self.input_size, self.hidden
        W_ih, W_hh = o.params[names["ih"]], o.params[names["hh"]]
        b_ih = o.params[names["bih"]] if "bih" in names else 0.0
        b_hh = o.params[names["bhh"]] if "bhh" in names else 0.0
        h = anp.zeros((x.shape[0], H)) + (0.0 if self.h0 is None else anp.array(self.h0))
        state = self.oracle_initial(anp, x.shape[0], (W_hh, b_hh))
        outputs = []
        for t in range(T):
            x_t = x[:, t * d : (t + 1) * d]
            h, state = self.oracle_step(
                o, anp.dot(x_t, W_ih.T) + b_ih, anp.dot(h, W_hh.T) + b_hh, h, state
            )
            outputs.append(h)
        return anp.concatenate(outputs, axis=1) if self.returns == "sequence" else h

    def oracle_initial(self, anp, n: int, recurrent=None):
        """The state besides h a step carries (``recurrent``: W_hh and b_hh, for a step that
        multiplies part of h itself)."""
        return None

    # -- the batched NumPy rule: a loop over time, never over samples ---------------------------
    def numpy_arrays(self, block: int) -> dict[str, str]:
        names = self.parameter_names(block)
        bias = " + ".join(names[r] for r in ("bih", "bhh") if r in names)
        return {**names, "bias": bias}

    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        (previous,) = ins
        l, T, d, H = block, self.steps, self.input_size, self.hidden
        names = self.numpy_arrays(l)
        c.emit(f"X{l} = {previous}.reshape(N, {T}, {d})  # x_t is X{l}[:, t]")
        bias = f" + {self.input_bias(names)}" if self.input_bias(names) else ""
        c.emit(f"Z{l} = X{l} @ {names['ih']}.T{bias}  # every step's input part at once")
        c.emit(f"H{l} = numpy.empty((N, {T + 1}, {H}))  # H{l}[:, t] is h_t; h_0 first")
        h0 = "0.0" if self.h0 is None else f"numpy.array({list(self.h0)!r})"
        c.emit(f"H{l}[:, 0] = {h0}")
        self.forward_loop(c, l, names)
        if self.returns == "sequence":
            c.emit(f"A{l} = H{l}[:, 1:].reshape(N, {T * H})")
        else:
            c.emit(f"A{l} = H{l}[:, {T}]")

    def input_bias(self, names: dict[str, str]) -> str:
        """The biases added to every step's input part at once (both, unless a gate needs b_hh
        apart)."""
        return names["bias"]

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """BPTT: from t = T down to 1, ∂L/∂h_t = (from the output at t) + (from h_{t+1})."""
        (previous,) = ins
        l, T, d, H = block, self.steps, self.input_size, self.hidden
        names = self.numpy_arrays(l)
        if self.returns == "sequence":
            c.emit(f"G{l} = ({gradient}).reshape(N, {T}, {H})  # ∂L/∂h_t from the output at t")
        else:
            c.emit(f"G{l} = numpy.zeros((N, {T}, {H}))")
            c.emit(f"G{l}[:, {T - 1}] = {gradient}  # only h_T is read")
        c.emit(f"D{l} = numpy.empty((N, {T}, {self.rows}))  # D{l}[:, t-1]: ∂L/∂(pre-activations)")
        self.backward_loop(c, l, names)
        rows = self.rows
        grads = {
            names["ih"]: f"D{l}.reshape(-1, {rows}).T @ X{l}.reshape(-1, {d})",
            names["hh"]: self.recurrent_gradient(l, names),
        }
        for role in ("bih", "bhh"):
            if role in names:
                grads[names[role]] = self.bias_gradient(l, role)
        back = f"(D{l} @ {names['ih']}).reshape(N, {T * d})"
        return [back], grads

    def recurrent_gradient(self, l: int, names: dict[str, str]) -> str:
        return f"D{l}.reshape(-1, {self.rows}).T @ H{l}[:, :-1].reshape(-1, {self.hidden})"

    def bias_gradient(self, l: int, role: str) -> str:
        return f"D{l}.sum(axis=(0, 1))"


def _affine(weights: list[sp.Symbol], values: list[sp.Expr], bias: sp.Symbol | None) -> sp.Expr:
    """Σ_k w_k v_k (+ b), leaving out the terms of a zero state (h_0 = 0)."""
    terms = [product(w, v) for w, v in zip(weights, values, strict=True) if v != 0]
    extra = [] if bias is None else [bias]
    if not terms and not extra:
        return sp.S.Zero
    return weighted_sum(terms, extra)


def activation(name: str, z: sp.Expr) -> sp.Expr:
    """f(z) with the activation's default hyperparameters."""
    rule = ACTIVATIONS[name]
    return rule.apply([z], {k: constant(v) for k, v in rule.defaults.items()})[0]


def code(c: ArrayCode, expr: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    """An elementwise rule printed with array slices for its symbols."""
    return c.expr(CodePrinter(names), expr)


# -- the matrix level of the gated kinds: one sample, step by step ---------------------------
def total(terms: list) -> sp.MatrixExpr:
    """One term, or their sum."""
    return terms[0] if len(terms) == 1 else sp.MatAdd(*terms)


def stacked(parts: list) -> sp.MatrixExpr:
    """Column vectors stacked into one (a single one as it is)."""
    return parts[0] if len(parts) == 1 else sp.BlockMatrix([[p] for p in parts])


@dataclass(frozen=True)
class MatrixParts:
    """What a recurrent kind's ``matrix_rule`` reads: its weights, biases and the vectors of step
    t (x_t, h_t, the slice of ∂L/∂a that step t's output receives)."""

    layer: Recurrent
    block: int
    a_prev: sp.MatrixExpr
    output: sp.MatrixSymbol
    adjoint: sp.MatrixExpr

    @property
    def W_ih(self) -> sp.MatrixSymbol:
        r = self.layer
        return nt.family_matrix("Wih", self.block, shape=(r.rows, r.input_size))

    @property
    def W_hh(self) -> sp.MatrixSymbol:
        r = self.layer
        return nt.family_matrix("Whh", self.block, shape=(r.rows, r.hidden))

    @property
    def biases(self) -> list[sp.MatrixSymbol]:
        """b_ih and b_hh (PyTorch), the one bias b (CS231n) or none."""
        names, rows = self.layer.parameter_names(self.block), self.layer.rows
        fam = nt.family_matrix
        if "bhh" in names:
            return [fam(p, self.block, shape=(rows, 1)) for p in ("bih", "bhh")]
        return [fam("bone", self.block, shape=(rows, 1))] if "bih" in names else []

    def x(self, t: int) -> sp.MatrixExpr:
        d = self.layer.input_size
        return Rows(self.a_prev, (t - 1) * d + 1, t * d)

    def h(self, t: int) -> sp.MatrixExpr | None:
        """h_t; h_0 written out when given, None when it is 0."""
        if t == 0:
            h0 = self.layer.h0
            return None if h0 is None else sp.ImmutableMatrix([[v] for v in h0])
        return nt.family_matrix("hseq", self.block, t, shape=(self.layer.hidden, 1))

    def vector(self, prefix: str, t: int, rows: int | None = None) -> sp.MatrixSymbol:
        return nt.family_matrix(prefix, self.block, t, shape=(rows or self.layer.hidden, 1))

    def from_output(self, t: int) -> sp.MatrixExpr | None:
        """What the readers of the output block send back to h_t (None: nothing)."""
        T, H = self.layer.steps, self.layer.hidden
        if self.layer.returns == "sequence":
            return Rows(self.adjoint, (t - 1) * H + 1, t * H) if T > 1 else self.adjoint
        return self.adjoint if t == T else None

    def output_definition(self) -> Step:
        T = self.layer.steps
        if self.layer.returns == "sequence":
            value = stacked([self.h(t) for t in range(1, T + 1)])
        else:
            value = self.h(T)
        return Step(self.output, value, "definition", "the layer's output block")

    def gradients(self, delta, recurrent_delta=None, recurrent_input=None) -> list[Step]:
        """The shared weights' gradients, sums over t: δ_t x_tᵀ, δ̃_t h_{t−1}ᵀ and the biases.

        ``delta(t)`` is ∂L/∂(W_ih x_t); ``recurrent_delta(t)`` ∂L/∂(W_hh h_{t−1}) (default δ_t)
        and ``recurrent_input(t)`` the vector W_hh multiplies (default h_{t−1}; None: none).
        """
        T, H = self.layer.steps, self.layer.hidden
        steps = range(1, T + 1)
        back = recurrent_delta or delta
        reads = recurrent_input or self.h
        terms = [
            sp.MatMul(back(t), sp.Transpose(reads(t - 1)))
            for t in steps
            if reads(t - 1) is not None
        ]
        found = [
            Step(
                Grad(nt.LOSS, self.W_ih),
                total([sp.MatMul(delta(t), sp.Transpose(self.x(t))) for t in steps]),
                "shared_over_time",
            ),
            Step(
                Grad(nt.LOSS, self.W_hh),
                total(terms) if terms else sp.ZeroMatrix(self.layer.rows, H),
                "shared_over_time",
                "h_0 = 0, so from t = 2" if self.layer.h0 is None else "",
            ),
        ]
        for b in self.biases:
            of = back if b.name.startswith("bhh") else delta
            found.append(Step(Grad(nt.LOSS, b), total([of(t) for t in steps]), "shared_over_time"))
        return found

    def pullback(self, delta) -> Pullback:
        """x_t reaches the step through W_ih only: ∂L/∂x_t = W_ihᵀ δ_t."""
        T = self.layer.steps
        back = [sp.MatMul(sp.Transpose(self.W_ih), delta(t)) for t in range(1, T + 1)]
        return Pullback(
            sp.MatMul(sp.Transpose(Jac(self.output, self.a_prev)), self.adjoint),
            stacked(back),
            "x_t reaches the step only through W_ih",
        )

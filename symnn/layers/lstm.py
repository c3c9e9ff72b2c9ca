"""Lstm: the long short-term memory layer, unrolled over T steps.

z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh (4H entries, the gate blocks stacked as rows);
i = σ(z_i), f = σ(z_f), g = tanh(z_g), o = σ(z_o); c_t = f ⊙ c_{t−1} + i ⊙ g; h_t = o ⊙ tanh(c_t).
PyTorch's ``nn.LSTM`` stacks the blocks i, f, g, o and has two biases (the default);
``convention = "cs231n"`` stacks i, f, o, g with one bias b. c_0 = h_0 = 0 unless given (``c0``,
``h0``). Going back through time, ∂L/∂c_t = ∂L/∂h_t ⊙ o ⊙ (1 − tanh² c_t) + ∂L/∂c_{t+1} ⊙ f_{t+1}:
the cell's path multiplies by the forget gate only, which is why an LSTM's gradient lasts longer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.matexpr import Apply, Grad, Rows
from symnn.core.steps import RULES, Step
from symnn.layers.base import ArrayCode, MatrixContext, MatrixRule, constant, layer, vector
from symnn.layers.recurrent import (
    CELL,
    GATE,
    LSTM_HIDDEN,
    PRE_ACTIVATION,
    MatrixParts,
    Recurrent,
    activation,
    stacked,
    total,
)

ORDERS = {"pytorch": ("i", "f", "g", "o"), "cs231n": ("i", "f", "o", "g")}
RANKS = {"i": 2, "f": 3, "g": 4, "o": 5}  # reading order in a step: h, c, the gates, z


@layer
@dataclass(frozen=True)
class Lstm(Recurrent):
    """An LSTM over a (T, d) sequence, writing the (T, H) hidden sequence.

    Examples:
        >>> from symnn import Network
        >>> net = Network(4, [Lstm(2)], "squared_error", input_shape=[2, 2])
        >>> net.parameter_shapes()[:2]
        [('Wih1', (8, 2)), ('Whh1', (8, 2))]
    """

    kind: ClassVar[str] = "lstm"
    gates: ClassVar[int] = 4
    conventions: ClassVar[tuple[str, ...]] = ("pytorch", "cs231n")
    # sympy.diff of the composed loss checks this many random gradients per example (each takes
    # seconds to expand and evaluate); the generated code is checked on all of them.
    sympy_check_limit: ClassVar[int] = 3
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a sequence loss on the hidden states: T = 2, d = 1, H = 2, given h_0 and c_0
            "inputs": 2,
            "input_shape": [2, 1],
            "layers": [{"kind": "lstm", "hidden": 2, "h0": [0.3, -0.2], "c0": [0.5, 0.1]}],
            "loss": "squared_error",
        },
        {  # CS231n's gate order and one bias; the last state, then a read-out
            "inputs": 2,
            "input_shape": [2, 1],
            "layers": [
                {
                    "kind": "lstm",
                    "hidden": 1,
                    "convention": "cs231n",
                    "returns": "last",
                    "h0": [0.5],
                },
                {"units": 1},
            ],
            "loss": "mse",
        },
    )

    c0: Sequence[float] | None = None

    title: ClassVar[str] = "LSTM"

    @property
    def stacking(self) -> str:
        whose = "CS231n's order" if self.convention == "cs231n" else "PyTorch's order"
        order = ", ".join(self.order)
        return (
            rf"the gate blocks {order} stacked as rows ({whose}) of $z_t = W_{{ih}} x_t + "
            r"W_{hh} h_{t-1}$ plus the biases; $c_t = f \odot c_{t-1} + i \odot g$, "
            r"$h_t = o \odot \tanh(c_t)$"
        )

    def _checked_extra(self, key: str, hidden: int) -> dict:
        return {"c0": None if self.c0 is None else vector(self.c0, hidden, f"{key}.c0")}

    @property
    def order(self) -> tuple[str, ...]:
        return ORDERS[self.convention]

    def blocks(self, values: Sequence) -> dict[str, Sequence]:
        """The stacked entries split by gate: {"i": the first H, …} in this convention's order."""
        H = self.hidden
        return {name: values[q * H : (q + 1) * H] for q, name in enumerate(self.order)}

    # -- element level -------------------------------------------------------------------------
    def initial_state(self):
        return [constant(v) for v in self.c0] if self.c0 is not None else [0] * self.hidden

    def step(self, g, block, t, from_x, from_h, h, c):
        sums = [a + b for a, b in zip(from_x, from_h, strict=True)]
        z = self.blocks(self.define_nodes(g, block, t, "zt", PRE_ACTIVATION, 6, sums))
        gate = {}
        for name in ("i", "f", "g", "o"):
            f = "tanh" if name == "g" else "sigmoid"
            values = [activation(f, zj) for zj in z[name]]
            gate[name] = self.define_nodes(g, block, t, f"g{name}", GATE, RANKS[name], values)
        cells = [
            fj * cj + ij * gj
            for fj, cj, ij, gj in zip(gate["f"], c, gate["i"], gate["g"], strict=True)
        ]
        c = self.define_nodes(g, block, t, "c", CELL, 1, cells)
        outputs = [oj * activation("tanh", cj) for oj, cj in zip(gate["o"], c, strict=True)]
        return self.define_nodes(g, block, t, "h", LSTM_HIDDEN, 0, outputs), c

    # -- oracle ----------------------------------------------------------------------------------
    def oracle_initial(self, anp, n: int, recurrent=None):
        return anp.zeros((n, self.hidden)) + (0.0 if self.c0 is None else anp.array(self.c0))

    def oracle_step(self, o, from_x, from_h, h, c):
        anp, H = o.anp, self.hidden
        z = from_x + from_h
        part = {name: z[:, q * H : (q + 1) * H] for q, name in enumerate(self.order)}
        sigmoid = o.activations["sigmoid"]
        i, f, out = (sigmoid(part[n], {}) for n in ("i", "f", "o"))
        c = f * c + i * anp.tanh(part["g"])
        return out * anp.tanh(c), c

    # -- the matrix level: backpropagation through time, one sample, step by step -------------
    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """BPTT through the gates and the cell: ∂L/∂h_t = (from the output at t) + W_hhᵀ δ_{t+1};
        ∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ tanh'(c_t) + ∂L/∂c_{t+1} ⊙ f_{t+1}; each gate's block of δ_t is
        its gradient times its activation's derivative; the shared weights' gradients sum over t."""
        P = MatrixParts(self, m.block, m.inputs[0], m.output, m.adjoint_name)
        T, H = self.steps, self.hidden
        rows = self.rows

        def z(t: int) -> sp.MatrixSymbol:
            return P.vector("zseq", t, rows)

        def delta(t: int) -> sp.MatrixSymbol:
            return P.vector("dseq", t, rows)

        def gate(name: str, t: int) -> sp.MatrixSymbol:
            return P.vector(f"{name}gate", t)

        def c(t: int) -> sp.MatrixExpr | None:
            if t == 0:
                return None if self.c0 is None else sp.ImmutableMatrix([[v] for v in self.c0])
            return P.vector("cseq", t)

        def pre(name: str, t: int) -> sp.MatrixExpr:
            q = self.order.index(name)
            return Rows(z(t), q * H + 1, (q + 1) * H)

        def f(name: str, v: sp.MatrixExpr, order: int = 0) -> Apply:
            return Apply("tanh" if name == "g" else "sigmoid", v, order)

        def grad(v: sp.MatrixExpr) -> Grad:
            return Grad(nt.LOSS, v)

        hadamard = sp.HadamardProduct
        forward = []
        for t in range(1, T + 1):
            terms = [sp.MatMul(P.W_ih, P.x(t)), *P.biases]
            if P.h(t - 1) is not None:
                terms.append(sp.MatMul(P.W_hh, P.h(t - 1)))
            note = "h_0 = 0" if t == 1 and self.h0 is None else ""
            forward.append(Step(z(t), total(terms), "definition", note))
            for name in ("i", "f", "g", "o"):
                forward.append(Step(gate(name, t), f(name, pre(name, t)), "definition"))
            cell = [hadamard(gate("i", t), gate("g", t))]
            if c(t - 1) is not None:
                cell.insert(0, hadamard(gate("f", t), c(t - 1)))
            note = "c_0 = 0" if t == 1 and self.c0 is None else ""
            forward.append(Step(c(t), total(cell), "definition", note))
            forward.append(Step(P.h(t), hadamard(gate("o", t), Apply("tanh", c(t))), "definition"))
        forward.append(P.output_definition())

        backward, adjoints = [], []
        for t in range(T, 0, -1):
            h = P.h(t)
            terms = [P.from_output(t)] if P.from_output(t) is not None else []
            if t < T:
                terms.append(sp.MatMul(sp.Transpose(P.W_hh), delta(t + 1)))
            backward.append(Step(grad(h), total(terms), "bptt_hidden"))
            backward.append(
                Step(grad(gate("o", t)), hadamard(grad(h), Apply("tanh", c(t))), "lstm_output")
            )
            cell = [hadamard(grad(h), gate("o", t), Apply("tanh", c(t), 1))]
            if t < T:
                cell.append(hadamard(grad(c(t + 1)), gate("f", t + 1)))
            backward.append(Step(grad(c(t)), total(cell), "lstm_cell_path"))
            previous = c(t - 1)
            forget = sp.ZeroMatrix(H, 1) if previous is None else hadamard(grad(c(t)), previous)
            note = "c_0 = 0" if previous is None else ""
            backward.append(Step(grad(gate("f", t)), forget, "cell_update", note))
            backward.append(
                Step(grad(gate("i", t)), hadamard(grad(c(t)), gate("g", t)), "cell_update")
            )
            backward.append(
                Step(grad(gate("g", t)), hadamard(grad(c(t)), gate("i", t)), "cell_update")
            )
            blocks = [
                hadamard(grad(gate(name, t)), f(name, pre(name, t), 1)) for name in self.order
            ]
            value = stacked(blocks)
            backward.append(Step(delta(t), value, "lstm_gate_delta"))
            adjoints.append(Step(delta(t), value, "result"))
        return MatrixRule(
            forward=tuple(forward),
            backward=tuple(backward),
            adjoints=tuple(adjoints),
            pullbacks=(P.pullback(delta),),
            gradients=tuple(P.gradients(delta)),
            explicit=(None,),
        )

    # -- batched NumPy ---------------------------------------------------------------------------
    def _slices(self, array: str) -> dict[str, str]:
        H = self.hidden
        return {n: f"{array}[:, t, {q * H}:{(q + 1) * H}]" for q, n in enumerate(self.order)}

    def forward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        T, H = self.steps, self.hidden
        z, s = self._slices(f"Z{l}"), self._slices(f"S{l}")
        c0 = "0.0" if self.c0 is None else f"numpy.array({list(self.c0)!r})"
        c.emit(f"C{l} = numpy.empty((N, {T + 1}, {H}))  # C{l}[:, t] is c_t; c_0 first")
        c.emit(f"C{l}[:, 0] = {c0}")
        c.emit(f"S{l} = numpy.empty((N, {T}, {4 * H}))  # the gates i, f, g, o as Z{l} stacks them")
        c.emit(f"for t in range({T}):")
        c.emit(f"    Z{l}[:, t] += H{l}[:, t] @ {names['hh']}.T")
        for n in ("i", "f", "o"):
            c.emit(f"    {s[n]} = {c.call('sigmoid', z[n])}")
        c.emit(f"    {s['g']} = numpy.tanh({z['g']})")
        c.emit(f"    C{l}[:, t + 1] = {s['f']} * C{l}[:, t] + {s['i']} * {s['g']}")
        c.emit(f"    H{l}[:, t + 1] = {s['o']} * numpy.tanh(C{l}[:, t + 1])")

    def backward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        s, d = self._slices(f"S{l}"), self._slices(f"D{l}")
        H = self.hidden
        c.emit(f"R{l} = numpy.zeros((N, {H}))  # ∂L/∂h_t through h_(t+1)")
        c.emit(f"Rc{l} = numpy.zeros((N, {H}))  # ∂L/∂c_t through c_(t+1)")
        c.emit(f"for t in range({self.steps - 1}, -1, -1):")
        c.emit(f"    Dh{l} = G{l}[:, t] + R{l}  # ∂L/∂h_t")
        c.emit(f"    Tc{l} = numpy.tanh(C{l}[:, t + 1])")
        c.emit(f"    Dc{l} = Dh{l} * {s['o']} * (1 - Tc{l}**2) + Rc{l}  # ∂L/∂c_t")
        c.emit(f"    {d['i']} = Dc{l} * {s['g']} * {s['i']} * (1 - {s['i']})")
        c.emit(f"    {d['f']} = Dc{l} * C{l}[:, t] * {s['f']} * (1 - {s['f']})")
        c.emit(f"    {d['g']} = Dc{l} * {s['i']} * (1 - {s['g']}**2)")
        c.emit(f"    {d['o']} = Dh{l} * Tc{l} * {s['o']} * (1 - {s['o']})")
        c.emit(f"    Rc{l} = Dc{l} * {s['f']}")
        c.emit(f"    R{l} = D{l}[:, t] @ {names['hh']}")


nt.matrix_family("cseq", "c", lambda l, idx, i, j: nt.quantity("c", l, idx[0], i + 1))
for _gate in ("i", "f", "g", "o"):
    nt.matrix_family(
        f"{_gate}gate", _gate, lambda l, idx, i, j, g=_gate: nt.quantity(f"g{g}", l, idx[0], i + 1)
    )

RULES.setdefault(
    "lstm_cell_path",
    "the cell state's gradient: from h at its step, and from the next cell state through the "
    "forget gate only",
)
RULES.setdefault(
    "lstm_gate_delta", "δ stacks each gate's gradient times its activation's derivative"
)

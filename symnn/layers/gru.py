"""Gru: the gated recurrent unit, unrolled over T steps, as PyTorch's ``nn.GRU`` computes it.

q_t = W_ih x_t + b_ih and p_t = W_hh h_{t−1} + b_hh (3H entries each, the blocks r, ζ, n stacked
as rows); r = σ(q_r + p_r), ζ = σ(q_ζ + p_ζ) (PyTorch's z, the update gate),
n = tanh(q_n + r ⊙ p_n): the reset gate is applied AFTER the hidden matmul, to W_hn h_{t−1} + b_hn
(the default, ``reset = "after"``). ``reset = "before"`` is Cho et al. 2014's GRU: the reset gate
multiplies h_{t−1} before the matmul, p_n = W_hn (r ⊙ h_{t−1}) + b_hn and n = tanh(q_n + p_n).
h_t = (1 − ζ) ⊙ n + ζ ⊙ h_{t−1}. Going back through time, ∂L/∂h_{t−1} gains ∂L/∂h_t ⊙ ζ
directly, besides what flows through W_hh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.matexpr import Apply, Grad, Rows
from symnn.core.steps import RULES, Step
from symnn.layers.base import ArrayCode, MatrixContext, MatrixRule, fail, layer
from symnn.layers.recurrent import (
    GATE,
    GRU_HIDDEN,
    PRE_ACTIVATION,
    MatrixParts,
    Recurrent,
    _affine,
    activation,
    stacked,
    total,
)

GATES = ("r", "z", "n")  # PyTorch's stacking order in W_ih, W_hh
RESETS = ("after", "before")  # PyTorch's (the default), Cho et al. 2014's


@layer
@dataclass(frozen=True)
class Gru(Recurrent):
    """A GRU over a (T, d) sequence, writing the (T, H) hidden sequence.

    Examples:
        >>> from symnn import Network
        >>> net = Network(4, [Gru(2)], "squared_error", input_shape=[2, 2])
        >>> net.parameter_shapes()
        [('Wih1', (6, 2)), ('Whh1', (6, 2)), ('bih1', (6,)), ('bhh1', (6,))]
    """

    kind: ClassVar[str] = "gru"
    gates: ClassVar[int] = 3
    sympy_check_limit: ClassVar[int] = 3  # see Lstm
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a sequence loss on the hidden states: T = 2, d = 1, H = 2, a given h_0
            "inputs": 2,
            "input_shape": [2, 1],
            "layers": [{"kind": "gru", "hidden": 2, "h0": [0.4, -0.3]}],
            "loss": "squared_error",
        },
        {  # no biases; the last state, then a read-out
            "inputs": 4,
            "input_shape": [2, 2],
            "layers": [
                {"kind": "gru", "hidden": 1, "bias": False, "returns": "last"},
                {"units": 1},
            ],
            "loss": "mse",
        },
        {  # Cho et al. 2014's reset gate, before the hidden matmul; a given h_0
            "inputs": 2,
            "input_shape": [2, 1],
            "layers": [{"kind": "gru", "hidden": 2, "reset": "before", "h0": [0.3, -0.4]}],
            "loss": "squared_error",
        },
        {  # Cho's reset gate, h_0 = 0, no biases; the last state, then a read-out
            "inputs": 2,
            "input_shape": [2, 1],
            "layers": [
                {"kind": "gru", "hidden": 1, "reset": "before", "bias": False, "returns": "last"},
                {"units": 1},
            ],
            "loss": "mse",
        },
    )

    reset: str = "after"

    title: ClassVar[str] = "GRU"

    @property
    def stacking(self) -> str:
        common = (
            r"the blocks r, z, n stacked as rows (PyTorch's order); $q_t = W_{ih} x_t + b_{ih}$, "
        )
        if self.reset == "before":
            return common + (
                r"$p_t = W_{hh} h_{t-1} + b_{hh}$ for the blocks r and z, and the reset gate "
                r"multiplies the previous state before the matmul (Cho et al. 2014, not PyTorch's "
                r"default): $p_n = W_{hn} (r \odot h_{t-1}) + b_{hn}$, $n = \tanh(q_n + p_n)$; "
                r"the update gate is written $\zeta$"
            )
        return common + (
            r"$p_t = W_{hh} h_{t-1} + b_{hh}$, and the reset gate multiplies the hidden part after "
            r"the matmul (PyTorch's convention; Cho et al. 2014 apply it before): "
            r"$n = \tanh(q_n + r \odot p_n)$; the update gate is written $\zeta$"
        )

    def _checked_extra(self, key: str, hidden: int) -> dict:
        if self.reset not in RESETS:
            raise fail(
                f"{key}.reset",
                "'after' (PyTorch's: r ⊙ (W_hn h + b_hn)) or 'before' (Cho et al. 2014's: "
                "W_hn (r ⊙ h) + b_hn)",
                self.reset,
            )
        return {}

    def blocks(self, values):
        H = self.hidden
        return {name: values[q * H : (q + 1) * H] for q, name in enumerate(GATES)}

    # -- element level -------------------------------------------------------------------------
    def step(self, g, block, t, from_x, from_h, h, state):
        q = self.blocks(self.define_nodes(g, block, t, "q", PRE_ACTIVATION, 6, from_x))
        if self.reset == "before":  # p_n is defined below, once r is known
            from_h = from_h[: 2 * self.hidden]
        p = self.blocks(self.define_nodes(g, block, t, "p", PRE_ACTIVATION, 7, from_h))
        sums = {k: [a + b for a, b in zip(q[k], p[k], strict=True)] for k in ("r", "z")}
        r = self.define_nodes(
            g, block, t, "gr", GATE, 2, [activation("sigmoid", v) for v in sums["r"]]
        )
        z = self.define_nodes(
            g, block, t, "gz", GATE, 3, [activation("sigmoid", v) for v in sums["z"]]
        )
        if self.reset == "before":
            p["n"] = self._reset_before(g, block, t, [rj * hj for rj, hj in zip(r, h, strict=True)])
            candidates = [
                activation("tanh", qn + pn) for qn, pn in zip(q["n"], p["n"], strict=True)
            ]
        else:
            candidates = [
                activation("tanh", qn + rj * pn)
                for qn, rj, pn in zip(q["n"], r, p["n"], strict=True)
            ]
        n = self.define_nodes(g, block, t, "gn", GATE, 4, candidates)
        new = [(1 - zj) * nj + zj * hj for zj, nj, hj in zip(z, n, h, strict=True)]
        return self.define_nodes(g, block, t, "h", GRU_HIDDEN, 0, new), None

    def _reset_before(self, g, block: int, t: int, reset_h: list) -> list:
        """Cho's p_n = W_hn (r ⊙ h_{t−1}) + b_hn: entries 2H + 1 … 3H of p_t."""
        H, names = self.hidden, self.parameter_names(block)
        u = g.array(names["hh"]).symbols
        b_hh = g.array(names["bhh"]).symbols if "bhh" in names else None
        rows = range(2 * H, 3 * H)
        exprs = [
            _affine([u[j, k] for k in range(H)], reset_h, b_hh[j] if b_hh is not None else None)
            for j in rows
        ]
        symbols = [nt.quantity("p", block, t, j + 1) for j in rows]
        units = [self._unit(t, 5, j + 1) for j in rows]
        return g.define(symbols, exprs, PRE_ACTIVATION, block, units)

    # -- the matrix level: backpropagation through time, one sample, step by step -------------
    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """BPTT through the gates: ∂L/∂h_t gathers the output's gradient at t, W_hhᵀ ∂L/∂p_{t+1}
        and ∂L/∂h_{t+1} ⊙ ζ_{t+1}; ∂L/∂q_t and ∂L/∂p_t stack the gates' blocks; the shared
        weights' gradients sum over t (W_ih's over ∂L/∂q_t, W_hh's over ∂L/∂p_t)."""
        P = MatrixParts(self, m.block, m.inputs[0], m.output, m.adjoint_name)
        T, H = self.steps, self.hidden
        rows, before = self.rows, self.reset == "before"
        b_ih, b_hh = ([*P.biases, None, None])[:2]
        hadamard, ones = sp.HadamardProduct, sp.OneMatrix(H, 1)
        span = {name: (k * H + 1, (k + 1) * H) for k, name in enumerate(GATES)}
        gate_of = {"r": "rgate", "z": "zgate", "n": "ngate"}

        def q(t: int) -> sp.MatrixSymbol:
            return P.vector("qseq", t, rows)

        def p(t: int) -> sp.MatrixSymbol:
            return P.vector("pseq", t, rows)

        def block(v: sp.MatrixExpr, name: str) -> sp.MatrixExpr:
            return Rows(v, *span[name])

        def gate(name: str, t: int) -> sp.MatrixSymbol:
            return P.vector(gate_of[name], t)

        def grad(v: sp.MatrixExpr) -> Grad:
            return Grad(nt.LOSS, v)

        def candidate_input(t: int) -> sp.MatrixExpr:
            if before:
                return sp.MatAdd(block(q(t), "n"), block(p(t), "n"))
            return sp.MatAdd(block(q(t), "n"), hadamard(gate("r", t), block(p(t), "n")))

        def affine(weights, vector, bias) -> sp.MatrixExpr:
            terms = [] if vector is None else [sp.MatMul(weights, vector)]
            terms += [] if bias is None else [bias]
            return total(terms) if terms else sp.ZeroMatrix(weights.shape[0], 1)

        def part(matrix, first: int, last: int):
            return None if matrix is None else Rows(matrix, first, last)

        forward = []
        for t in range(1, T + 1):
            h_prev = P.h(t - 1)
            note = "h_0 = 0" if t == 1 and self.h0 is None else ""
            forward.append(Step(q(t), affine(P.W_ih, P.x(t), b_ih), "definition"))
            if before:
                value = affine(Rows(P.W_hh, 1, 2 * H), h_prev, part(b_hh, 1, 2 * H))
                forward.append(Step(Rows(p(t), 1, 2 * H), value, "definition", note))
            else:
                forward.append(Step(p(t), affine(P.W_hh, h_prev, b_hh), "definition", note))
            for name in ("r", "z"):
                value = Apply("sigmoid", sp.MatAdd(block(q(t), name), block(p(t), name)))
                forward.append(Step(gate(name, t), value, "definition"))
            if before:
                reset_h = None if h_prev is None else hadamard(gate("r", t), h_prev)
                value = affine(block(P.W_hh, "n"), reset_h, part(b_hh, *span["n"]))
                forward.append(Step(block(p(t), "n"), value, "gru_reset_before", note))
            forward.append(Step(gate("n", t), Apply("tanh", candidate_input(t)), "definition"))
            kept = hadamard(sp.MatAdd(ones, -gate("z", t)), gate("n", t))
            value = kept if h_prev is None else sp.MatAdd(kept, hadamard(gate("z", t), h_prev))
            forward.append(Step(P.h(t), value, "definition", note))
        forward.append(P.output_definition())

        backward, adjoints = [], []
        for t in range(T, 0, -1):
            h, h_prev = P.h(t), P.h(t - 1)
            terms = [P.from_output(t)] if P.from_output(t) is not None else []
            if t < T:
                if before:
                    rz = Rows(grad(p(t + 1)), 1, 2 * H)
                    terms.append(sp.MatMul(sp.Transpose(Rows(P.W_hh, 1, 2 * H)), rz))
                    through_n = sp.MatMul(
                        sp.Transpose(block(P.W_hh, "n")), block(grad(p(t + 1)), "n")
                    )
                    terms.append(hadamard(gate("r", t + 1), through_n))
                else:
                    terms.append(sp.MatMul(sp.Transpose(P.W_hh), grad(p(t + 1))))
                terms.append(hadamard(grad(P.h(t + 1)), gate("z", t + 1)))
            rule = "gru_bptt_hidden" if t < T else "bptt_hidden"
            backward.append(Step(grad(h), total(terms), rule))
            value = hadamard(grad(h), sp.MatAdd(ones, -gate("z", t)))
            backward.append(Step(grad(gate("n", t)), value, "gru_update"))
            if h_prev is None:
                gap = sp.MatMul(-1, gate("n", t))
            else:
                gap = sp.MatAdd(h_prev, -gate("n", t))
            backward.append(Step(grad(gate("z", t)), hadamard(grad(h), gap), "gru_update"))
            through = hadamard(grad(gate("n", t)), Apply("tanh", candidate_input(t), 1))
            if before:
                if h_prev is None:
                    value, note = sp.ZeroMatrix(H, 1), "h_0 = 0"
                else:
                    back = sp.MatMul(sp.Transpose(block(P.W_hh, "n")), through)
                    value, note = hadamard(back, h_prev), ""
                backward.append(Step(grad(gate("r", t)), value, "gru_reset_gate", note))
            else:
                value = hadamard(through, block(p(t), "n"))
                backward.append(Step(grad(gate("r", t)), value, "gru_reset_gate"))
            sigma = {
                name: Apply("sigmoid", sp.MatAdd(block(q(t), name), block(p(t), name)), 1)
                for name in ("r", "z")
            }
            dq = stacked(
                [
                    hadamard(grad(gate("r", t)), sigma["r"]),
                    hadamard(grad(gate("z", t)), sigma["z"]),
                    through,
                ]
            )
            backward.append(Step(grad(q(t)), dq, "gru_gate_delta"))
            adjoints.append(Step(grad(q(t)), dq, "result"))
            if before:
                dp, note = grad(q(t)), "p enters every block as q does"
            else:
                dp = stacked(
                    [
                        Rows(grad(q(t)), 1, 2 * H),
                        hadamard(block(grad(q(t)), "n"), gate("r", t)),
                    ]
                )
                note = "the reset gate multiplies p_n"
            backward.append(Step(grad(p(t)), dp, "gru_hidden_part", note))
            adjoints.append(Step(grad(p(t)), dp, "result"))

        def dq_of(t: int) -> Grad:
            return grad(q(t))

        def dp_of(t: int) -> Grad:
            return grad(p(t))

        gradients = P.gradients(dq_of, dp_of)
        if before:
            terms = [
                sp.BlockMatrix(
                    [
                        [sp.MatMul(Rows(dp_of(t), 1, 2 * H), sp.Transpose(P.h(t - 1)))],
                        [
                            sp.MatMul(
                                block(dp_of(t), "n"),
                                sp.Transpose(hadamard(gate("r", t), P.h(t - 1))),
                            )
                        ],
                    ]
                )
                for t in range(1, T + 1)
                if P.h(t - 1) is not None
            ]
            value = total(terms) if terms else sp.ZeroMatrix(rows, H)
            old = gradients[1]
            gradients[1] = Step(old.lhs, value, old.rule, old.note)
        return MatrixRule(
            forward=tuple(forward),
            backward=tuple(backward),
            adjoints=tuple(adjoints),
            pullbacks=(P.pullback(dq_of),),
            gradients=tuple(gradients),
            explicit=(None,),
        )

    # -- oracle ----------------------------------------------------------------------------------
    def oracle_initial(self, anp, n: int, recurrent=None):
        return recurrent if self.reset == "before" else None

    def oracle_step(self, o, from_x, from_h, h, state):
        anp, H = o.anp, self.hidden
        q = {name: from_x[:, k * H : (k + 1) * H] for k, name in enumerate(GATES)}
        p = {name: from_h[:, k * H : (k + 1) * H] for k, name in enumerate(GATES)}
        sigmoid = o.activations["sigmoid"]
        r = sigmoid(q["r"] + p["r"], {})
        z = sigmoid(q["z"] + p["z"], {})
        if self.reset == "before":  # Cho et al.: W_hn (r ⊙ h) + b_hn
            W_hh, b_hh = state
            b_hn = b_hh[2 * H :] if anp.ndim(b_hh) else 0.0
            n = anp.tanh(q["n"] + anp.dot(r * h, W_hh[2 * H :].T) + b_hn)
        else:
            n = anp.tanh(q["n"] + r * p["n"])
        return (1 - z) * n + z * h, state

    # -- batched NumPy ---------------------------------------------------------------------------
    def input_bias(self, names: dict[str, str]) -> str:
        return names.get("bih", "")  # b_hh stays with W_hh h: the reset gate multiplies both

    def _slices(self, array: str) -> dict[str, str]:
        H = self.hidden
        return {n: f"{array}[:, t, {k * H}:{(k + 1) * H}]" for k, n in enumerate(GATES)}

    def forward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        T, H = self.steps, self.hidden
        q, p, s = self._slices(f"Z{l}"), self._slices(f"P{l}"), self._slices(f"S{l}")
        both = f"{2 * H}"
        c.emit(f"P{l} = numpy.empty((N, {T}, {3 * H}))  # W_hh h_(t-1) + b_hh, blocks r, z, n")
        c.emit(f"S{l} = numpy.empty((N, {T}, {3 * H}))  # the gates r, z and the candidate n")
        if self.reset == "before":
            bias = {
                part: f" + {names['bhh']}[{span}]" if "bhh" in names else ""
                for part, span in (("rz", f":{both}"), ("n", f"{both}:"))
            }
            c.emit(f"Hr{l} = numpy.empty((N, {T}, {H}))  # r_t ⊙ h_(t-1), what W_hn multiplies")
            c.emit(f"for t in range({T}):")
            c.emit(f"    P{l}[:, t, :{both}] = H{l}[:, t] @ {names['hh']}[:{both}].T{bias['rz']}")
        else:
            bias = f" + {names['bhh']}" if "bhh" in names else ""
            c.emit(f"for t in range({T}):")
            c.emit(f"    P{l}[:, t] = H{l}[:, t] @ {names['hh']}.T{bias}")
        c.emit(
            f"    S{l}[:, t, :{both}] = "
            f"{c.call('sigmoid', f'Z{l}[:, t, :{both}] + P{l}[:, t, :{both}]')}"
        )
        if self.reset == "before":
            c.emit(f"    Hr{l}[:, t] = {s['r']} * H{l}[:, t]")
            c.emit(f"    {p['n']} = Hr{l}[:, t] @ {names['hh']}[{both}:].T{bias['n']}")
            c.emit(f"    {s['n']} = numpy.tanh({q['n']} + {p['n']})")
        else:
            c.emit(f"    {s['n']} = numpy.tanh({q['n']} + {s['r']} * {p['n']})")
        c.emit(f"    H{l}[:, t + 1] = (1 - {s['z']}) * {s['n']} + {s['z']} * H{l}[:, t]")

    def backward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        s, d, e, p = (self._slices(f"{a}{l}") for a in ("S", "D", "E", "P"))
        H, T = self.hidden, self.steps
        both = 2 * H
        if self.reset != "before":
            c.emit(f"E{l} = numpy.empty((N, {T}, {3 * H}))  # E{l}[:, t-1]: ∂L/∂p_t")
        c.emit(f"R{l} = numpy.zeros((N, {H}))  # ∂L/∂h_t from step t+1")
        c.emit(f"for t in range({T - 1}, -1, -1):")
        c.emit(f"    Dh{l} = G{l}[:, t] + R{l}  # ∂L/∂h_t")
        c.emit(f"    {d['n']} = Dh{l} * (1 - {s['z']}) * (1 - {s['n']}**2)  # ∂L/∂q_n")
        if self.reset == "before":  # ∂L/∂p_t = ∂L/∂q_t: p enters every block as q does
            c.emit(f"    Dr{l} = {d['n']} @ {names['hh']}[{both}:]  # ∂L/∂(r ⊙ h_(t-1))")
            c.emit(f"    {d['r']} = Dr{l} * H{l}[:, t] * {s['r']} * (1 - {s['r']})")
        else:
            c.emit(f"    {d['r']} = {d['n']} * {p['n']} * {s['r']} * (1 - {s['r']})")
        c.emit(f"    {d['z']} = Dh{l} * (H{l}[:, t] - {s['n']}) * {s['z']} * (1 - {s['z']})")
        if self.reset == "before":
            c.emit(
                f"    R{l} = D{l}[:, t, :{both}] @ {names['hh']}[:{both}] + Dr{l} * {s['r']}"
                f" + Dh{l} * {s['z']}"
            )
        else:
            c.emit(f"    E{l}[:, t, :{both}] = D{l}[:, t, :{both}]")
            c.emit(f"    {e['n']} = {d['n']} * {s['r']}")
            c.emit(f"    R{l} = E{l}[:, t] @ {names['hh']} + Dh{l} * {s['z']}")

    def recurrent_gradient(self, l: int, names: dict[str, str]) -> str:
        H = self.hidden
        if self.reset == "before":
            both = 2 * H
            return (
                f"numpy.vstack((D{l}[..., :{both}].reshape(-1, {both}).T @ "
                f"H{l}[:, :-1].reshape(-1, {H}), D{l}[..., {both}:].reshape(-1, {H}).T @ "
                f"Hr{l}.reshape(-1, {H})))"
            )
        return f"E{l}.reshape(-1, {self.rows}).T @ H{l}[:, :-1].reshape(-1, {H})"

    def bias_gradient(self, l: int, role: str) -> str:
        source = "D" if role == "bih" or self.reset == "before" else "E"
        return f"{source}{l}.sum(axis=(0, 1))"


nt.matrix_family("qseq", "q", lambda l, idx, i, j: nt.quantity("q", l, idx[0], i + 1))
nt.matrix_family("pseq", "p", lambda l, idx, i, j: nt.quantity("p", l, idx[0], i + 1))
nt.matrix_family("rgate", "r", lambda l, idx, i, j: nt.quantity("gr", l, idx[0], i + 1))
nt.matrix_family("zgate", r"\zeta", lambda l, idx, i, j: nt.quantity("gz", l, idx[0], i + 1))
nt.matrix_family("ngate", "n", lambda l, idx, i, j: nt.quantity("gn", l, idx[0], i + 1))

RULES.setdefault(
    "gru_bptt_hidden",
    "backpropagation through time: h feeds the output at its step, the next step's p through "
    "the recurrent weights, and the next state directly through the update gate",
)
RULES.setdefault("gru_reset_gate", "derivative through the candidate n to the reset gate r")
RULES.setdefault(
    "gru_reset_before", "Cho et al. 2014: the reset gate multiplies h before the matmul"
)
RULES.setdefault(
    "gru_gate_delta", "each block of ∂L/∂q is its gate's gradient times its activation's derivative"
)
RULES.setdefault(
    "gru_hidden_part",
    "the recurrent part p enters the gate blocks as q does, its last block through the reset gate",
)

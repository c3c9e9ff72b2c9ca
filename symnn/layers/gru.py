"""Gru: the gated recurrent unit, unrolled over T steps, as PyTorch's ``nn.GRU`` computes it.

q_t = W_ih x_t + b_ih and p_t = W_hh h_{t−1} + b_hh (3H entries each, the blocks r, ζ, n stacked
as rows); r = σ(q_r + p_r), ζ = σ(q_ζ + p_ζ) (PyTorch's z, the update gate),
n = tanh(q_n + r ⊙ p_n): the reset gate is applied AFTER the hidden matmul, to W_hn h_{t−1} + b_hn
(Cho et al. 2014 apply it before: W_hn (r ⊙ h_{t−1})); h_t = (1 − ζ) ⊙ n + ζ ⊙ h_{t−1}.
Going back through time, ∂L/∂h_{t−1} gains ∂L/∂h_t ⊙ ζ directly, besides what flows through W_hh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from symnn.layers.base import ArrayCode, layer
from symnn.layers.recurrent import GATE, GRU_HIDDEN, PRE_ACTIVATION, Recurrent, activation

GATES = ("r", "z", "n")  # PyTorch's stacking order in W_ih, W_hh


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
    )

    title: ClassVar[str] = "GRU"
    stacking: ClassVar[str] = (
        r"the blocks r, z, n stacked as rows (PyTorch's order); $q_t = W_{ih} x_t + b_{ih}$, "
        r"$p_t = W_{hh} h_{t-1} + b_{hh}$, and the reset gate multiplies the hidden part after "
        r"the matmul: $n = \tanh(q_n + r \odot p_n)$; the update gate is written $\zeta$"
    )

    def blocks(self, values):
        H = self.hidden
        return {name: values[q * H : (q + 1) * H] for q, name in enumerate(GATES)}

    # -- element level -------------------------------------------------------------------------
    def step(self, g, block, t, from_x, from_h, h, state):
        q = self.blocks(self.define_nodes(g, block, t, "q", PRE_ACTIVATION, 6, from_x))
        p = self.blocks(self.define_nodes(g, block, t, "p", PRE_ACTIVATION, 7, from_h))
        sums = {k: [a + b for a, b in zip(q[k], p[k], strict=True)] for k in ("r", "z")}
        r = self.define_nodes(
            g, block, t, "gr", GATE, 2, [activation("sigmoid", v) for v in sums["r"]]
        )
        z = self.define_nodes(
            g, block, t, "gz", GATE, 3, [activation("sigmoid", v) for v in sums["z"]]
        )
        candidates = [
            activation("tanh", qn + rj * pn) for qn, rj, pn in zip(q["n"], r, p["n"], strict=True)
        ]
        n = self.define_nodes(g, block, t, "gn", GATE, 4, candidates)
        new = [(1 - zj) * nj + zj * hj for zj, nj, hj in zip(z, n, h, strict=True)]
        return self.define_nodes(g, block, t, "h", GRU_HIDDEN, 0, new), None

    # -- oracle ----------------------------------------------------------------------------------
    def oracle_step(self, o, from_x, from_h, h, state):
        anp, H = o.anp, self.hidden
        q = {name: from_x[:, k * H : (k + 1) * H] for k, name in enumerate(GATES)}
        p = {name: from_h[:, k * H : (k + 1) * H] for k, name in enumerate(GATES)}
        sigmoid = o.activations["sigmoid"]
        r = sigmoid(q["r"] + p["r"], {})
        z = sigmoid(q["z"] + p["z"], {})
        n = anp.tanh(q["n"] + r * p["n"])
        return (1 - z) * n + z * h, None

    # -- batched NumPy ---------------------------------------------------------------------------
    def input_bias(self, names: dict[str, str]) -> str:
        return names.get("bih", "")  # b_hh stays with W_hh h: the reset gate multiplies both

    def _slices(self, array: str) -> dict[str, str]:
        H = self.hidden
        return {n: f"{array}[:, t, {k * H}:{(k + 1) * H}]" for k, n in enumerate(GATES)}

    def forward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        T, H = self.steps, self.hidden
        q, p, s = self._slices(f"Z{l}"), self._slices(f"P{l}"), self._slices(f"S{l}")
        bias = f" + {names['bhh']}" if "bhh" in names else ""
        c.emit(f"P{l} = numpy.empty((N, {T}, {3 * H}))  # W_hh h_(t-1) + b_hh, blocks r, z, n")
        c.emit(f"S{l} = numpy.empty((N, {T}, {3 * H}))  # the gates r, z and the candidate n")
        c.emit(f"for t in range({T}):")
        c.emit(f"    P{l}[:, t] = H{l}[:, t] @ {names['hh']}.T{bias}")
        both = f"{2 * H}"
        c.emit(
            f"    S{l}[:, t, :{both}] = "
            f"{c.call('sigmoid', f'Z{l}[:, t, :{both}] + P{l}[:, t, :{both}]')}"
        )
        c.emit(f"    {s['n']} = numpy.tanh({q['n']} + {s['r']} * {p['n']})")
        c.emit(f"    H{l}[:, t + 1] = (1 - {s['z']}) * {s['n']} + {s['z']} * H{l}[:, t]")

    def backward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        s, d, e, p = (self._slices(f"{a}{l}") for a in ("S", "D", "E", "P"))
        H, T = self.hidden, self.steps
        c.emit(f"E{l} = numpy.empty((N, {T}, {3 * H}))  # E{l}[:, t-1]: ∂L/∂p_t")
        c.emit(f"R{l} = numpy.zeros((N, {H}))  # ∂L/∂h_t from step t+1")
        c.emit(f"for t in range({T - 1}, -1, -1):")
        c.emit(f"    Dh{l} = G{l}[:, t] + R{l}  # ∂L/∂h_t")
        c.emit(f"    {d['n']} = Dh{l} * (1 - {s['z']}) * (1 - {s['n']}**2)  # ∂L/∂q_n")
        c.emit(f"    {d['r']} = {d['n']} * {p['n']} * {s['r']} * (1 - {s['r']})")
        c.emit(f"    {d['z']} = Dh{l} * (H{l}[:, t] - {s['n']}) * {s['z']} * (1 - {s['z']})")
        c.emit(f"    E{l}[:, t, :{2 * H}] = D{l}[:, t, :{2 * H}]")
        c.emit(f"    {e['n']} = {d['n']} * {s['r']}")
        c.emit(f"    R{l} = E{l}[:, t] @ {names['hh']} + Dh{l} * {s['z']}")

    def recurrent_gradient(self, l: int, names: dict[str, str]) -> str:
        return f"E{l}.reshape(-1, {self.rows}).T @ H{l}[:, :-1].reshape(-1, {self.hidden})"

    def bias_gradient(self, l: int, role: str) -> str:
        return f"{'D' if role == 'bih' else 'E'}{l}.sum(axis=(0, 1))"

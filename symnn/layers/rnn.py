"""Rnn: the Elman recurrent layer h_t = f(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), unrolled over T.

PyTorch's ``nn.RNN`` (two biases; ``convention = "cs231n"``: one bias b, as CS231n's
``rnn_step_forward``). The nodes of step t: the pre-activation z_t (node kind
``recurrent_input``, adjoint δ_t) and the hidden state h_t = f(z_t) (``hidden_state``). Going back
through time, ∂L/∂h_t = (from the output at t) + W_hhᵀ δ_{t+1} and δ_t = ∂L/∂h_t ⊙ f'(z_t), so
∂L/∂h_t carries the factor ∏ W_hhᵀ diag(f'(z)) from every later step: it vanishes or explodes
with the spectrum of W_hh. See ``symnn/layers/recurrent.py`` for what the kinds share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from symnn.core import notation as nt
from symnn.layers.base import ArrayCode, fail, layer, lookup
from symnn.layers.recurrent import HIDDEN, PRE_ACTIVATION, Recurrent, activation, code
from symnn.rules.activations import ACTIVATIONS


@layer
@dataclass(frozen=True)
class Rnn(Recurrent):
    """An Elman RNN over a (T, d) sequence, writing the (T, H) hidden sequence.

    Examples:
        >>> from symnn import Network
        >>> net = Network(6, [Rnn(2)], "squared_error", input_shape=[3, 2])
        >>> net.block_shapes, [n for n, _ in net.parameter_shapes()]
        (((3, 2), (3, 2)), ['Wih1', 'Whh1', 'bih1', 'bhh1'])
    """

    kind: ClassVar[str] = "rnn"
    conventions: ClassVar[tuple[str, ...]] = ("pytorch", "cs231n")
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a sequence loss on the hidden states themselves: T = 3, d = 1, H = 2
            "inputs": 3,
            "input_shape": [3, 1],
            "layers": [{"kind": "rnn", "hidden": 2}],
            "loss": "squared_error",
        },
        {  # many to one: the last state of a one-bias ReLU RNN, then a read-out
            "inputs": 4,
            "input_shape": [2, 2],
            "layers": [
                {
                    "kind": "rnn",
                    "hidden": 2,
                    "nonlinearity": "relu",
                    "convention": "cs231n",
                    "returns": "last",
                    "h0": [0.5, -0.25],
                },
                {"units": 1},
            ],
            "loss": "mse",
        },
    )

    nonlinearity: str = "tanh"

    def _checked_extra(self, key: str, hidden: int) -> dict:
        rule = lookup(ACTIVATIONS, self.nonlinearity, f"{key}.nonlinearity")
        if not rule.elementwise:
            raise fail(f"{key}.nonlinearity", "an elementwise activation", self.nonlinearity)
        return {}

    def step(self, g, block, t, from_x, from_h, h, state):
        sums = [a + b for a, b in zip(from_x, from_h, strict=True)]
        z = self.define_nodes(g, block, t, "zt", PRE_ACTIVATION, 1, sums)
        values = [activation(self.nonlinearity, zj) for zj in z]
        return self.define_nodes(g, block, t, "h", HIDDEN, 0, values), None

    def oracle_step(self, o, from_x, from_h, h, state):
        defaults = dict(ACTIVATIONS[self.nonlinearity].defaults)
        return o.activations[self.nonlinearity](from_x + from_h, defaults), None

    def forward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        z, h = nt.quantity("zt", l, 1, 1), nt.quantity("h", l, 1, 1)
        f = code(c, activation(self.nonlinearity, z), {z: f"Z{l}[:, t]"})
        c.emit(f"for t in range({self.steps}):")
        c.emit(f"    Z{l}[:, t] += H{l}[:, t] @ {names['hh']}.T  # z_t = … + W_hh h_(t-1)")
        c.emit(f"    H{l}[:, t + 1] = {f}")
        del h

    def backward_loop(self, c: ArrayCode, l: int, names: dict[str, str]) -> None:
        z, h = nt.quantity("zt", l, 1, 1), nt.quantity("h", l, 1, 1)
        f = activation(self.nonlinearity, z)
        derivative = f.diff(z)
        derivative = derivative if f == z else derivative.xreplace({f: h})
        text = code(c, derivative, {z: f"Z{l}[:, t]", h: f"H{l}[:, t + 1]"})
        c.emit(f"R{l} = numpy.zeros((N, {self.hidden}))  # ∂L/∂h_t through h_(t+1)")
        c.emit(f"for t in range({self.steps - 1}, -1, -1):")
        c.emit(f"    D{l}[:, t] = (G{l}[:, t] + R{l}) * ({text})  # δ_t")
        c.emit(f"    R{l} = D{l}[:, t] @ {names['hh']}")

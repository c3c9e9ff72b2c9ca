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

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.matexpr import Apply, Diag, Grad, Jac, Rows
from symnn.core.steps import RULES, Step
from symnn.layers.base import (
    ArrayCode,
    MatrixContext,
    MatrixRule,
    Pullback,
    constant,
    fail,
    layer,
    lookup,
)
from symnn.layers.recurrent import HIDDEN, PRE_ACTIVATION, Recurrent, activation, code
from symnn.rules.activations import ACTIVATIONS

# max |f'| of the nonlinearities whose bound is stated with numbers (tanh' ≤ 1, σ' ≤ 1/4).
MAX_SLOPE = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "identity": 1.0}


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

    title: ClassVar[str] = "Elman RNN"

    @property
    def stacking(self) -> str:
        f = nt.activation_latex(self.nonlinearity)
        return rf"$h_t = {f}(z_t)$ with $z_t = W_{{ih}} x_t + W_{{hh}} h_{{t-1}}$ plus the biases"

    def convention_statement(self, block: int) -> str:
        """The shared statement, and the factor one step back multiplies ∂L/∂h by, with numbers
        when the spec gives W_hh."""
        return f"{super().convention_statement(block)} {self.factor_statement()}"

    def factor_statement(self) -> str:
        """∂L/∂h_{t−k} carries ∏ W_hhᵀ diag(f'(z)) over k steps; its norm is at most
        (‖W_hh‖₂ max|f'|)^k, which vanishes when that is below 1."""
        f = nt.activation_latex(self.nonlinearity)
        text = (
            rf"Going back $k$ steps, $\partial L / \partial h_t$ is multiplied by "
            rf"$\prod W_{{hh}}^{{T}} \operatorname{{diag}}({f}'(z))$ (one factor per step), so "
            rf"its norm is at most $(\|W_{{hh}}\|_2 \max|{f}'|)^k$"
        )
        bound = MAX_SLOPE.get(self.nonlinearity)
        if self.weights_hh is None or bound is None:
            return text + ": below 1 it vanishes, above 1 it may explode."
        norm = float(np.linalg.norm(np.array(self.weights_hh, dtype=float), 2))
        radius = float(max(abs(np.linalg.eigvals(np.array(self.weights_hh, dtype=float)))))
        factor = norm * bound
        where = (
            rf"; here $\|W_{{hh}}\|_2 = {norm:.3g}$ (spectral radius ${radius:.3g}$) and "
            rf"$\max|{f}'| = {bound:g}$"
        )
        if factor < 1:
            return (
                text + where + rf", so at most ${factor:.3g}^k$ (${factor:.3g}^{{10}} \approx "
                rf"{factor**10:.2g}$): the gradient from far back vanishes."
            )
        return (
            text + where + rf", a bound of ${factor:.3g}^k$ that does not stop it exploding when "
            r"the units stay out of saturation."
        )

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

    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """BPTT for one sample: δ_t = ∂L/∂h_t ⊙ f'(z_t), ∂L/∂h_{t−1} = g_{t−1} + W_hhᵀ δ_t, and
        each shared weight's gradient a sum over t; the Jacobian ∂h_t/∂h_{t−1} = diag(f'(z_t))
        W_hh, whose product over steps vanishes or explodes."""
        l, T, d, H = m.block, self.steps, self.input_size, self.hidden
        fam = nt.family_matrix
        W_ih, W_hh = fam("Wih", l, shape=(H, d)), fam("Whh", l, shape=(H, H))
        names = self.parameter_names(l)
        if "bhh" in names:
            biases = [fam("bih", l, shape=(H, 1)), fam("bhh", l, shape=(H, 1))]
        else:
            biases = [fam("bone", l, shape=(H, 1))] if "bih" in names else []
        a_prev, a = m.inputs[0], m.output

        def x(t: int) -> sp.MatrixExpr:
            return Rows(a_prev, (t - 1) * d + 1, t * d)

        def h(t: int) -> sp.MatrixExpr | None:
            if t == 0:
                return None if self.h0 is None else sp.ImmutableMatrix([[v] for v in self.h0])
            return fam("hseq", l, t, shape=(H, 1))

        def z(t: int) -> sp.MatrixSymbol:
            return fam("zseq", l, t, shape=(H, 1))

        def delta(t: int) -> sp.MatrixSymbol:
            return fam("dseq", l, t, shape=(H, 1))

        rule = ACTIVATIONS[self.nonlinearity]
        params = tuple(constant(v) for v in rule.defaults.values())

        def f(v: sp.MatrixExpr, order: int = 0) -> Apply:
            return Apply(self.nonlinearity, v, order, params)

        forward = []
        for t in range(1, T + 1):
            terms = [sp.MatMul(W_ih, x(t)), *biases]
            if h(t - 1) is not None:
                terms.append(sp.MatMul(W_hh, h(t - 1)))
            note = "h_0 = 0" if t == 1 and self.h0 is None else ""
            forward.append(Step(z(t), _total(terms), "definition", note))
            forward.append(Step(h(t), f(z(t)), "definition"))
        stacked = self.returns == "sequence"
        out = sp.BlockMatrix([[h(t)] for t in range(1, T + 1)]) if stacked and T > 1 else h(T)
        forward.append(Step(a, out, "definition", "the layer's output block"))
        G = m.adjoint_name

        def from_output(t: int) -> sp.MatrixExpr | None:
            if stacked:
                return Rows(G, (t - 1) * H + 1, t * H) if T > 1 else G
            return G if t == T else None

        backward, adjoints = [], []
        for t in range(T, 0, -1):
            terms = [from_output(t)] if from_output(t) is not None else []
            if t < T:
                terms.append(sp.MatMul(sp.Transpose(W_hh), delta(t + 1)))
            backward.append(Step(Grad(nt.LOSS, h(t)), _total(terms), "bptt_hidden"))
            value = sp.HadamardProduct(Grad(nt.LOSS, h(t)), f(z(t), 1))
            backward.append(Step(delta(t), value, "bptt_delta"))
            adjoints.append(Step(delta(t), value, "result"))
        jacobians = [
            Step(Jac(h(t), h(t - 1)), sp.MatMul(Diag(f(z(t), 1)), W_hh), "bptt_factor")
            for t in range(2, T + 1)
        ]
        if T > 2:
            factors = [factor for t in range(T, 1, -1) for factor in (Diag(f(z(t), 1)), W_hh)]
            note = "the product over steps that vanishes or explodes with W_hh"
            jacobians.append(
                Step(Jac(h(T), h(1)), sp.MatMul(*factors), "jacobian_chain_rule", note)
            )
        steps = range(1, T + 1)
        recurrent = [
            sp.MatMul(delta(t), sp.Transpose(h(t - 1))) for t in steps if h(t - 1) is not None
        ]
        gradients = [
            Step(
                Grad(nt.LOSS, W_ih),
                _total([sp.MatMul(delta(t), sp.Transpose(x(t))) for t in steps]),
                "shared_over_time",
            ),
            Step(
                Grad(nt.LOSS, W_hh),
                _total(recurrent) if recurrent else sp.ZeroMatrix(H, H),
                "shared_over_time",
                "h_0 = 0, so from t = 2" if self.h0 is None else "",
            ),
        ]
        for b in biases:
            gradients.append(
                Step(Grad(nt.LOSS, b), _total([delta(t) for t in steps]), "shared_over_time")
            )
        back = [sp.MatMul(sp.Transpose(W_ih), delta(t)) for t in steps]
        pullback = Pullback(
            sp.MatMul(sp.Transpose(Jac(a, a_prev)), G),
            sp.BlockMatrix([[v] for v in back]) if T > 1 else back[0],
            "x_t reaches z_t only, through W_ih",
        )
        return MatrixRule(
            forward=tuple(forward),
            jacobians=tuple(jacobians),
            jacobian_head=Jac(h(T), h(1)) if T > 1 else None,
            backward=tuple(backward),
            adjoints=tuple(adjoints),
            pullbacks=(pullback,),
            gradients=tuple(gradients),
            explicit=(None,),
        )

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


# -- the matrix level: backpropagation through time, one sample, step by step ----------------

nt.matrix_family("Wih", r"W_{\mathrm{ih}}", lambda l, idx, i, j: nt.w(l, i + 1, j + 1))
nt.matrix_family("Whh", r"W_{\mathrm{hh}}", lambda l, idx, i, j: nt.quantity("u", l, i + 1, j + 1))
nt.matrix_family("bih", r"b_{\mathrm{ih}}", lambda l, idx, i, j: nt.b(l, i + 1))
nt.matrix_family("bhh", r"b_{\mathrm{hh}}", lambda l, idx, i, j: nt.quantity("bh", l, i + 1))
nt.matrix_family("bone", "b", lambda l, idx, i, j: nt.b(l, i + 1))
nt.matrix_family("hseq", "h", lambda l, idx, i, j: nt.quantity("h", l, idx[0], i + 1))
nt.matrix_family("zseq", "z", lambda l, idx, i, j: nt.quantity("zt", l, idx[0], i + 1))
nt.matrix_family(
    "dseq",
    r"\delta",
    lambda l, idx, i, j: nt.adjoint_quantity(nt.quantity("zt", l, idx[0], i + 1)),
)


RULES.setdefault(
    "bptt_hidden",
    "backpropagation through time: a hidden state's gradient gathers the output's at its step "
    "and the next step's, through the recurrent weights",
)
RULES.setdefault("bptt_delta", "δ = ∂L/∂z = ∂L/∂h ⊙ f'(z), step by step")
RULES.setdefault(
    "bptt_factor",
    "one step back multiplies by diag(f'(z)) and the recurrent weights; over many steps the "
    "product vanishes or explodes",
)


def _total(terms: list) -> sp.MatrixExpr:
    return terms[0] if len(terms) == 1 else sp.MatAdd(*terms)

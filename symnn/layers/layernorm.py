"""LayerNorm: each row of a block normalised to mean 0, variance 1, then scaled and shifted.

Per sample, over the last axis of the block: a (T, d) sequence block is normalised row by row
(each time step on its own), a plain vector of d entries as one row. For row t of width d,

    μ_t = (1/d) Σ_j x_tj,   σ²_t = (1/d) Σ_j (x_tj − μ_t)²   (the biased variance, as PyTorch),
    x̂_tj = (x_tj − μ_t) / √(σ²_t + ε),   a_tj = γ_j x̂_tj + β_j,

with γ (init 1) and β (init 0) shared by every row, as ``torch.nn.LayerNorm(d)``. μ, σ² and x̂
are named quantities of their own (node kinds ``mean``, ``variance``, ``normalised``), so the
derivation goes through them: ∂L/∂x̂ = γ ⊙ ∂L/∂a, then ∂L/∂σ², ∂L/∂μ, and ∂L/∂x sums the three
paths. Collected, that sum is the closed form (``closed_form_input_gradient``)

    ∂L/∂x_t = (1/d)(σ²_t + ε)^(−½) [d ∂L/∂x̂_t − Σ_j ∂L/∂x̂_tj − x̂_t Σ_j (∂L/∂x̂_tj x̂_tj)],

which the batched NumPy rule computes and a test checks against the element level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Diag, Grad, Grid, Jac, Map, Vec
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
    constant,
    fail,
    finite,
    layer,
    vector,
)

MU = nt.register_quantity("mu", r"\mu^{{({l})}}_{{{i}}}")
VAR = nt.register_quantity("var", r"\sigma^{{2\,({l})}}_{{{i}}}")
XHAT = nt.register_quantity("xhat", r"\hat{{x}}^{{({l})}}_{{{i}}}")
GAMMA = nt.register_quantity("gamma", r"\gamma^{{({l})}}_{{{i}}}")
BETA = nt.register_quantity("beta", r"\beta^{{({l})}}_{{{i}}}")

RULES.setdefault("mean", "derivative of the mean μ of a row: 1/d for each entry")
RULES.setdefault("variance", "derivative of the biased variance σ² = Σ (x − μ)² / d")
RULES.setdefault(
    "normalisation", "derivative of the normalised entry: (x − μ) over the root of σ² + ε"
)
RULES.setdefault("scale_shift", "derivative of the scale and shift γ·(normalised x) + β")
RULES.setdefault(
    "norm_closed_form", "the three paths, through the normalised x, σ² and μ, collected"
)

MEAN = NODE_KINDS.add("mean", NodeKind("mean", MU.adjoint, "mean", "mean", "mu", "dL_dmu", 4))
VARIANCE = NODE_KINDS.add(
    "variance", NodeKind("variance", VAR.adjoint, "variance", "variance", "var", "dL_dvar", 3)
)
NORMALISED = NODE_KINDS.add(
    "normalised",
    NodeKind("normalised", XHAT.adjoint, "normalisation", "normalised", "xhat", "dL_dxhat", 2),
)
NORM_OUT = NODE_KINDS.add(
    "norm_out", NodeKind("norm_out", nt.grad_a, "scale_shift", "scale and shift")
)


def rows_of(shape: tuple[int, ...]) -> tuple[int, int]:
    """(rows, width of a row) of a block normalised over its last axis."""
    return math.prod(shape[:-1]), shape[-1]


def normalise_groups(
    g: GraphBuilder, block: int, x: list[sp.Symbol], groups: list[list[int]], eps: float
) -> tuple[list[sp.Symbol], list[sp.Symbol]]:
    """μ, σ² of each group of entries of ``x`` (0-based positions) and x̂ of every entry.

    A layernorm's groups are the rows of its block, a batchnorm's the columns; returns (x̂ in
    the block's order, σ² by group), each a named definition.
    """
    l = block
    members = [[x[k] for k in group] for group in groups]
    count = range(1, len(groups) + 1)
    mu = g.define(
        [MU(l, n) for n in count],
        [sp.Rational(1, len(m)) * sp.Add(*m) for m in members],
        MEAN,
        l,
    )
    var = g.define(
        [VAR(l, n) for n in count],
        [
            sp.Rational(1, len(m)) * sp.Add(*((xj - c) ** 2 for xj in m))
            for m, c in zip(members, mu, strict=True)
        ],
        VARIANCE,
        l,
    )
    owner = {k: n for n, group in enumerate(groups) for k in group}
    eps_ = constant(eps)
    xhat = [
        (xk - mu[owner[k]]) * (var[owner[k]] + eps_) ** sp.Rational(-1, 2) for k, xk in enumerate(x)
    ]
    names = [XHAT(l, k) for k in range(1, len(x) + 1)]
    return g.define(names, xhat, NORMALISED, l), var


def scale_shift(
    g: GraphBuilder, block: int, xhat: list[sp.Symbol], d: int, affine: bool
) -> list[sp.Symbol]:
    """a = γ x̂ + β with γ, β indexed by the last axis (entry k reads γ_{k mod d}), or a = x̂."""
    l = block
    out: list[sp.Expr] = list(xhat)
    if affine:
        gamma = g.parameter(f"gamma{l}", sp.Array([GAMMA(l, j) for j in range(1, d + 1)]), l, True)
        beta = g.parameter(f"beta{l}", sp.Array([BETA(l, j) for j in range(1, d + 1)]), l, True)
        gs, bs = gamma.symbols.tolist(), beta.symbols.tolist()
        out = [gs[k % d] * xh + bs[k % d] for k, xh in enumerate(xhat)]
    return g.define([nt.a(l, k) for k in range(1, len(xhat) + 1)], out, NORM_OUT, l)


# -- the matrix level, shared with batchnorm: the block as a matrix X, statistics per row
# (layernorm, ``axis = 1``) or per column (batchnorm, ``axis = 0``) ----------------------------
RULES.setdefault(
    "norm_three_paths",
    "x reaches L through the normalised x, σ² and μ: the three paths add",
)
RULES.setdefault("norm_variance_adjoint", "σ² reaches L through each normalised entry of its group")
RULES.setdefault("norm_mean_adjoint", "μ reaches L through each normalised entry and through σ²")
RULES.setdefault("norm_scale_shift_backward", "Y = γ·(normalised X) + β, entry by entry")
RULES.setdefault("block_rows", "the block read as a matrix (row-major)")
RULES.setdefault("block_flat", "the block's adjoint, stored flat (row-major)")


def _norm_dims(net, l: int) -> tuple[int, int, int, int]:
    """(rows, d, axis, group size) of the norm layer ``l``: axis 1 per row, 0 per column."""
    norm = net.layers[l - 1]
    rows, d = norm.shape(net, l)
    axis = norm.axis
    return rows, d, axis, (d if axis == 1 else rows)


def _norm_block(net, block: int) -> list[sp.Symbol]:
    if block == 0:
        return [nt.x(k) for k in range(1, net.widths[0] + 1)]
    return [nt.a(block, k) for k in range(1, net.widths[block] + 1)]


def _grid_of(make):
    def entries(net, idx):
        (l,) = idx
        rows, d, _, _ = _norm_dims(net, l)
        flat = make(net, l, rows * d)
        return [flat[t * d : (t + 1) * d] for t in range(rows)]

    return entries


def _groups_of(make):
    def entries(net, idx):
        (l,) = idx
        rows, d, axis, _ = _norm_dims(net, l)
        return [[make(net, l, n)] for n in range(1, (rows if axis == 1 else d) + 1)]

    return entries


def _features_of(quantity):
    def entries(net, idx):
        (l,) = idx
        _, d, _, _ = _norm_dims(net, l)
        return [[quantity(l, j)] for j in range(1, d + 1)]

    return entries


def _root(net, l: int, n: int) -> sp.Expr:
    return (VAR(l, n) + constant(net.layers[l - 1].eps)) ** sp.Rational(-1, 2)


NX = nt.matrix_quantity(
    "nX", r"X^{{({l})}}", _grid_of(lambda net, l, n: _norm_block(net, net.sources[l - 1][0]))
)
NXHAT = nt.matrix_quantity(
    "nXhat",
    r"\hat{{X}}^{{({l})}}",
    _grid_of(lambda net, l, n: [XHAT(l, k) for k in range(1, n + 1)]),
)
NY = nt.matrix_quantity("nY", r"Y^{{({l})}}", _grid_of(lambda net, l, n: _norm_block(net, l)))
NMU = nt.matrix_quantity("nmu", r"\mu^{{({l})}}", _groups_of(lambda net, l, n: MU(l, n)))
NVAR = nt.matrix_quantity("nvar", r"\sigma^{{2\,({l})}}", _groups_of(lambda net, l, n: VAR(l, n)))
NR = nt.matrix_quantity("nr", r"r^{{({l})}}", _groups_of(_root))
NGAMMA = nt.matrix_quantity("ngamma", r"\gamma^{{({l})}}", _features_of(GAMMA))
NBETA = nt.matrix_quantity("nbeta", r"\beta^{{({l})}}", _features_of(BETA))


def norm_matrix_rule(norm, m: MatrixContext) -> MatrixRule:
    """The matrix-level forward and backward of a layernorm (axis 1) or batchnorm (axis 0).

    Statistics per row for a layernorm (X is rows × d, μ and σ² rows × 1) and per column for a
    batchnorm (μ and σ² d × 1); the backward goes through x̂, σ² and μ by name, then collects the
    three paths into the closed form.
    """
    net, l = m.network, m.block
    rows, d, axis, n = _norm_dims(net, l)
    (source,) = m.inputs
    X, Xhat, Y = NX(l, rows, d), NXHAT(l, rows, d), NY(l, rows, d)
    groups = rows if axis == 1 else d
    mu, var, r = NMU(l, groups, 1), NVAR(l, groups, 1), NR(l, groups, 1)
    gamma, beta = NGAMMA(l, d, 1), NBETA(l, d, 1)
    one_n, one_rows = sp.OneMatrix(n, 1), sp.OneMatrix(rows, 1)
    inv = sp.Rational(1, n)
    G = lambda v: Grad(nt.LOSS, v)  # noqa: E731

    def spread(v):  # a statistic per group, repeated over its group: rows × d
        ones = sp.OneMatrix(n, 1)
        return sp.MatMul(v, ones.T) if axis == 1 else sp.MatMul(ones, v.T)

    def total(M):  # the sum over each group, one entry per group
        return sp.MatMul(M, one_n) if axis == 1 else sp.MatMul(sp.Transpose(M), one_n)

    def by_group(v, M):  # each group's entries scaled by its entry of v
        return sp.MatMul(_diag(v), M) if axis == 1 else sp.MatMul(M, _diag(v))

    centred = sp.MatAdd(X, sp.MatMul(-1, spread(mu)))
    v_ = sp.Dummy("v")
    forward = [
        Step(X, Grid(source, rows, d), "block_rows"),
        Step(mu, sp.MatMul(inv, total(X)), "definition"),
        Step(var, sp.MatMul(inv, total(sp.HadamardPower(centred, 2))), "definition"),
        Step(
            r,
            Map(sp.Lambda(v_, (v_ + constant(norm.eps)) ** sp.Rational(-1, 2)), var),
            "definition",
        ),
        Step(Xhat, by_group(r, centred), "definition"),
    ]
    if norm.affine:
        affine = sp.MatAdd(sp.MatMul(Xhat, _diag(gamma)), sp.MatMul(one_rows, sp.Transpose(beta)))
        forward.append(Step(Y, affine, "definition"))
    else:
        forward.append(Step(Y, Xhat, "definition"))
    forward.append(Step(m.output, Vec(Y), "definition"))

    dY, dXhat = G(Y), G(Xhat)
    backward = [Step(dY, Grid(m.adjoint, rows, d), "block_rows")]
    backward.append(
        Step(dXhat, sp.MatMul(dY, _diag(gamma)) if norm.affine else dY, "norm_scale_shift_backward")
    )
    gradients = []
    if norm.affine:
        ones_rows = sp.OneMatrix(rows, 1)
        gradients = [
            Step(
                G(gamma),
                sp.MatMul(sp.Transpose(sp.HadamardProduct(dY, Xhat)), ones_rows),
                "norm_scale_shift_backward",
            ),
            Step(G(beta), sp.MatMul(sp.Transpose(dY), ones_rows), "norm_scale_shift_backward"),
        ]
    reads_input = net.sources[l - 1][0] == 0
    if not reads_input:
        dvar = sp.MatMul(
            sp.Rational(-1, 2),
            sp.HadamardProduct(total(sp.HadamardProduct(dXhat, centred)), sp.HadamardPower(r, 3)),
        )
        dmu = sp.MatAdd(
            sp.MatMul(-1, sp.HadamardProduct(total(dXhat), r)),
            sp.MatMul(sp.Rational(-2, n), sp.HadamardProduct(G(var), total(centred))),
        )
        paths = sp.MatAdd(
            by_group(r, dXhat),
            sp.MatMul(inv, spread(G(mu))),
            sp.MatMul(sp.Rational(2, n), sp.HadamardProduct(spread(G(var)), centred)),
        )
        sums = spread(total(dXhat))
        weighted = spread(total(sp.HadamardProduct(dXhat, Xhat)))
        closed = sp.MatMul(
            inv,
            by_group(
                r,
                sp.MatAdd(
                    sp.MatMul(n, dXhat),
                    sp.MatMul(-1, sums),
                    sp.MatMul(-1, sp.HadamardProduct(Xhat, weighted)),
                ),
            ),
        )
        backward += [
            Step(G(var), dvar, "norm_variance_adjoint"),
            Step(G(mu), dmu, "norm_mean_adjoint"),
            Step(G(X), paths, "norm_three_paths"),
            Step(G(X), closed, "norm_closed_form"),
        ]
    chain = sp.MatMul(sp.Transpose(Jac(m.output, source)), m.adjoint_name)
    return MatrixRule(
        forward=tuple(forward),
        backward=tuple(backward),
        adjoints=(Step(backward[-1].lhs, backward[-1].rhs, "result"),),
        pullbacks=(Pullback(chain, Vec(G(X)), "∂L/∂X stored flat"),),
        gradients=tuple(gradients),
    )


def norm_numpy_forward(norm, c: ArrayCode, block: int, ins: list[str]) -> None:
    """The batched forward of a layernorm (axis 1) or batchnorm (axis 0): X̂ = (X − μ) r, Y.

    Each sample's block is reshaped to (rows, d); the statistics run over NumPy axis 1 + axis
    (a batchnorm's B examples, a layernorm's d features).
    """
    (previous,) = ins
    l, axis = block, 1 + norm.axis
    rows, d = norm.shape(c.network, l)
    c.emit(f"Xc{l} = {previous}.reshape(N, {rows}, {d})")
    c.emit(f"Xc{l} = Xc{l} - Xc{l}.mean(axis={axis}, keepdims=True)")
    c.emit(f"R{l} = 1 / numpy.sqrt((Xc{l} ** 2).mean(axis={axis}, keepdims=True) + {norm.eps!r})")
    c.emit(f"Xhat{l} = Xc{l} * R{l}")
    if norm.affine:
        c.emit(f"A{l} = (Xhat{l} * gamma{l} + beta{l}).reshape(N, {rows * d})")
    else:
        c.emit(f"A{l} = Xhat{l}.reshape(N, {rows * d})")


def norm_numpy_backward(norm, c: ArrayCode, block: int, gradient: str | None):
    """The batched backward of a layernorm or batchnorm: the closed form over its axis."""
    l, axis = block, 1 + norm.axis
    rows, d = norm.shape(c.network, l)
    n = (rows, d)[norm.axis]  # entries per statistic
    c.emit(f"G{l} = ({gradient}).reshape(N, {rows}, {d})")
    grads = {}
    if norm.affine:
        grads = {
            f"gamma{l}": f"(G{l} * Xhat{l}).sum(axis=(0, 1))",
            f"beta{l}": f"G{l}.sum(axis=(0, 1))",
        }
        c.emit(f"DXhat{l} = G{l} * gamma{l}")
    else:
        c.emit(f"DXhat{l} = G{l}")
    dxhat = f"DXhat{l}"
    c.emit(
        f"DX{l} = (R{l} / {n}) * ({n} * {dxhat} - {dxhat}.sum(axis={axis}, keepdims=True)"
        f" - Xhat{l} * ({dxhat} * Xhat{l}).sum(axis={axis}, keepdims=True))"
    )
    return [f"DX{l}.reshape(N, {rows * d})"], grads


def _diag(v):
    return Diag(v)


@dataclass(frozen=True)
class NormBase:
    """What layernorm and batchnorm share: ε, the optional affine γ and β, and every rule.

    A kind says how it reads its block as a grid (``grid``: (groups, features), with the checks
    that make the statistics meaningful), which entries form one group (``groups``) and the axis
    of its statistics in the matrix-level and NumPy rules (``axis``: 1 for each row, 0 for each
    column).
    """

    eps: float = 1e-5
    affine: bool = True
    gamma: tuple[float, ...] | None = None
    beta: tuple[float, ...] | None = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    kind: ClassVar[str]
    axis: ClassVar[int]
    activation: ClassVar[str] = "identity"

    def grid(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(rows, d) of a block of ``shape``, checked by ``check_grid``."""
        raise NotImplementedError

    def check_grid(self, key: str, shape: tuple[int, ...]) -> None:
        """Refuse a block whose statistics say nothing; errors name ``key``."""

    def groups(self, rows: int, d: int) -> list[list[int]]:
        """The entries (flat, row-major) whose μ and σ² are taken together."""
        raise NotImplementedError

    def width(self, sizes: tuple[int, ...]) -> int:
        return sizes[0]

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return shapes[0]

    def _source(self, ctx: SpecContext, block: int, key: str) -> tuple[int, ...]:
        source = ctx.block(self.inputs[0], key) if self.inputs else block - 1
        return ctx.block_shapes[source]

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> NormBase:
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", f"one block for a {self.kind} layer", list(self.inputs))
        shape = self._source(ctx, len(ctx.layers) + 1, f"{key}.inputs")
        self.check_grid(key, shape)
        _, d = self.grid(shape)
        eps = finite(self.eps, f"{key}.eps")
        if eps <= 0:
            raise fail(f"{key}.eps", "a positive number (it keeps √(σ² + ε) above 0)", self.eps)
        if not isinstance(self.affine, bool):
            raise fail(f"{key}.affine", "true or false", self.affine)
        gamma = None if self.gamma is None else vector(self.gamma, d, f"{key}.gamma")
        beta = None if self.beta is None else vector(self.beta, d, f"{key}.beta")
        if not self.affine and (gamma or beta):
            raise SymnnError(f"{key}.affine: false has no gamma or beta to give")
        return type(self)(eps, self.affine, gamma, beta, self.name, self.inputs)

    def shape(self, network, block: int) -> tuple[int, int]:
        """(rows, d) of the block this layer (number ``block``) reads."""
        return self.grid(network.block_shapes[network.sources[block - 1][0]])

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        if not self.affine:
            return []
        _, d = self.grid(self._source(ctx, block, "inputs"))
        key = f"layers[{block}]"
        gamma = self.gamma if self.gamma is not None else (1.0,) * d
        return [
            ParameterSpec(f"gamma{block}", (d,), "bias", True, gamma, key),
            ParameterSpec(f"beta{block}", (d,), "bias", True, self.beta, key),
        ]

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        rows, d = self.shape(g.network, block)
        xhat, _ = normalise_groups(g, block, x, self.groups(rows, d), self.eps)
        return scale_shift(g, block, xhat, d, self.affine)

    def oracle(self, o: OracleContext, block: int, xs: list):
        (x,) = xs
        anp = o.anp
        rows, d = self.shape(o.network, block)
        grid = anp.reshape(x, (x.shape[0], rows, d))
        # the statistics' axis of the (samples, rows, d) grid: after the samples' own
        centred = grid - anp.mean(grid, axis=self.axis + 1, keepdims=True)
        variance = anp.mean(centred**2, axis=self.axis + 1, keepdims=True)
        out = centred / anp.sqrt(variance + self.eps)
        if self.affine:
            out = out * o.params[f"gamma{block}"] + o.params[f"beta{block}"]
        return anp.reshape(out, (x.shape[0], rows * d))

    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        """μ, σ², r = (σ² + ε)^(−½), X̂, Y per group; back through x̂, σ², μ; the closed form."""
        return norm_matrix_rule(self, m)

    # -- the batched NumPy rule: every sample's groups at once, the closed-form backward -------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        norm_numpy_forward(self, c, block, ins)

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """∂L/∂x̂ = γ ⊙ G; ∂L/∂x in the closed form; ∂L/∂γ = Σ G ⊙ x̂, ∂L/∂β = Σ G."""
        return norm_numpy_backward(self, c, block, gradient)


@layer
@dataclass(frozen=True)
class LayerNorm(NormBase):
    """Layer normalisation over the last axis of its block, with learnable γ and β.

    ``eps`` is added to the variance; ``affine = false`` drops γ and β (a = x̂); ``gamma`` and
    ``beta`` optionally give their values (d numbers each).

    Examples:
        >>> from symnn import Dense, Network
        >>> net = Network(6, [LayerNorm(), Dense(1)], input_shape=[2, 3])
        >>> net.parameter_shapes()
        [('gamma1', (3,)), ('beta1', (3,)), ('W2', (1, 6)), ('b2', (1,))]
    """

    kind: ClassVar[str] = "layernorm"
    axis: ClassVar[int] = 1  # statistics over each row
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a (2, 3) sequence block normalised row by row, then a read-out
            "inputs": 6,
            "input_shape": [2, 3],
            "layers": [{"kind": "layernorm"}, {"units": 2, "activation": "tanh"}],
            "loss": "mse",
        },
        {  # after a dense layer, as in a transformer's MLP; no affine
            "inputs": 2,
            "layers": [
                {"units": 3, "activation": "tanh"},
                {"kind": "layernorm", "eps": 0.1, "affine": False},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
    )

    def grid(self, shape: tuple[int, ...]) -> tuple[int, int]:
        return rows_of(shape)

    def check_grid(self, key: str, shape: tuple[int, ...]) -> None:
        _, d = rows_of(shape)
        if d < 2:
            # One entry per row: x̂ = 0 always, and the gradient through it vanishes.
            raise fail(key, "rows of at least 2 entries to normalise (the last axis)", d)

    def groups(self, rows: int, d: int) -> list[list[int]]:
        return [list(range(t * d, (t + 1) * d)) for t in range(rows)]

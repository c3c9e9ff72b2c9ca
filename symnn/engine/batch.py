"""Batched matrix forms over N samples as rows: Z^{(l)} = A^{(l−1)} (W^{(l)})ᵀ + 𝟏 (b^{(l)})ᵀ.

Each per-sample formula is transposed into its batch form by ``to_batch``: a column vector v
becomes the N × len(v) matrix V whose rows are the samples' vᵀ, and a product M v becomes V Mᵀ.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Apply, Columns, Grad, HadamardDivide, Map, Rows
from symnn.core.steps import Section, Step
from symnn.spec.network import Network


class NoBatchForm(SymnnError):
    """A quantity has no form with the samples as rows (a layer written per sample only)."""


_n = sp.Symbol("n", integer=True, positive=True)
_BATCH = {"zvec": "Z", "avec": "A", "deltavec": "Delta"}


def _t(m: sp.MatrixExpr) -> sp.MatrixExpr:
    return m.arg if isinstance(m, sp.Transpose) else sp.Transpose(m)


def _is_parameter(m: sp.MatrixExpr) -> bool:
    inner = m.arg if isinstance(m, sp.Transpose) else m
    return isinstance(inner, sp.MatrixSymbol) and nt.parse_matrix(inner)[0] == "W"


def to_batch(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """The batch form (samples as rows) of a per-sample column-vector expression.

    Examples:
        >>> W, d = nt.weights(2, 3, 2), nt.vector("delta", 2, 3)
        >>> to_batch(sp.MatMul(sp.Transpose(W), d))
        Deltabatch_2*W_2
    """
    if isinstance(expr, sp.MatrixSymbol):
        try:
            kind, layer = nt.parse_matrix(expr)
        except SymnnError:  # a layer kind's own quantity (a GRU's q_t): it has no batch name
            raise NoBatchForm(f"no batch form for {expr}") from None
        size = expr.shape[0]
        if kind == "xvec":
            return nt.batch("A", 0, size)
        if kind == "yvec":
            return nt.target_batch(size)
        if kind == "bvec":
            return sp.MatMul(sp.OneMatrix(nt.N_SAMPLES, 1), sp.Transpose(expr))
        if kind in _BATCH:
            return nt.batch(_BATCH[kind], layer, size)
    elif isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*map(to_batch, expr.args))
    elif isinstance(expr, sp.HadamardProduct):
        return sp.HadamardProduct(*map(to_batch, expr.args))
    elif isinstance(expr, HadamardDivide):
        return HadamardDivide(*map(to_batch, expr.args))
    elif isinstance(expr, sp.OneMatrix):
        return sp.OneMatrix(nt.N_SAMPLES, expr.shape[0])
    elif isinstance(expr, Map):
        return Map(expr.args[0], to_batch(expr.args[1]))
    elif isinstance(expr, sp.HadamardPower):
        return sp.HadamardPower(to_batch(expr.base), expr.exp)
    elif isinstance(expr, Apply):
        return Apply(expr.name, to_batch(expr.args[1]), expr.order, tuple(expr.args[3]))
    elif isinstance(expr, Grad):
        return Grad(expr.args[0], to_batch(expr.args[1]))
    elif isinstance(expr, sp.MatMul):
        return _matmul(expr)
    elif isinstance(expr, Rows):  # rows of a column vector (a concatenation's part): columns
        return Columns(to_batch(expr.args[0]), *expr.span)
    elif isinstance(expr, sp.BlockMatrix) and expr.blockshape[1] == 1:
        # a concatenation [u; v] of column vectors is, in rows, the side-by-side [U V]
        return sp.BlockMatrix([[to_batch(block) for block in expr.blocks[:, 0]]])
    raise NoBatchForm(f"no batch form for {expr}")


def _matmul(expr: sp.MatMul) -> sp.MatrixExpr:
    scalars = [arg for arg in expr.args if not getattr(arg, "is_Matrix", False)]
    matrices = [arg for arg in expr.args if getattr(arg, "is_Matrix", False)]
    if len(matrices) == 3 and isinstance(matrices[0], sp.OneMatrix):
        # 𝟏 sᵀ g (each sample's sᵀg repeated down the column) is, in rows, ((S ⊙ G) 𝟏) 𝟏ᵀ.
        ones, s, g = matrices
        sums = sp.HadamardProduct(to_batch(_t(s)), to_batch(g))
        product = sp.MatMul(sums, ones, sp.Transpose(ones))
    elif all(_is_parameter(m) for m in matrices[:-1]):
        factors = [to_batch(matrices[-1]), *[_t(m) for m in reversed(matrices[:-1])]]
        product = factors[0] if len(factors) == 1 else sp.MatMul(*factors)
    else:
        raise NoBatchForm(f"no batch form for {expr}")
    return sp.MatMul(*scalars, product) if scalars else product


def batch_sections(net: Network, rules: list) -> tuple[list[Section], list[Step]]:
    """The forward pass, δ terms and gradients over a batch, from each layer's ``MatrixRule``.

    A layer gives its batch forward and its gradients of the batch mean (``batch``,
    ``batch_gradients``); its per-sample adjoints (δ) are turned into their batch form here.
    """
    forward = [step for rule in rules for step in rule.batch]
    deltas = [
        Step(to_batch(adjoint.lhs), to_batch(adjoint.rhs), "batch_rows")
        for rule in reversed(rules)
        for adjoint in rule.adjoints
    ]
    grads = [step for rule in rules for step in rule.batch_gradients]
    return _laid_out(rules, forward, deltas + grads)


def _laid_out(rules: list, forward: list[Step], backward: list[Step]):
    """Two sections (the forward pass and the batch mean L̄; the backward steps) and the results."""
    N = nt.N_SAMPLES
    mean = sp.Sum(sp.IndexedBase(nt.LOSS)[_n], (_n, 1, N)) / N
    forward = [*forward, Step(nt.BATCH_LOSS, mean, "definition", "mean over the batch")]
    out = rules[-1].forward[-1].lhs
    sections = [
        Section(to_batch(out), tuple(forward)),
        Section(nt.batch("Delta", len(rules), out.shape[0]), tuple(backward)),
    ]
    return sections, [Step(st.lhs, st.rhs, "result") for st in backward]


def _batch_gradient(rhs: sp.MatrixExpr) -> sp.MatrixExpr:
    """∂L̄/∂P of the batch mean from a per-sample ∂L/∂P: δ aᵀ becomes (1/N) Δᵀ A, δ (1/N) Δᵀ 𝟏."""
    N = nt.N_SAMPLES
    if isinstance(rhs, sp.MatAdd):  # a shared weight: the sum over its uses
        return sp.MatAdd(*map(_batch_gradient, rhs.args))
    if isinstance(rhs, sp.MatMul) and len(rhs.args) == 2 and isinstance(rhs.args[1], sp.Transpose):
        u, v = rhs.args[0], rhs.args[1].arg
        return sp.MatMul(1 / N, sp.Transpose(to_batch(u)), to_batch(v))
    if isinstance(rhs, sp.MatrixSymbol) and rhs.shape[1] == 1:
        return sp.MatMul(1 / N, sp.Transpose(to_batch(rhs)), sp.OneMatrix(N, 1))
    raise NoBatchForm(f"no batch form for the gradient {rhs}")


def _mean_rule(step: Step) -> str:
    # A shared weight keeps its rule (the sum over its uses), now over the batch.
    return step.rule if step.rule == "shared_weight" else "batch_mean"


def graph_batch_sections(
    net: Network, rules: list, adjoints: list[Step], gradients: list[Step]
) -> tuple[list[Section], list[Step]]:
    """The batch forms (samples as rows) of a graph network's matrix derivation.

    The forward pass is each layer's per-sample forward in rows (a layer's own ``batch`` where it
    gives one), the adjoints (∂L/∂a of each block read by several layers, δ) are the per-sample
    ones in rows, and each parameter's gradient of the batch mean is its per-sample outer product
    (summed over the uses of a shared weight) as a product over the batch. ``[]`` when a layer's
    quantity has no batch form (only dense, sum and concatenation layers are written in rows).
    """
    try:
        forward = [
            step
            for rule in rules
            for step in rule.batch
            or [Step(to_batch(s.lhs), to_batch(s.rhs), "batch_rows") for s in rule.forward]
        ]
        deltas = [Step(to_batch(s.lhs), to_batch(s.rhs), "batch_rows") for s in adjoints]
        grads = [
            Step(Grad(nt.BATCH_LOSS, s.lhs.args[1]), _batch_gradient(s.rhs), _mean_rule(s), s.note)
            for s in gradients
        ]
    except NoBatchForm:  # a layer written per sample only: no batch sections, nothing else
        return [], []
    return _laid_out(rules, forward, deltas + grads)

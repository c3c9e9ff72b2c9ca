"""Batched matrix forms over N samples as rows: Z^{(l)} = A^{(l−1)} (W^{(l)})ᵀ + 𝟏 (b^{(l)})ᵀ.

Each per-sample formula is transposed into its batch form by ``to_batch``: a column vector v
becomes the N × len(v) matrix V whose rows are the samples' vᵀ, and a product M v becomes V Mᵀ.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Apply, Grad, HadamardDivide, Map
from symnn.core.steps import Section, Step
from symnn.spec.network import Network

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
        kind, layer = nt.parse_matrix(expr)
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
    raise SymnnError(f"no batch form for {expr}")


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
        raise SymnnError(f"no batch form for {expr}")
    return sp.MatMul(*scalars, product) if scalars else product


def batch_sections(net: Network, layers: list, results: dict) -> tuple[list[Section], list[Step]]:
    """The forward pass, δ terms and gradients over a batch, from the per-sample results."""
    N = nt.N_SAMPLES
    forward = []
    for s in layers:
        Z, A_prev = nt.batch("Z", s.index, s.z.shape[0]), to_batch(s.a_prev)
        product = sp.MatMul(A_prev, sp.Transpose(s.W))
        rhs = product if s.b is None else sp.MatAdd(product, to_batch(s.b))
        forward.append(Step(Z, rhs, "batch_rows", "row n is (W a_n + b)ᵀ for sample n"))
        A = nt.batch("A", s.index, s.z.shape[0])
        activation = Z if s.identity else Apply(s.activation, Z, 0, s.params)
        forward.append(Step(A, activation, "batch_rows"))
    mean = sp.Sum(sp.IndexedBase(nt.LOSS)[_n], (_n, 1, N)) / N
    forward.append(Step(sp.Symbol("Lbar", real=True), mean, "definition", "mean over the batch"))
    deltas, grads = [], []
    for s in reversed(layers):
        Delta = nt.batch("Delta", s.index, s.z.shape[0])
        deltas.append(Step(Delta, to_batch(results[s.delta]), "batch_rows"))
    lbar = sp.Symbol("Lbar", real=True)
    for s in layers:
        Delta = nt.batch("Delta", s.index, s.z.shape[0])
        A_prev = to_batch(s.a_prev)
        grads.append(
            Step(Grad(lbar, s.W), sp.MatMul(1 / N, sp.Transpose(Delta), A_prev), "batch_mean")
        )
        if s.b is not None and s.trainable_bias:
            ones = sp.OneMatrix(N, 1)
            rhs = sp.MatMul(1 / N, sp.Transpose(Delta), ones)
            grads.append(Step(Grad(lbar, s.b), rhs, "batch_mean", "column sums of Δ over N"))
    sections = [
        Section(nt.batch("A", len(layers), layers[-1].z.shape[0]), tuple(forward)),
        Section(nt.batch("Delta", len(layers), layers[-1].z.shape[0]), tuple(deltas + grads)),
    ]
    results_out = [Step(st.lhs, st.rhs, "result") for st in deltas + grads]
    return sections, results_out

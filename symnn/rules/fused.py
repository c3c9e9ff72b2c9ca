"""Fused, stable evaluation of a probability loss on the output activation that produced it.

A lecture writes a sigmoid output with binary cross-entropy, or a softmax output with
cross-entropy, and its derivation keeps that textbook form: ∂L/∂a = −y/a + (1 − y)/(1 − a), then
σ' = a(1 − a) or the softmax Jacobian, then the cancellation to a − y. Evaluated factor by
factor, that form takes log(0) and divides by 0 once the output saturates (a = σ(40) is already 1
in float64). ``fused_output`` is the one place that recognises such a composition and gives the
per-sample loss and δ = ∂L/∂z in the logits z, through log-sum-exp and softplus, which the
generated code (element and matrix level) and the worked numbers use instead.

Examples:
    >>> fused_output("sigmoid", "binary_cross_entropy", 2).activation
    'sigmoid'
    >>> fused_output("relu", "squared_error", 2) is None
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from symnn.core.functions import LogSumExp, Sigmoid, Softplus

Symbols = Sequence[sp.Symbol]


@dataclass(frozen=True)
class FusedOutput:
    """A probability loss on the activation that made its probabilities, evaluated in logits.

    ``terms(z, a, y)`` are the summands of the per-sample loss and ``deltas(z, a, y)`` the list
    of ∂L/∂z_k, both in the output layer's logits z, activations a (computed stably, so usable)
    and targets y. ``matrix(Z, A, Y, Delta)`` gives the matrix-level statements for L (summed
    over the batch) and Δ; None marks an elementwise pair (term k and δ_k read only z_k, a_k,
    y_k), whose unit-1 forms printed with whole matrices as names are the matrix-level code.
    ``why`` is the sentence a document prints about it: our own text, valid LaTeX and Markdown as
    it stands.
    """

    activation: str
    loss_name: str
    terms: Callable[[Symbols, Symbols, Symbols], list[sp.Expr]]
    deltas: Callable[[Symbols, Symbols, Symbols], list[sp.Expr]]
    matrix: Callable[[str, str, str, str], list[str]] | None
    why: str

    def loss(self, z: Symbols, a: Symbols, y: Symbols) -> sp.Expr:
        """The per-sample loss in logits."""
        return sp.Add(*self.terms(z, a, y))


def _mean(terms: list[sp.Expr]) -> list[sp.Expr]:
    return [term / len(terms) for term in terms]


def _sigmoid_bce_loss(z, a, y):
    # −y log σ(z) − (1 − y) log(1 − σ(z)) = y softplus(−z) + (1 − y) softplus(z): no log(0), and
    # both terms are non-negative, so nothing cancels.
    pairs = zip(z, y, strict=True)
    return _mean([yk * Softplus(-zk) + (1 - yk) * Softplus(zk) for zk, yk in pairs])


def _sigmoid_bce_deltas(z, a, y):
    return [(ak - yk) / len(z) for ak, yk in zip(a, y, strict=True)]


def _sigmoid_ce_loss(z, a, y):
    # −y log σ(z) = y softplus(−z).
    return [yk * Softplus(-zk) for zk, yk in zip(z, y, strict=True)]


def _sigmoid_ce_deltas(z, a, y):
    # −y (1 − σ(z)), with 1 − σ(z) = σ(−z) (no cancellation when σ(z) is near 1).
    return [-yk * Sigmoid(-zk) for zk, yk in zip(z, y, strict=True)]


def _softmax_ce_loss(z, a, y):
    # −Σ y_k log softmax_k(z) = log Σ e^z · Σ y − yᵀz: never log(0).
    return [LogSumExp(*z) * sp.Add(*y), *[-yk * zk for zk, yk in zip(z, y, strict=True)]]


def _softmax_ce_deltas(z, a, y):
    # (diag(s) − s sᵀ)(−y ⊘ s) = s Σ y − y: exact for any y, s − y for distributions.
    total = sp.Add(*y)
    return [ak * total - yk for ak, yk in zip(a, y, strict=True)]


def _against_others(z: Symbols) -> list[sp.Expr]:
    """m_k = z_k − log Σ_{j≠k} e^{z_j}: softmax_k(z) = σ(m_k)."""
    return [zk - LogSumExp(*[zj for zj in z if zj != zk]) for zk in z]


def _softmax_bce_loss(z, a, y):
    # −log s_k = softplus(−m_k) and −log(1 − s_k) = softplus(m_k).
    m = _against_others(z)
    pairs = zip(m, y, strict=True)
    return _mean([yk * Softplus(-mk) + (1 - yk) * Softplus(mk) for mk, yk in pairs])


def _softmax_bce_deltas(z, a, y):
    # δ_j = (s_j (1 − y_j + Σy) − y_j − Σ_{k≠j} (1 − y_k) s_j s_k/(1 − s_k)) / K, and
    # s_j s_k/(1 − s_k) = e^{z_j − LSE(z) + m_k} with a non-positive exponent: nothing overflows.
    m, lse, total, K = _against_others(z), LogSumExp(*z), sp.Add(*y), len(z)
    deltas = []
    for j, (aj, yj, zj) in enumerate(zip(a, y, z, strict=True)):
        others = [
            (1 - yk) * sp.exp(zj - lse + mk)
            for k, (mk, yk) in enumerate(zip(m, y, strict=True))
            if k != j
        ]
        deltas.append((aj * (1 - yj + total) - yj - sp.Add(*others)) / K)
    return deltas


def _softmax_ce_matrix(Z: str, A: str, Y: str, Delta: str) -> list[str]:
    return [
        f"L = numpy.vdot(logsumexp_rows({Z}), numpy.sum({Y}, axis=1)) - numpy.vdot({Y}, {Z})",
        f"{Delta} = {A} * numpy.sum({Y}, axis=1, keepdims=True) - {Y}",
    ]


def _softmax_bce_matrix(Z: str, A: str, Y: str, Delta: str) -> list[str]:
    return [f"L, {Delta} = softmax_binary_cross_entropy_rows({Z}, {Y})", "L = L.sum()"]


_WHY = (
    "The generated code evaluates this loss on the {} fused and stably, through {}, because "
    "factor by factor a saturated output (a = {} in floating point) would give log 0 and an "
    "infinite {} times a zero {}."
)
_BOTH_ENDS = ("0 or 1", "-y/a or (1 - y)/(1 - a)")
_SIGMOID_WHY = _WHY.format("sigmoid", "softplus of the logits", *_BOTH_ENDS, "a(1 - a)")
_SOFTMAX_WHY = _WHY.format("softmax", "log-sum-exp of the logits", "0", "-y/a", "Jacobian entry")
_SOFTMAX_BCE_WHY = _WHY.format(
    "softmax",
    "log-sum-exp and softplus of each logit against the others",
    *_BOTH_ENDS,
    "Jacobian entry",
)

_PAIRS = {
    ("sigmoid", "binary_cross_entropy"): (
        _sigmoid_bce_loss,
        _sigmoid_bce_deltas,
        None,
        _SIGMOID_WHY,
    ),
    ("sigmoid", "cross_entropy"): (
        _sigmoid_ce_loss,
        _sigmoid_ce_deltas,
        None,
        _SIGMOID_WHY.replace(" or (1 - y)/(1 - a)", ""),
    ),
    ("softmax", "cross_entropy"): (
        _softmax_ce_loss,
        _softmax_ce_deltas,
        _softmax_ce_matrix,
        _SOFTMAX_WHY,
    ),
    ("softmax", "binary_cross_entropy"): (
        _softmax_bce_loss,
        _softmax_bce_deltas,
        _softmax_bce_matrix,
        _SOFTMAX_BCE_WHY,
    ),
}


def fused_output(activation: str, loss: str, outputs: int) -> FusedOutput | None:
    """The fused, stable form of ``loss`` on an output layer of ``activation``, or None.

    A softmax over one unit is the constant 1, so binary cross-entropy on it is log 0 in exact
    arithmetic too: it has no fused form.
    """
    found = _PAIRS.get((activation, loss))
    one_softmax_unit = activation == "softmax" and outputs < 2
    if found is None or (one_softmax_unit and loss == "binary_cross_entropy"):
        return None
    return FusedOutput(activation, loss, *found)

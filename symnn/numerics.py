"""Numerically stable NumPy implementations of the rules; generated code calls these by name.

Every function accepts scalars or arrays and never overflows for |z| up to 1000 (and far beyond):
exponentials only ever see non-positive arguments.
"""

from __future__ import annotations

import math

import numpy as np


def _erf(x):
    """erf, looked up on first use: importing scipy.special costs more than all of symnn."""
    global _erf
    try:  # SciPy's erf is vectorised C; the fallback is exact but slower.
        from scipy.special import erf as found
    except ImportError:  # pragma: no cover - exercised only without SciPy
        found = np.vectorize(math.erf, otypes=[float])
    _erf = found
    return found(x)


def _expit(z, out=None):
    """SciPy's logistic ufunc, looked up on first use; without SciPy, exp(−log(1 + e^{−z}))."""
    global _expit
    try:  # C, one pass, stable at both ends, and 4-6x faster than the NumPy form below
        from scipy.special import expit as found
    except ImportError:  # pragma: no cover - exercised only without SciPy

        def found(z, out=None):
            return np.exp(-np.logaddexp(0.0, -z), out=out)

    _expit = found
    return found(z, out=out)


def sigmoid(z, out=None):
    """σ(z) = 1/(1 + e^{−z}), stable at both ends (never overflows, no warnings); into ``out``."""
    return _expit(z, out=out)


def softplus(z):
    return np.logaddexp(0.0, z)


def relu(z, out=None):
    return np.maximum(z, 0.0, out=out)


def indicator(u):
    """1[u > 0]: ReLU's derivative, 0 at the kink."""
    return np.greater(u, 0.0) * 1.0


def step(z):
    """The perceptron's step: fires (1) when z >= 0."""
    return np.greater_equal(z, 0.0) * 1.0


def maximum(x, y):
    """max(x, y); its gradient rule (a tie goes to x) lives in the derivative code, not here."""
    return np.maximum(x, y)


def minimum(x, y):
    return np.minimum(x, y)


def leaky_relu(z, slope):
    return np.where(np.greater(z, 0.0), z, slope * z)


def elu(z, alpha):
    return np.where(np.greater(z, 0.0), z, alpha * np.expm1(np.minimum(z, 0.0)))


def silu(z):
    return z * sigmoid(z)


def normal_cdf(z):
    return 0.5 * (1.0 + _erf(np.asarray(z) / math.sqrt(2.0)))


def gelu(z):
    return z * normal_cdf(z)


def kept(work, name, shape):
    """The array to write the intermediate ``name`` into: None (a fresh one) when ``work`` is None,
    else the one kept in the dict ``work`` under that name, made anew only when its shape changed.

    Generated matrix code passes it as ``out=``: a training loop's steps then reuse one set of
    arrays instead of asking the allocator for fresh megabytes (page-faulted in) each call.
    """
    if work is None:
        return None
    array = work.get(name)
    if array is None or array.shape != shape:
        array = work[name] = np.empty(shape)
    return array


def _stacked(zs):
    return np.stack(np.broadcast_arrays(*[np.asarray(zk, dtype=float) for zk in zs]))


def logsumexp(*zs):
    """log Σ e^{z_k} with the maximum subtracted first."""
    stacked = _stacked(zs)
    top = stacked.max(axis=0)
    return top + np.log(np.exp(stacked - top).sum(axis=0))


def softmax_unit(i, *zs):
    """Unit i (1-based) of the softmax of zs, with the maximum subtracted first."""
    stacked = _stacked(zs)
    shifted = np.exp(stacked - stacked.max(axis=0))
    return shifted[int(i) - 1] / shifted.sum(axis=0)


def logsumexp_rows(Z):
    """log Σ_k e^{Z[n, k]} for each row n (sample), the row maximum subtracted first."""
    Z = np.asarray(Z, dtype=float)
    top = Z.max(axis=1, keepdims=True)
    return top[:, 0] + np.log(np.exp(Z - top).sum(axis=1))


def softmax_rows(Z):
    """The softmax of each row (sample) of Z, the row maximum subtracted first."""
    Z = np.asarray(Z, dtype=float)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_logsumexp_rows(Z):
    """The row softmax and the row log-sum-exp from one exponential (a fused loss needs both)."""
    Z = np.asarray(Z, dtype=float)
    top = Z.max(axis=1, keepdims=True)
    e = np.exp(Z - top)
    total = e.sum(axis=1, keepdims=True)
    return e / total, top[:, 0] + np.log(total[:, 0])


def logsumexp_others_rows(Z):
    """log Σ_{j≠k} e^{Z[n, j]} for each row n and column k (the log-sum-exp of the other units).

    Needs at least two columns; each column's maximum over the others is subtracted first.
    """
    Z = np.asarray(Z, dtype=float)
    columns = range(Z.shape[1])
    return np.stack([logsumexp_rows(np.delete(Z, k, axis=1)) for k in columns], axis=1)


def softmax_binary_cross_entropy_rows(Z, Y):
    """Binary cross-entropy averaged over the K softmax outputs, and its gradient ∂L/∂Z, per row.

    With m_k = z_k − log Σ_{j≠k} e^{z_j} (unit k's logit against the others), s_k = σ(m_k), so
    −log s_k = softplus(−m_k) and −log(1 − s_k) = softplus(m_k): no log of 0. The gradient
    (diag(s) − s sᵀ) ∂L/∂s is written without 1/s or 1/(1 − s):
    δ_j = (s_j (1 − y_j + Σ_k y_k) − y_j − Σ_{k≠j} (1 − y_k) e^{log s_j + m_k}) / K, each exponent
    ≤ 0 (s_j s_k / (1 − s_k) ≤ s_k).
    """
    Z = np.asarray(Z, dtype=float)
    Y = np.asarray(Y, dtype=float)
    K = Z.shape[1]
    M = Z - logsumexp_others_rows(Z)
    S, LSE = softmax_logsumexp_rows(Z)
    L = np.mean(Y * softplus(-M) + (1.0 - Y) * softplus(M), axis=1)
    log_s = Z - LSE[:, None]
    exponents = log_s[:, :, None] + M[:, None, :]  # [n, j, k]: s_j e^{m_k} = e^{this}
    exponents[:, np.arange(K), np.arange(K)] = -np.inf  # k = j is left out (it may overflow)
    others = (np.exp(exponents) * (1.0 - Y)[:, None, :]).sum(axis=2)
    delta = (S * (1.0 - Y + Y.sum(axis=1, keepdims=True)) - Y - others) / K
    return L, delta


def huber(r, d):
    absolute = np.abs(r)
    return np.where(absolute <= d, 0.5 * r * r, d * (absolute - 0.5 * d))


def equals(x, v):
    """1[x = v]: an embedding's lookup of row v by the token x (its derivative in x is 0)."""
    return np.equal(x, v) * 1.0


def token_indices(X, vocabulary, where):
    """The token indices in X as integers; an entry that is not an integer in 0..V−1 is an error.

    ``where`` names the layer that reads them (``layers[1] (embedding)``).
    """
    X = np.asarray(X, dtype=float)
    whole = np.equal(np.floor(X), X)  # nan and ±inf are bad too
    bad = ~(whole & np.greater_equal(X, 0) & np.less(X, vocabulary))
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"X[{', '.join(map(str, at))}]: {where} reads token indices, integers "
            f"0..{vocabulary - 1} (vocabulary = {vocabulary}); found {X[at]!r}"
        )
    return X.astype(np.intp)


NAMESPACE = {
    name: globals()[name]
    for name in (
        "sigmoid",
        "softplus",
        "relu",
        "indicator",
        "step",
        "maximum",
        "minimum",
        "leaky_relu",
        "elu",
        "silu",
        "normal_cdf",
        "gelu",
        "logsumexp",
        "softmax_unit",
        "huber",
        "logsumexp_rows",
        "softmax_rows",
        "softmax_logsumexp_rows",
        "logsumexp_others_rows",
        "softmax_binary_cross_entropy_rows",
        "equals",
        "token_indices",
    )
}

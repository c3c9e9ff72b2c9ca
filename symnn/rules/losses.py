"""Losses per sample, in terms of the network's outputs ŷ_k and targets y_k.

A batch loss is the mean of the per-sample losses. Within a sample: ``squared_error`` is the
textbook ½Σ_k (y_k − ŷ_k)²; ``cross_entropy`` and ``softmax_cross_entropy`` sum over classes; every
other loss is the mean over the K outputs (as PyTorch's element-wise losses are).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symnn.core.functions import Huber, LogSumExp, PositivePart, Softplus
from symnn.core.registry import Registry

Outputs = Sequence[sp.Expr]


@dataclass(frozen=True)
class Loss:
    """A loss rule: ``build(outputs, targets, params)`` gives the per-sample loss expression.

    ``output_activation`` names the last layer's activation the loss expects (None: any);
    ``targets`` says what the target values must be, and ``check_targets`` enforces it;
    ``probabilities`` marks a loss on probabilities, which needs a sigmoid or softmax output.
    """

    name: str
    title: str
    build: Callable[[Outputs, Outputs, Mapping[str, sp.Expr]], sp.Expr]
    targets: str = "any real numbers"
    check_targets: Callable[[np.ndarray], bool] = lambda Y: True
    output_activation: str | None = None
    probabilities: bool = False  # takes log(ŷ): the outputs must lie strictly between 0 and 1
    min_outputs: int = 1  # a softmax over one class is the constant 1
    defaults: Mapping[str, float] = field(default_factory=dict)


def _mean(terms: list[sp.Expr]) -> sp.Expr:
    return sp.Add(*terms) / len(terms)


def _squared_error(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return sp.Rational(1, 2) * sp.Add(*[(yk - ok) ** 2 for ok, yk in zip(yhat, y, strict=True)])


def _mse(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean([(yk - ok) ** 2 for ok, yk in zip(yhat, y, strict=True)])


def _mae(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean([sp.Abs(yk - ok) for ok, yk in zip(yhat, y, strict=True)])


def _huber(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean([Huber(ok - yk, p["delta"]) for ok, yk in zip(yhat, y, strict=True)])


def _bce(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean(
        [-(yk * sp.log(ok) + (1 - yk) * sp.log(1 - ok)) for ok, yk in zip(yhat, y, strict=True)]
    )


def _bce_logits(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    # log(1 + e^z) − y z equals the cross-entropy of σ(z), without ever forming σ(z).
    return _mean([Softplus(ok) - yk * ok for ok, yk in zip(yhat, y, strict=True)])


def _cross_entropy(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return -sp.Add(*[yk * sp.log(ok) for ok, yk in zip(yhat, y, strict=True)])


def _softmax_cross_entropy(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    # −Σ y_k log softmax_k(z) = log Σ e^{z_k} − Σ y_k z_k when Σ y_k = 1, as the targets must.
    return LogSumExp(*yhat) - sp.Add(*[yk * ok for ok, yk in zip(yhat, y, strict=True)])


def _hinge(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean([PositivePart(1 - yk * ok) for ok, yk in zip(yhat, y, strict=True)])


def _perceptron(yhat: Outputs, y: Outputs, p) -> sp.Expr:
    return _mean([PositivePart(-yk * ok) for ok, yk in zip(yhat, y, strict=True)])


def _in_unit_interval(Y: np.ndarray) -> bool:
    return bool(np.all((Y >= 0) & (Y <= 1)))


def _distributions(Y: np.ndarray) -> bool:
    return _in_unit_interval(Y) and bool(np.allclose(Y.sum(axis=1), 1.0))


def _signs(Y: np.ndarray) -> bool:
    return bool(np.all(np.isin(Y, (-1.0, 1.0))))


LOSSES: Registry[Loss] = Registry("loss")
for _entry in (
    Loss("squared_error", "squared error (one half of the sum of squares)", _squared_error),
    Loss("mse", "mean squared error", _mse),
    Loss("mae", "mean absolute error", _mae),
    Loss("huber", "Huber loss", _huber, defaults={"delta": 1.0}),
    Loss(
        "binary_cross_entropy",
        "binary cross-entropy on probabilities",
        _bce,
        "probabilities in [0, 1]",
        _in_unit_interval,
        probabilities=True,
    ),
    Loss(
        "binary_cross_entropy_logits",
        "binary cross-entropy on logits",
        _bce_logits,
        "probabilities in [0, 1]",
        _in_unit_interval,
        output_activation="identity",
    ),
    Loss(
        "cross_entropy",
        "categorical cross-entropy on probabilities",
        _cross_entropy,
        "probability distributions (each row in [0, 1], summing to 1)",
        _distributions,
        probabilities=True,
    ),
    Loss(
        "softmax_cross_entropy",
        "softmax followed by cross-entropy, fused, on logits",
        _softmax_cross_entropy,
        "probability distributions (each row in [0, 1], summing to 1)",
        _distributions,
        output_activation="identity",
        min_outputs=2,
    ),
    Loss("hinge", "hinge loss", _hinge, "labels -1 or +1", _signs),
    Loss("perceptron", "perceptron criterion", _perceptron, "labels -1 or +1", _signs),
):
    LOSSES.add(_entry.name, _entry)

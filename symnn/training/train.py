"""Training a network with its own generated gradients: full batch, mini-batch SGD, momentum.

One *step* is one parameter update. The loss history holds the mean loss over the whole training
set before the first update and after each update (``steps + 1`` values), also for mini-batch
runs, so curves from different optimisers compare directly. Mini-batches come from a fresh
permutation of the samples each epoch, drawn from ``numpy.random.default_rng([seed, 1])`` (a
stream independent of the initialisation's); the last batch of an epoch may be shorter.

Any function ``(params, X, Y) -> (loss, grads)`` can supply the gradients (the element-level
``compile_gradients`` by default, a faster matrix-level one, or an autodiff oracle in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from symnn.codegen.element import compile_gradients
from symnn.codegen.forward import compile_forward
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.layers.base import check_inputs
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network
from symnn.training.config import DEFAULT_LR, DEFAULT_SGD_BATCH, TrainConfig
from symnn.training.init import initial_params
from symnn.training.optimizers import optimizer
from symnn.training.progress import Progress

Params = dict[str, np.ndarray]
GradientFunction = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]


@dataclass(frozen=True)
class TrainResult:
    """Loss (and accuracy) history, the final and initial parameters, and the settings used.

    ``loss[0]`` is the loss before the first update, ``loss[k]`` after update k. ``accuracy`` is
    None when the targets are not class labels. ``trajectory`` holds the parameters after every
    update when training was asked to record them. ``interrupted`` is True when Ctrl-C stopped
    the run early: the history and ``params`` then end at the last step that finished.
    """

    loss: list[float]
    accuracy: list[float] | None
    params: Params
    initial: Params
    config: TrainConfig
    lr: float
    batch: int
    trained: tuple[str, ...]
    trajectory: list[Params] | None = None
    interrupted: bool = False

    def _summary(self) -> list[str]:
        steps = len(self.loss) - 1
        parts = [f"{steps} steps of {self.config.optimizer} (lr {self.lr:g})"]
        if self.interrupted:
            parts[0] += f", interrupted (of {self.config.steps})"
        parts.append(f"loss {self.loss[0]:.4g} → {self.loss[-1]:.4g}")
        if self.accuracy is not None:
            parts.append(f"accuracy {self.accuracy[0]:.0%} → {self.accuracy[-1]:.0%}")
        shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in self.params.items())
        parts.append(f"params {shapes}")
        return parts

    def __repr__(self) -> str:
        """One line, whatever the length of the run (the full history stays in the fields)."""
        return f"<TrainResult: {'; '.join(self._summary())}>"

    def _repr_markdown_(self) -> str:
        """Jupyter's view: the run in a few lines (plot it with ``symnn.training_figure``)."""
        return "**TrainResult**  \n" + "  \n".join(self._summary())

    def to_json(self) -> dict[str, Any]:
        """``{"loss": [...], "params": {"W1": [[...]], ...}}`` plus ``accuracy`` if it applies."""
        out: dict[str, Any] = {
            "loss": list(self.loss),
            "params": {name: value.tolist() for name, value in self.params.items()},
        }
        if self.accuracy is not None:
            out["accuracy"] = list(self.accuracy)
        return out


def gradient_function(network: Network, gradient: str | GradientFunction) -> GradientFunction:
    """The gradient function to train with: ``"element"``, ``"matrix"`` or any callable."""
    if callable(gradient):
        return gradient
    if gradient == "element":
        return compile_gradients(network)
    if gradient == "matrix":
        return compile_matrix_gradients(network)
    raise SymnnError(f"gradient: expected 'element', 'matrix' or a function, found {gradient!r}")


def accuracy_rule(network: Network, Y: np.ndarray) -> str | None:
    """How predictions become classes, or None for regression targets.

    ``argmax`` for one-hot targets over several outputs (softmax or logits); ``sign`` for ±1
    labels (output >= 0 counts as +1); ``threshold`` for 0/1 labels: a probability output is
    class 1 when >= 0.5, a logit (``binary_cross_entropy_logits``) when >= 0.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> accuracy_rule(Network(2, [Dense(3)], "softmax_cross_entropy"), np.eye(3))
        'argmax'
        >>> accuracy_rule(Network(2, [Dense(1, "sigmoid")]), np.array([[0.0], [1.0]]))
        'threshold'
        >>> accuracy_rule(Network(2, [Dense(1)]), np.array([[0.3]])) is None
        True
    """
    Y = np.asarray(Y, dtype=float)
    binary = bool(np.all(np.isin(Y, (0.0, 1.0))))
    if network.outputs > 1 and binary and bool(np.all(Y.sum(axis=1) == 1.0)):
        return "argmax"
    if bool(np.all(np.isin(Y, (-1.0, 1.0)))):
        return "sign"
    return "threshold" if binary else None


def predict_classes(network: Network, params: Params, X: np.ndarray, rule: str) -> np.ndarray:
    """Predicted labels in the form of the targets' rows (class index for ``argmax``)."""
    out = compile_forward(network)(params, X)
    if rule == "argmax":
        return np.argmax(out, axis=1)
    if rule == "sign":
        return np.where(out >= 0, 1.0, -1.0)
    cut = 0.0 if LOSSES[network.loss].output_activation == "identity" else 0.5
    if network.output_activation in ("sigmoid", "softmax"):
        cut = 0.5
    return np.where(out >= cut, 1.0, 0.0)


def accuracy(network: Network, params: Params, X, Y, rule: str | None = None) -> float | None:
    """The fraction of samples whose every output is classified right (None for regression).

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(1, [Dense(1, "sigmoid")])
        >>> accuracy(net, {"W1": [[1.0]], "b1": [0.0]}, [[-2.0], [3.0], [4.0]], [[0], [1], [0]])
        0.6666666666666666
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    rule = rule or accuracy_rule(network, Y)
    if rule is None:
        return None
    predicted = predict_classes(network, params, X, rule)
    if rule == "argmax":
        return float(np.mean(predicted == np.argmax(Y, axis=1)))
    return float(np.mean(np.all(predicted == Y, axis=1)))


def _data(network: Network, X, Y) -> tuple[np.ndarray, np.ndarray]:
    if X is None or Y is None:
        if network.data is None:
            raise SymnnError("data: expected training data (X, Y or a [data] table), found none")
        return network.data.arrays()
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.ndim != 2 or X.shape[1] != network.inputs:
        raise SymnnError(f"X: expected rows of {network.inputs} inputs, found shape {X.shape}")
    if Y.ndim != 2 or Y.shape != (len(X), network.outputs):
        raise SymnnError(
            f"Y: expected {len(X)} rows of {network.outputs} targets, found shape {Y.shape}"
        )
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(Y))):
        raise SymnnError("data: expected finite numbers, found nan or inf")
    check_inputs(network, X, "X")  # token indices for an embedding
    loss = LOSSES[network.loss]
    if not loss.check_targets(Y):
        raise SymnnError(f"Y: expected targets for {loss.name}: {loss.targets}")
    return X, Y


def trained_names(network: Network, freeze: Iterable[str] = ()) -> tuple[str, ...]:
    """Parameters to update: trainable in the spec and not in ``freeze`` (names like W1, b2).

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> trained_names(Network(2, [Dense(2, trainable_bias=False), Dense(1)]), freeze=["W2"])
        ('W1', 'b2')
    """
    names = [name for name, _ in network.parameter_shapes()]
    frozen = list(freeze)
    for name in frozen:
        if name not in names:
            raise SymnnError(f"freeze: unknown parameter {name!r}; known: {', '.join(names)}")
    return tuple(n for n in names if network.trainable(n) and n not in frozen)


def _batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    while True:
        order = rng.permutation(n)
        for start in range(0, n, size):
            yield order[start : start + size]


def _settings(network: Network, config: TrainConfig, n: int) -> tuple[float, int]:
    lr = config.lr or network.learning_rate or DEFAULT_LR
    batch = config.batch or (DEFAULT_SGD_BATCH if config.optimizer == "sgd" else n)
    return float(lr), min(batch, n)


def train(
    network: Network,
    X=None,
    Y=None,
    config: TrainConfig | None = None,
    *,
    params: Params | None = None,
    gradient: str | GradientFunction = "element",
    freeze: Iterable[str] = (),
    progress: bool | None = False,
    record: bool = False,
    **settings: Any,
) -> TrainResult:
    """Train ``network`` on ``X, Y`` (default: the spec's data) with its generated gradients.

    Settings come from ``config`` with keyword overrides (``steps=``, ``lr=``, ``batch=``,
    ``optimizer=``, ``momentum=``, ``seed=``, ``init=``). ``params`` replaces the seeded
    initialisation; ``freeze`` names parameters to keep fixed; ``progress=None`` draws a bar only
    on a terminal; ``record`` keeps the parameters after every update.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(1, "sigmoid")], "squared_error")
        >>> X, Y = [[0, 0], [0, 1], [1, 0], [1, 1]], [[0], [0], [0], [1]]
        >>> result = train(net, X, Y, steps=2000, lr=2.0, seed=0)
        >>> len(result.loss), result.accuracy[-1], result.loss[-1] < result.loss[0]
        (2001, 1.0, True)
    """
    config = (config or TrainConfig()).updated(**settings)
    X, Y = _data(network, X, Y)
    f = gradient_function(network, gradient)
    names = trained_names(network, freeze)
    lr, batch = _settings(network, config, len(X))
    if params is None:
        params = initial_params(network, config.init, config.seed)
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    initial = {k: v.copy() for k, v in params.items()}
    rng = np.random.default_rng([config.seed, 1])  # shuffling, independent of the init draws
    batches = _batches(len(X), batch, rng)
    opt = optimizer(config.optimizer, lr, config.momentum)
    rule = accuracy_rule(network, Y)
    losses: list[float] = []
    accuracies: list[float] | None = None if rule is None else []
    trajectory: list[Params] | None = [initial] if record else None
    bar = Progress(config.steps, enabled=progress)

    def log(loss: float, step: int) -> None:
        if not np.isfinite(loss):
            raise SymnnError(
                f"training diverged: loss is {loss} after {step} steps; lower the learning rate "
                f"(now {lr:g})"
            )
        losses.append(float(loss))
        acc = accuracy(network, params, X, Y, rule) if rule else None
        if accuracies is not None:
            accuracies.append(acc)
        bar.update(step, loss, acc)

    # Overflow on the way to divergence is reported once, as a SymnnError, not as warnings.
    with np.errstate(over="ignore", invalid="ignore"), _closing(bar):
        committed, logged, interrupted = params, 0, False
        try:
            full_loss, full_grads = f(params, X, Y)
            log(full_loss, 0)
            logged = 1
            for step in range(1, config.steps + 1):
                if batch == len(X):
                    grads = full_grads
                else:
                    index = next(batches)
                    grads = f(params, X[index], Y[index])[1]
                _check_grads(grads, names)
                params = opt.step(params, grads, names)
                full_loss, full_grads = f(params, X, Y)
                log(full_loss, step)
                if record:
                    trajectory.append(params)
                committed, logged = params, step + 1
        except KeyboardInterrupt:
            # Ctrl-C ends the run, not the program: keep every step that finished, drop the
            # one in progress, and say so in the result (before the first loss there is none).
            if not logged and losses and (accuracies is None or accuracies):
                logged = 1  # the initial loss was recorded; the parameters are the initial ones
            if not logged:
                raise
            interrupted, params = True, committed
            for history in (losses, accuracies, trajectory):
                if history is not None:
                    del history[logged:]
    return TrainResult(
        losses, accuracies, params, initial, config, lr, batch, names, trajectory, interrupted
    )


@contextmanager
def _closing(bar: Progress) -> Iterator[None]:
    try:
        yield
    finally:
        bar.close()


def _check_grads(grads: Params, names: tuple[str, ...]) -> None:
    missing = [name for name in names if name not in grads]
    if missing:
        raise SymnnError(f"gradient function: expected gradients for {', '.join(missing)}")

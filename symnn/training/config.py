"""Training settings: the spec's ``[train]`` table, validated, as a frozen dataclass.

[train]
steps = 2000          # parameter updates
lr = 0.5              # learning rate η (default: the spec's learning_rate, else 0.1)
batch = 4             # mini-batch size for sgd/momentum (default: sgd 32, others the full batch)
optimizer = "sgd"     # gd | sgd | momentum
momentum = 0.9        # μ, for optimizer = "momentum"
seed = 0              # initialisation and shuffling
init = "xavier"       # auto | given | uniform | xavier | he
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from symnn.core.errors import SymnnError, short_repr
from symnn.spec.specfile import read_spec
from symnn.training.init import SCHEMES
from symnn.training.optimizers import OPTIMIZERS

TRAIN_KEYS = ("steps", "lr", "batch", "optimizer", "momentum", "seed", "init")
DEFAULT_LR = 0.1
DEFAULT_SGD_BATCH = 32


def _fail(key: str, expected: str, found: object) -> SymnnError:
    return SymnnError(f"train.{key}: expected {expected}, found {short_repr(found)}")


def _integer(value: object, key: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _fail(key, "a positive integer" if least else "an integer >= 0", value)
    return value


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(key, "a finite number", value)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise _fail(key, "a finite number within float range", value) from None
    if not math.isfinite(number):
        raise _fail(key, "a finite number", value)
    return number


@dataclass(frozen=True)
class TrainConfig:
    """How to train: steps, learning rate, batch, optimiser, momentum, seed, initialisation.

    ``lr=None`` means the spec's ``learning_rate`` (else 0.1); ``batch=None`` means 32 for
    ``sgd`` and the full batch otherwise.

    Examples:
        >>> TrainConfig(steps=10, optimizer="momentum").momentum
        0.9
        >>> TrainConfig(optimizer="adam")
        Traceback (most recent call last):
        ...
        symnn.core.errors.SymnnError: train.optimizer: expected one of gd, sgd, momentum, ...
    """

    steps: int = 1000
    lr: float | None = None
    batch: int | None = None
    optimizer: str = "gd"
    momentum: float = 0.9
    seed: int = 0
    init: str = "auto"

    def __post_init__(self) -> None:
        _integer(self.steps, "steps", 0)
        if self.lr is not None and _number(self.lr, "lr") <= 0:
            raise _fail("lr", "a positive number", self.lr)
        if self.batch is not None:
            _integer(self.batch, "batch", 1)
        if self.optimizer not in OPTIMIZERS:
            raise _fail("optimizer", f"one of {', '.join(OPTIMIZERS)}", self.optimizer)
        if not 0 <= _number(self.momentum, "momentum") < 1:
            raise _fail("momentum", "a number in [0, 1)", self.momentum)
        _integer(self.seed, "seed", 0)
        if self.init not in SCHEMES:
            raise _fail("init", f"one of {', '.join(SCHEMES)}", self.init)
        if self.optimizer == "gd" and self.batch is not None:
            raise _fail("batch", "no batch for gd (it uses every sample); use 'sgd'", self.batch)

    def updated(self, **changes: Any) -> TrainConfig:
        """A copy with the given settings changed; None values leave a setting as it is.

        ``learning_rate`` is accepted for ``lr`` (the spec file's top-level name for it).

        Examples:
            >>> TrainConfig().updated(learning_rate=0.5).lr
            0.5
        """
        changes = _aliased(changes)
        unknown = [k for k in changes if k not in TRAIN_KEYS]
        if unknown:
            raise SymnnError(
                f"unknown training setting {unknown[0]!r}; known: {', '.join(TRAIN_KEYS)} "
                "(learning_rate is an alias of lr)"
            )
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _aliased(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``learning_rate`` as ``lr``; both at once must agree."""
    settings = dict(settings)
    if "learning_rate" in settings:
        alias = settings.pop("learning_rate")
        if settings.get("lr") is not None and alias is not None and settings["lr"] != alias:
            raise SymnnError(f"lr and learning_rate: two values, {settings['lr']} and {alias}")
        if alias is not None:
            settings["lr"] = alias
    return settings


def training_from_dict(table: Mapping[str, Any] | None) -> TrainConfig:
    """A TrainConfig from a parsed ``[train]`` table (None or empty gives the defaults)."""
    if table is None:
        return TrainConfig()
    if not isinstance(table, Mapping):
        raise SymnnError(f"train: expected a table, found {table!r}")
    table = _aliased(table)
    for key in table:
        if key not in TRAIN_KEYS:
            raise SymnnError(f"train: unknown key {key!r}; known: {', '.join(TRAIN_KEYS)}")
    return TrainConfig(**dict(table))


def load_training(path: str | Path) -> TrainConfig:
    """The spec file's ``[train]`` settings as a TrainConfig (defaults when there is none).

    Examples:
        >>> import pathlib, tempfile
        >>> spec = pathlib.Path(tempfile.mkdtemp()) / "net.toml"
        >>> _ = spec.write_text('inputs = 2\\n[train]\\nsteps = 5\\noptimizer = "sgd"\\n')
        >>> load_training(spec).steps
        5
    """
    try:
        return training_from_dict(read_spec(path).get("train"))
    except SymnnError as error:
        message = str(error)
        label = "<stdin>" if str(path) == "-" else path
        raise SymnnError(
            message if message.startswith(f"{label}:") else f"{label}: {message}"
        ) from None

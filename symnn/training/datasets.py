"""Datasets without downloads: logic gates, seeded 2-D generators, Iris, and a user's CSV.

Every classification dataset keeps its class index per sample (``labels``); the targets ``Y``
are built from them in the form a network needs (``Dataset.targets``):

- ``binary``: one column of 0/1 (two classes), for a sigmoid or logit output;
- ``signed``: one column of −1/+1 (two classes), for ``hinge`` and ``perceptron``;
- ``one_hot``: one 0/1 column per class, for softmax outputs.

Generators take ``n`` (total samples), ``noise`` (standard deviation of the Gaussian noise added
to each coordinate) and ``seed`` (``numpy.random.default_rng``); the same seed gives the same
points everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from symnn.core.errors import SymnnError
from symnn.core.registry import Registry
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TARGET_FORMS = ("binary", "signed", "one_hot")


@dataclass(frozen=True)
class Dataset:
    """Inputs ``X`` (samples as rows), class ``labels`` (0-based) and the class names.

    Examples:
        >>> xor = load_dataset("xor")
        >>> xor.X.tolist(), xor.targets("binary").ravel().tolist()
        ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0.0, 1.0, 1.0, 0.0])
        >>> xor.targets("signed").ravel().tolist()
        [-1.0, 1.0, 1.0, -1.0]
    """

    name: str
    X: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]

    def targets(self, form: str | None = None) -> np.ndarray:
        """Y in the given form; by default ``binary`` for two classes, else ``one_hot``."""
        form = form or ("binary" if len(self.classes) == 2 else "one_hot")
        if form == "one_hot":
            return np.eye(len(self.classes))[self.labels]
        if form not in TARGET_FORMS:
            raise SymnnError(f"targets: expected one of {', '.join(TARGET_FORMS)}, found {form!r}")
        if len(self.classes) != 2:
            raise SymnnError(
                f"{self.name}: {form} targets need two classes, found {len(self.classes)}; "
                "use one-hot targets and one output per class"
            )
        column = self.labels.astype(float)[:, None]
        return 2 * column - 1 if form == "signed" else column

    def standardized(self) -> Dataset:
        """Each feature shifted to mean 0 and scaled to standard deviation 1 (population)."""
        std = self.X.std(axis=0)
        return replace(self, X=(self.X - self.X.mean(axis=0)) / np.where(std > 0, std, 1.0))

    def targets_for(self, network: Network) -> np.ndarray:
        """Targets shaped for ``network``: one-hot for several outputs, else 0/1 or ±1 by loss."""
        if network.inputs != self.X.shape[1]:
            raise SymnnError(
                f"data {self.name}: the network takes {network.inputs} inputs, "
                f"the data has {self.X.shape[1]} features"
            )
        if network.outputs == len(self.classes) and network.outputs > 1:
            return self.targets("one_hot")
        if network.outputs == 1 and len(self.classes) == 2:
            signed = LOSSES[network.loss].targets.startswith("labels -1")
            return self.targets("signed" if signed else "binary")
        raise SymnnError(
            f"data {self.name}: {len(self.classes)} classes need a network with "
            f"{len(self.classes) if len(self.classes) > 2 else '1 or 2'} outputs, "
            f"found {network.outputs}"
        )


GATE_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "xor": (0, 1, 1, 0),
}


def gate(name: str) -> Dataset:
    """The truth table of a logic gate on the inputs (0,0), (0,1), (1,0), (1,1)."""
    return Dataset(name, GATE_INPUTS.copy(), np.array(GATES[name]), ("0", "1"), ("x1", "x2"))


def _halves(n: int) -> tuple[int, int]:
    if n < 2:
        raise SymnnError(f"n: expected at least 2 samples, found {n}")
    return n // 2, n - n // 2


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaved half circles: (cos t, sin t) and (1 − cos t, 0.5 − sin t), t in [0, π]."""
    a, b = _halves(n)
    t_a, t_b = np.linspace(0, np.pi, a), np.linspace(0, np.pi, b)
    X = np.concatenate(
        [np.stack([np.cos(t_a), np.sin(t_a)], 1), np.stack([1 - np.cos(t_b), 0.5 - np.sin(t_b)], 1)]
    )
    X += np.random.default_rng(seed).normal(0.0, noise, X.shape)
    return Dataset("moons", X, np.repeat([0, 1], [a, b]), ("upper", "lower"), ("x1", "x2"))


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> Dataset:
    """Two concentric circles: radius 1 (class 0) and radius ``factor`` (class 1)."""
    a, b = _halves(n)
    t_a = np.linspace(0, 2 * np.pi, a, endpoint=False)
    t_b = np.linspace(0, 2 * np.pi, b, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t_a), np.sin(t_a)], 1), factor * np.stack([np.cos(t_b), np.sin(t_b)], 1)]
    )
    X += np.random.default_rng(seed).normal(0.0, noise, X.shape)
    return Dataset("circles", X, np.repeat([0, 1], [a, b]), ("outer", "inner"), ("x1", "x2"))


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0) -> Dataset:
    """Interleaved spiral arms: arm c has radius r in [0, 1], angle 4(c + r) + noise·N(0, 1)."""
    if classes < 2:
        raise SymnnError(f"classes: expected at least 2, found {classes}")
    rng = np.random.default_rng(seed)
    sizes = [n // classes + (1 if c < n % classes else 0) for c in range(classes)]
    points = []
    for c, m in enumerate(sizes):
        r = np.linspace(0.0, 1.0, m)
        t = 4.0 * (c + r) + rng.normal(0.0, noise, m)
        points.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
    labels = np.repeat(np.arange(classes), sizes)
    names = tuple(f"arm {c}" for c in range(classes))
    return Dataset("spirals", np.concatenate(points), labels, names, ("x1", "x2"))


def blobs(n: int = 150, centers: int = 3, noise: float = 0.5, seed: int = 0) -> Dataset:
    """Gaussian blobs (standard deviation ``noise``) around centres evenly spaced on a circle of
    radius 2."""
    if centers < 2:
        raise SymnnError(f"centers: expected at least 2, found {centers}")
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(centers) / centers
    middles = 2.0 * np.stack([np.cos(angles), np.sin(angles)], 1)
    labels = np.arange(n) % centers
    X = middles[labels] + rng.normal(0.0, noise, (n, 2))
    names = tuple(f"blob {c}" for c in range(centers))
    return Dataset("blobs", X, labels, names, ("x1", "x2"))


def iris() -> Dataset:
    """Fisher's Iris data: 150 flowers, 4 measurements in cm, 3 species (50 each).

    Shipped in ``symnn/data/iris.csv``; see ``symnn/data/README.md`` for its provenance.
    """
    from symnn.core.csvdata import load_csv

    X, Y, info = load_csv(DATA_DIR / "iris.csv", one_hot=True)
    return Dataset("iris", X, np.argmax(Y, axis=1), tuple(info["classes"]), tuple(info["x_names"]))


DATASETS: Registry[Callable[..., Dataset]] = Registry("dataset")
for _name in GATES:
    DATASETS.add(_name, lambda name=_name: gate(name))
DATASETS.add("moons", moons)
DATASETS.add("circles", circles)
DATASETS.add("spirals", spirals)
DATASETS.add("blobs", blobs)
DATASETS.add("iris", iris)
GENERATED = ("moons", "circles", "spirals", "blobs")


def load_dataset(name: str, **options: object) -> Dataset:
    """A bundled dataset by name; generators accept ``n``, ``noise`` and ``seed``.

    Examples:
        >>> load_dataset("moons", n=10, seed=1).X.shape
        (10, 2)
        >>> load_dataset("iris").classes
        ('setosa', 'versicolor', 'virginica')
    """
    builder = DATASETS[name]
    options = {k: v for k, v in options.items() if v is not None}
    if options and name not in GENERATED:
        raise SymnnError(f"dataset {name!r} is fixed; {sorted(options)} apply to generators only")
    return builder(**options)


def dataset_from_csv(
    path: str | Path, x_columns=None, y_column: str | int | None = None
) -> Dataset:
    """A classification Dataset from a CSV file whose target column holds class labels."""
    from symnn.core.csvdata import load_csv

    y_columns = None if y_column is None else [y_column]
    X, Y, info = load_csv(path, x_columns, y_columns, one_hot=True)
    return Dataset(
        Path(path).name,
        X,
        np.argmax(Y, axis=1),
        tuple(info["classes"]),
        tuple(info["x_names"]),
    )

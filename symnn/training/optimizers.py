"""Update rules: plain gradient descent and classical momentum.

Which samples a gradient is taken over (the full batch for ``gd``, shuffled mini-batches for
``sgd``) is the trainer's business; an optimiser only turns a gradient into an update:

- ``gd`` and ``sgd``: θ ← θ − η g.
- ``momentum`` (the classical form of Polyak, as written by Sutskever et al. 2013):
  v ← μ v − η g;  θ ← θ + v, with v = 0 before the first step.
  PyTorch writes it as b ← μ b + g; θ ← θ − η b. For a constant η the two give identical
  iterates (v = −η b); they differ only if η changes during training, which symnn never does.

Only the parameters named in ``names`` are updated; frozen parameters are passed through as
they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from symnn.core.errors import SymnnError

Params = dict[str, np.ndarray]
OPTIMIZERS = ("gd", "sgd", "momentum")


@dataclass
class GradientDescent:
    """θ ← θ − η g.

    Examples:
        >>> GradientDescent(0.5).step({"w": np.array([1.0])}, {"w": np.array([2.0])}, ["w"])
        {'w': array([0.])}
    """

    lr: float

    def step(self, params: Params, grads: Params, names: Iterable[str]) -> Params:
        new = dict(params)
        for name in names:
            new[name] = params[name] - self.lr * grads[name]
        return new


@dataclass
class Momentum:
    """v ← μ v − η g; θ ← θ + v (velocity starts at zero).

    Examples:
        >>> opt = Momentum(lr=0.1, mu=0.9)
        >>> p = opt.step({"w": np.array([0.0])}, {"w": np.array([1.0])}, ["w"])
        >>> opt.step(p, {"w": np.array([1.0])}, ["w"])["w"].round(6)
        array([-0.29])
    """

    lr: float
    mu: float = 0.9
    velocity: Params = field(default_factory=dict)

    def step(self, params: Params, grads: Params, names: Iterable[str]) -> Params:
        new = dict(params)
        for name in names:
            v = self.velocity.get(name, np.zeros_like(params[name]))
            v = self.mu * v - self.lr * grads[name]
            self.velocity[name] = v
            new[name] = params[name] + v
        return new


def optimizer(name: str, lr: float, momentum: float = 0.9) -> GradientDescent | Momentum:
    """The optimiser called ``name`` (gd, sgd, momentum) with learning rate ``lr``."""
    if name in ("gd", "sgd"):
        return GradientDescent(lr)
    if name == "momentum":
        return Momentum(lr, momentum)
    raise SymnnError(f"optimizer: expected one of {', '.join(OPTIMIZERS)}, found {name!r}")

"""Activation functions: the registry of rules a layer may apply to its weighted inputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy as sp

from symnn.core.functions import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softmax, Softplus, Step
from symnn.core.registry import Registry


@dataclass(frozen=True)
class Activation:
    """An activation rule.

    ``apply(zs, params)`` returns the layer's activations for its weighted inputs; elementwise
    rules map each z_j alone. ``derivative`` is the customary form of f', in LaTeX.
    """

    name: str
    title: str
    apply: Callable[[Sequence[sp.Expr], Mapping[str, sp.Expr]], list[sp.Expr]]
    derivative: str
    kink: str = ""
    defaults: Mapping[str, float] = field(default_factory=dict)
    elementwise: bool = True


def _elementwise(fn: Callable[..., sp.Expr], *param_names: str):
    def apply(zs: Sequence[sp.Expr], params: Mapping[str, sp.Expr]) -> list[sp.Expr]:
        return [fn(zj, *(params[p] for p in param_names)) for zj in zs]

    return apply


def _softmax(zs: Sequence[sp.Expr], params: Mapping[str, sp.Expr]) -> list[sp.Expr]:
    return [Softmax(j, *zs) for j in range(1, len(zs) + 1)]


ACTIVATIONS: Registry[Activation] = Registry("activation")
for _entry in (
    Activation("identity", "identity", _elementwise(lambda z: z), r"f'(z) = 1"),
    Activation(
        "step",
        "step (Heaviside)",
        _elementwise(Step),
        r"\operatorname{step}'(z) = 0",
        "the step fires (outputs 1) at z >= 0; its derivative is taken as 0 everywhere",
    ),
    Activation(
        "sigmoid",
        "logistic sigmoid",
        _elementwise(Sigmoid),
        r"\sigma'(z) = \sigma(z)(1 - \sigma(z))",
    ),
    Activation("tanh", "hyperbolic tangent", _elementwise(sp.tanh), r"\tanh'(z) = 1 - \tanh^2(z)"),
    Activation(
        "relu",
        "rectified linear unit",
        _elementwise(ReLU),
        r"\operatorname{ReLU}'(z) = \mathbb{1}[z > 0]",
        "ReLU'(0) = 0",
    ),
    Activation(
        "leaky_relu",
        "leaky ReLU",
        _elementwise(LeakyReLU, "slope"),
        r"f'(z) = 1 \text{ for } z > 0, \text{ else the slope}",
        "the derivative at 0 is the slope",
        {"slope": 0.01},
    ),
    Activation(
        "softplus", "softplus", _elementwise(Softplus), r"\operatorname{softplus}'(z) = \sigma(z)"
    ),
    Activation(
        "elu",
        "exponential linear unit",
        _elementwise(ELU, "alpha"),
        r"f'(z) = 1 \text{ for } z > 0, \text{ else } f(z) + \alpha",
        "the derivative at 0 is alpha (the left limit)",
        {"alpha": 1.0},
    ),
    Activation(
        "silu", "SiLU (swish)", _elementwise(SiLU), r"f'(z) = \sigma(z)(1 + z(1 - \sigma(z)))"
    ),
    Activation("gelu", "GELU (erf form)", _elementwise(GELU), r"f'(z) = \Phi(z) + z\,\varphi(z)"),
    Activation(
        "softmax",
        "softmax over the layer",
        _softmax,
        r"\frac{\partial s_i}{\partial z_k} = s_i([i = k] - s_k)",
        elementwise=False,
    ),
):
    ACTIVATIONS.add(_entry.name, _entry)

ACTIVATIONS.add("swish", ACTIVATIONS["silu"])

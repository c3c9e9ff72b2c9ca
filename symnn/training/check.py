"""Verification as a feature: generated gradients against finite differences and autodiff.

The error reported for a parameter array g against a reference r is
max_i |g_i − r_i| / max(max_i |r_i|, max_i |g_i|, floor): relative to the array's scale, so an entry
that is nearly zero does not turn rounding noise into a failure. The floor is 1e-4·max(1, |L|): a
gradient that is exactly zero (MAE with balanced residuals) is judged against the loss's scale,
where finite differences carry rounding of about 1e-11·|L|.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnn.codegen.element import CompiledGradients, compile_gradients
from symnn.codegen.matrix import compile_matrix_gradients
from symnn.core.errors import SymnnError
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network
from symnn.training import oracle

Params = dict[str, np.ndarray]


def relative_error(g: np.ndarray, r: np.ndarray, floor: float = 1e-8) -> float:
    """The worst difference between g and r, relative to their scale (at least ``floor``)."""
    g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
    scale = max(float(np.max(np.abs(r), initial=0.0)), float(np.max(np.abs(g), initial=0.0)), floor)
    return float(np.max(np.abs(g - r), initial=0.0)) / scale


def random_params(network: Network, rng: np.random.Generator) -> Params:
    """Parameters drawn with scale 1/√fan-in, so activations stay in their interesting range."""
    return {
        name: rng.normal(0.0, 1.0 / np.sqrt(shape[-1] if len(shape) == 2 else 1.0), shape)
        for name, shape in network.parameter_shapes()
    }


def random_batch(
    network: Network, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and targets of the kind the loss expects (probabilities, distributions or ±1)."""
    X = rng.normal(0.0, 1.0, (n, network.inputs))
    k = network.outputs
    loss = network.loss
    if loss in ("cross_entropy", "softmax_cross_entropy"):
        Y = rng.dirichlet(np.ones(k), size=n)
    elif loss in ("binary_cross_entropy", "binary_cross_entropy_logits"):
        Y = rng.uniform(0.0, 1.0, (n, k))
    elif loss in ("hinge", "perceptron"):
        Y = rng.choice([-1.0, 1.0], size=(n, k))
    else:
        Y = rng.normal(0.0, 1.0, (n, k))
    assert LOSSES[loss].check_targets(Y)
    return X, Y


def finite_differences(
    f: CompiledGradients, params: Params, X: np.ndarray, Y: np.ndarray, names, eps: float = 1e-5
) -> Params:
    """Central differences with one Richardson step, for every entry.

    D(h) = (L(θ+h) − L(θ−h)) / 2h has error O(h²); (4 D(h/2) − D(h)) / 3 cancels it, leaving
    O(h⁴). With h = eps·max(1, |θ|) = 1e-5 the truncation error is negligible and rounding stays
    near 1e-11, where a plain central difference needs a smaller h and so amplifies rounding.
    """

    def loss_at(name: str, value: np.ndarray) -> float:
        return f.loss({**params, name: value}, X, Y)

    def central(name: str, value: np.ndarray, index: tuple, h: float) -> float:
        up, down = value.copy(), value.copy()
        up[index] += h
        down[index] -= h
        return (loss_at(name, up) - loss_at(name, down)) / (2 * h)

    grads = {}
    for name in names:
        value = np.array(params[name], dtype=float)
        grad = np.empty_like(value)
        for index in np.ndindex(value.shape):
            h = eps * max(1.0, abs(value[index]))
            coarse, fine = central(name, value, index, h), central(name, value, index, h / 2)
            grad[index] = (4 * fine - coarse) / 3
        grads[name] = grad
    return grads


@dataclass(frozen=True)
class ParameterCheck:
    name: str
    finite_difference: float
    autodiff: float | None


@dataclass(frozen=True)
class GradientReport:
    """Worst relative error per parameter against each reference, and the verdict."""

    rows: tuple[ParameterCheck, ...]
    tolerance: float
    autodiff_tolerance: float
    loss: float

    @property
    def passed(self) -> bool:
        return all(
            r.finite_difference <= self.tolerance
            and (r.autodiff is None or r.autodiff <= self.autodiff_tolerance)
            for r in self.rows
        )

    def table(self) -> str:
        """A plain-text table, one parameter a row."""
        lines = [f"{'parameter':<10} {'vs finite diff.':>16} {'vs autodiff':>12}"]
        for r in self.rows:
            auto = "n/a" if r.autodiff is None else f"{r.autodiff:.2e}"
            lines.append(f"{r.name:<10} {r.finite_difference:>16.2e} {auto:>12}")
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(
            f"{verdict}: tolerance {self.tolerance:.0e} (finite differences), "
            f"{self.autodiff_tolerance:.0e} (autodiff)"
        )
        return "\n".join(lines)


def check_gradients(
    network: Network,
    params: Params | None = None,
    X: np.ndarray | None = None,
    Y: np.ndarray | None = None,
    *,
    seed: int = 0,
    samples: int = 8,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
    autodiff_tolerance: float = 1e-10,
    autodiff: bool = True,
    level: str = "element",
) -> GradientReport:
    """Compare symnn's generated gradients with finite differences and, if installed, autograd.

    Parameters and data default to the spec's own, else to seeded random draws.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> report = check_gradients(Network(2, [Dense(2, "tanh"), Dense(1)], "mse"))
        >>> report.passed
        True
    """
    rng = np.random.default_rng(seed)
    if params is None:
        given = network.has_given_weights
        params = network.given_params() if given else random_params(network, rng)
    if X is None or Y is None:
        X, Y = network.data.arrays() if network.data else random_batch(network, rng, samples)
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if level not in ("element", "matrix"):
        raise SymnnError(f"level: expected 'element' or 'matrix', found {level!r}")
    f = compile_matrix_gradients(network) if level == "matrix" else compile_gradients(network)
    loss, grads = f(params, X, Y)
    numeric = finite_differences(f, params, X, Y, f.parameter_names, eps)
    reference = (
        oracle.gradients(network, params, X, Y)[1] if autodiff and oracle.available() else None
    )
    floor = 1e-4 * max(1.0, abs(loss))
    rows = tuple(
        ParameterCheck(
            name,
            relative_error(grads[name], numeric[name], floor),
            None if reference is None else relative_error(grads[name], reference[name], floor),
        )
        for name in f.parameter_names
    )
    return GradientReport(rows, tolerance, autodiff_tolerance, loss)

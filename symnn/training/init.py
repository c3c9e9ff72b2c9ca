"""Seeded initial parameters: uniform, Xavier/Glorot, He, or the weights written in the spec.

For a weight matrix W_l of shape (n_out, n_in) = (units of layer l, units of layer l − 1):

- ``uniform``: w ~ U(−r, r) with r = 1/√n_in (the range PyTorch's ``nn.Linear`` uses);
- ``xavier`` (Glorot & Bengio 2010, uniform form): w ~ U(−r, r) with r = √(6 / (n_in + n_out)),
  which gives Var(w) = 2 / (n_in + n_out);
- ``he`` (He et al. 2015, normal form, for ReLU layers): w ~ N(0, σ²) with σ = √(2 / n_in);
- ``given``: the weights and biases written in the spec (``Network.given_params()``);
- ``auto``: ``given`` when the spec writes every layer's weights, else ``xavier``.

Biases start at zero, except bias values written in the spec, which are kept (a hand-worked
example often fixes them). Draws come from ``numpy.random.default_rng(seed)`` in parameter order
W1, W2, …, so the same seed gives the same parameters on every machine.
"""

from __future__ import annotations

import numpy as np

from symnn.core.errors import SymnnError
from symnn.spec.network import Network

Params = dict[str, np.ndarray]
SCHEMES = ("auto", "given", "uniform", "xavier", "he")


def _weights(scheme: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    # A kernel (C_out, C_in, *k) counts its receptive field in both fans, as PyTorch does.
    field = int(np.prod(shape[2:], dtype=int))
    n_out, n_in = shape[0] * field, shape[1] * field
    if scheme == "uniform":
        r = 1.0 / np.sqrt(n_in)
        return rng.uniform(-r, r, shape)
    if scheme == "xavier":
        r = np.sqrt(6.0 / (n_in + n_out))
        return rng.uniform(-r, r, shape)
    return rng.normal(0.0, np.sqrt(2.0 / n_in), shape)  # he


def initial_params(network: Network, scheme: str = "auto", seed: int = 0) -> Params:
    """Initial parameters for ``network`` by ``scheme`` (see the module docstring for formulas).

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(3, "tanh"), Dense(1)], "mse")
        >>> p = initial_params(net, "xavier", seed=0)
        >>> sorted(p), p["W1"].shape, bool(abs(p["W1"]).max() <= (6 / 5) ** 0.5)
        (['W1', 'W2', 'b1', 'b2'], (3, 2), True)
        >>> (initial_params(net, "he", seed=1)["W2"] == initial_params(net, "he", 1)["W2"]).all()
        np.True_
    """
    if scheme not in SCHEMES:
        raise SymnnError(f"init: expected one of {', '.join(SCHEMES)}, found {scheme!r}")
    if scheme == "auto":
        given = network.has_given_weights
        scheme = "given" if given else "xavier"
    if scheme == "given":
        return network.given_params()
    rng = np.random.default_rng(seed)
    params: Params = {}
    for p in network.parameter_specs():
        if p.init == "weights":
            params[p.name] = _weights(scheme, p.shape, rng)
        else:
            given = p.given
            params[p.name] = np.zeros(p.shape) if given is None else np.array(given, dtype=float)
    return params

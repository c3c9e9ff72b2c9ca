"""An independent forward pass written with HIPS autograd, used only as a test oracle.

Nothing here comes from the derivation engine: each rule is written again in ``autograd.numpy``
and autograd differentiates the composed loss, so agreement with symnn's generated gradients is
evidence, not an echo. Requires the ``test`` extra (autograd, scipy).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from symnn.layers.base import OracleContext
from symnn.spec.network import Network


def available() -> bool:
    try:
        import autograd  # noqa: F401
        import scipy  # noqa: F401
    except ImportError:
        return False
    return True


def _logsumexp(anp, z, axis, keepdims):
    # Not autograd.scipy (it imports scipy.stats, seconds of CPU). The maximum's own derivative
    # cancels (the sum is shift invariant); autograd checks that.
    top = anp.max(z, axis=axis, keepdims=True)
    total = top + anp.log(anp.sum(anp.exp(z - top), axis=axis, keepdims=True))
    return total if keepdims else anp.squeeze(total, axis=axis)


def _rules():
    import autograd.numpy as anp

    def erf(x):
        # On first use: autograd.scipy imports scipy.stats, seconds of CPU for gelu alone.
        from autograd.scipy.special import erf as autograd_erf

        return autograd_erf(x)

    def logsumexp(z, axis, keepdims):
        return _logsumexp(anp, z, axis, keepdims)

    def sigmoid(z):
        return 0.5 * (anp.tanh(0.5 * z) + 1.0)

    activations: dict[str, Callable] = {
        "identity": lambda z, p: z,
        "step": lambda z, p: anp.where(z >= 0, 1.0, 0.0) + 0.0 * z,
        "sigmoid": lambda z, p: sigmoid(z),
        "tanh": lambda z, p: anp.tanh(z),
        "relu": lambda z, p: anp.where(z > 0, z, 0.0),
        "leaky_relu": lambda z, p: anp.where(z > 0, z, p["slope"] * z),
        "softplus": lambda z, p: anp.logaddexp(0.0, z),
        "elu": lambda z, p: anp.where(z > 0, z, p["alpha"] * (anp.exp(anp.minimum(z, 0.0)) - 1)),
        "silu": lambda z, p: z * sigmoid(z),
        "swish": lambda z, p: z * sigmoid(z),
        "gelu": lambda z, p: 0.5 * z * (1 + erf(z / np.sqrt(2.0))),
        "softmax": lambda z, p: anp.exp(z - logsumexp(z, axis=1, keepdims=True)),
    }

    def huber(r, d):
        return anp.where(anp.abs(r) <= d, 0.5 * r**2, d * (anp.abs(r) - 0.5 * d))

    losses: dict[str, Callable] = {
        "squared_error": lambda o, y, p: 0.5 * anp.sum((y - o) ** 2, axis=1),
        "mse": lambda o, y, p: anp.mean((y - o) ** 2, axis=1),
        "mae": lambda o, y, p: anp.mean(anp.abs(y - o), axis=1),
        "huber": lambda o, y, p: anp.mean(huber(o - y, p["delta"]), axis=1),
        "binary_cross_entropy": lambda o, y, p: (
            -anp.mean(y * anp.log(o) + (1 - y) * anp.log(1 - o), axis=1)
        ),
        "binary_cross_entropy_logits": lambda o, y, p: anp.mean(
            anp.logaddexp(0.0, o) - y * o, axis=1
        ),
        "cross_entropy": lambda o, y, p: -anp.sum(y * anp.log(o), axis=1),
        "softmax_cross_entropy": lambda o, y, p: (
            -anp.sum(y * (o - logsumexp(o, axis=1, keepdims=True)), axis=1)
        ),
        "hinge": lambda o, y, p: anp.mean(anp.maximum(0.0, 1 - y * o), axis=1),
        "perceptron": lambda o, y, p: anp.mean(anp.maximum(0.0, -y * o), axis=1),
    }
    return anp, activations, losses


def _fused_losses(anp) -> dict[tuple[str, str], Callable]:
    """Probability losses on their output activation, from the logits z (saturation-proof).

    Written again here from log σ(z) = −log(1 + e^{−z}) and log softmax(z) = z − log Σ e^z, not
    taken from symnn.rules.fused, so the oracle stays independent.
    """

    def logsumexp(z, axis, keepdims=False):
        return _logsumexp(anp, z, axis, keepdims)

    def log_softmax(z):
        return z - logsumexp(z, axis=1, keepdims=True)

    def log_one_minus_softmax(z):
        # log Σ_{j≠k} e^{z_j} − log Σ_j e^{z_j}, column k masked out with −inf.
        k = z.shape[1]
        masked = z[:, None, :] + np.where(np.eye(k, dtype=bool), -np.inf, 0.0)[None, :, :]
        return logsumexp(masked, axis=2) - logsumexp(z, axis=1, keepdims=True)

    return {
        ("sigmoid", "binary_cross_entropy"): lambda z, y: anp.mean(
            y * anp.logaddexp(0.0, -z) + (1 - y) * anp.logaddexp(0.0, z), axis=1
        ),
        ("sigmoid", "cross_entropy"): lambda z, y: anp.sum(y * anp.logaddexp(0.0, -z), axis=1),
        ("softmax", "cross_entropy"): lambda z, y: -anp.sum(y * log_softmax(z), axis=1),
        ("softmax", "binary_cross_entropy"): lambda z, y: (
            -anp.mean(y * log_softmax(z) + (1 - y) * log_one_minus_softmax(z), axis=1)
        ),
    }


def loss_function(network: Network) -> Callable[[dict, np.ndarray, np.ndarray], float]:
    """The mean batch loss as a function of the parameter dict, written in autograd.numpy."""
    anp, activations, losses = _rules()

    output = getattr(network.layers[-1], "activation", None)
    fused = _fused_losses(anp).get((output, network.loss))
    if network.outputs < 2 and output == "softmax":
        fused = None  # a softmax of one unit is the constant 1

    def loss(params, X, Y):
        # Each layer's own forward (symnn.layers), in autograd.numpy: no engine code runs here.
        o = OracleContext(anp, activations, params, network)
        blocks = [X]
        last = len(network.layers)
        for l, (layer, sources) in enumerate(zip(network.layers, network.sources, strict=True), 1):
            context = o
            if fused is not None and l == last:  # the logits: the fused loss applies the output
                logits = {**activations, layer.activation: lambda z, p: z}
                context = OracleContext(anp, logits, params, network)
            blocks.append(layer.oracle(context, l, [blocks[b] for b in sources]))
        if fused is not None:
            return anp.mean(fused(blocks[-1], Y))
        return anp.mean(losses[network.loss](blocks[-1], Y, dict(network.loss_params)))

    return loss


def gradients(network: Network, params: dict, X: np.ndarray, Y: np.ndarray) -> tuple[float, dict]:
    """Loss and autograd's gradient for every parameter."""
    from autograd import value_and_grad

    value, grads = value_and_grad(loss_function(network))(
        {k: np.asarray(v, dtype=float) for k, v in params.items()}, X, Y
    )
    return float(value), grads


def covered() -> tuple[set[str], set[str]]:
    """The activation and loss names the oracle implements (tests compare with the registries)."""
    _, activations, losses = _rules()
    return set(activations), set(losses)

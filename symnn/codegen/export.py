"""The matrix-level gradient code for the engines users move to: NumPy alone, JAX and PyTorch.

All three come from the same generated body as ``compile_matrix_gradients`` (one derivation, one
code generator); only the array library under it changes:

- ``numpy``: a module that needs NumPy alone, symnn's stable helpers (``symnn.numerics``) copied
  into it from their source, so what runs is exactly what symnn tests.
- ``jax``: the helpers in ``jax.numpy``; ``loss_and_gradients`` is jit-able, and ``loss`` carries a
  ``jax.custom_vjp`` whose backward pass is symnn's derived one, so ``jax.grad(loss)`` runs the
  derivation's formulas rather than JAX's trace of the forward pass.
- ``torch``: the helpers in ``torch``; ``SymnnLoss`` is a ``torch.autograd.Function`` whose
  forward computes the loss and whose backward returns symnn's gradients (``loss(params, X, Y)``
  applies it), so ``loss.backward()`` fills ``.grad`` with the derived gradients.

Every export also returns ∂L/∂X (Δ⁽¹⁾ W⁽¹⁾, from the same backward pass) so a gradient can flow
into the inputs; the targets Y get none (a zero cotangent in JAX, None in PyTorch), and neither do
parameters the spec keeps fixed.
"""

from __future__ import annotations

import inspect
import re

from symnn import numerics
from symnn.codegen.matrix import FUNCTION_NAME, matrix_source
from symnn.core.errors import SymnnError
from symnn.spec.network import Network

TARGETS = ("numpy", "jax", "torch")
SUFFIX = {"numpy": ".py", "jax": ".py", "torch": ".py"}

# The helpers each backend writes out, in the NumPy names the generated body uses (``xp.``).
_HELPERS = '''

def sigmoid(z):
    """σ(z) = exp(−log(1 + e^{−z})), stable at both ends."""
    return xp.exp(-xp.logaddexp(0.0, -z))


def softplus(z):
    return xp.logaddexp(0.0, z)


def relu(z):
    return xp.maximum(z, 0.0)


def indicator(u):
    """1[u > 0]: ReLU's derivative, 0 at the kink."""
    return xp.where(xp.greater(u, 0.0), 1.0, 0.0)


def step(z):
    """The perceptron's step: fires (1) when z >= 0."""
    return xp.where(xp.greater_equal(z, 0.0), 1.0, 0.0)


def leaky_relu(z, slope):
    return xp.where(xp.greater(z, 0.0), z, slope * z)


def elu(z, alpha):
    return xp.where(xp.greater(z, 0.0), z, alpha * xp.expm1(xp.minimum(z, 0.0)))


def silu(z):
    return z * sigmoid(z)


def normal_cdf(z):
    return 0.5 * (1.0 + xp.erf(z / math.sqrt(2.0)))


def gelu(z):
    return z * normal_cdf(z)


def logsumexp_rows(Z):
    """log Σ_k e^{Z[n, k]} for each row n (sample), the row maximum subtracted first."""
    top = xp.max(Z, axis=1, keepdims=True)
    return top[:, 0] + xp.log(xp.sum(xp.exp(Z - top), axis=1))


def softmax_rows(Z):
    """The softmax of each row (sample) of Z, the row maximum subtracted first."""
    e = xp.exp(Z - xp.max(Z, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def softmax_logsumexp_rows(Z):
    """The row softmax and the row log-sum-exp from one exponential (a fused loss needs both)."""
    top = xp.max(Z, axis=1, keepdims=True)
    e = xp.exp(Z - top)
    total = xp.sum(e, axis=1, keepdims=True)
    return e / total, top[:, 0] + xp.log(total[:, 0])


def huber(r, d):
    absolute = xp.abs(r)
    return xp.where(absolute <= d, 0.5 * r * r, d * (absolute - 0.5 * d))
'''

_JAX_NAMESPACE = '''
import math

import jax
import jax.numpy as jnp
from jax.scipy.special import erf as _erf


class xp:
    """jax.numpy under the NumPy names the generated code calls."""

    pi = math.pi
    erf = staticmethod(_erf)

    @staticmethod
    def asarray(x):
        # float64 when jax_enable_x64 is set, else float32 (without a truncation warning)
        return jnp.asarray(x, dtype=jnp.result_type(float))


for _name in (
    "abs exp expm1 greater greater_equal less_equal log logaddexp max maximum mean minimum sign "
    "sqrt sum tanh vdot where zeros zeros_like full_like"
).split():
    setattr(xp, _name, staticmethod(getattr(jnp, _name)))
'''

_TORCH_NAMESPACE = '''
import math

import torch


def _t(x):
    """A float64 tensor (Python numbers included), kept as is when it already is one."""
    return torch.as_tensor(x, dtype=torch.float64)


class xp:
    """torch under the NumPy names the generated code calls (float64 throughout)."""

    pi = math.pi

    @staticmethod
    def asarray(x):
        return _t(x)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return torch.sum(x) if axis is None else torch.sum(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def max(x, axis, keepdims=False):
        return torch.amax(x, dim=axis, keepdim=keepdims)

    @staticmethod
    def mean(x):
        return torch.mean(x)

    @staticmethod
    def vdot(a, b):
        return torch.sum(_t(a) * _t(b))

    @staticmethod
    def where(condition, a, b):
        return torch.where(condition, _t(a), _t(b))

    @staticmethod
    def zeros(n):
        return torch.zeros(n, dtype=torch.float64)

    @staticmethod
    def zeros_like(x):
        return torch.zeros_like(_t(x))

    @staticmethod
    def full_like(x, value):
        return torch.full_like(_t(x), float(value))


def _elementwise(function):
    return staticmethod(lambda *args: function(*(_t(a) for a in args)))


for _name, _function in {
    "abs": torch.abs, "exp": torch.exp, "expm1": torch.expm1, "log": torch.log,
    "sqrt": torch.sqrt, "tanh": torch.tanh, "sign": torch.sign, "erf": torch.special.erf,
    "logaddexp": torch.logaddexp, "maximum": torch.maximum, "minimum": torch.minimum,
    "greater": torch.gt, "greater_equal": torch.ge, "less_equal": torch.le,
}.items():  # fmt: skip
    setattr(xp, _name, _elementwise(_function))
'''


def _body(net: Network) -> tuple[list[str], set[str]]:
    """The generated function as ``_loss_gradients_inputs`` on ``xp``, and the helpers it calls.

    It returns the mean loss (an array, not a Python float, so it traces), the gradients and
    ∂L/∂X = Δ⁽¹⁾ W⁽¹⁾ (Δ carries the mean's 1/N).
    """
    source = matrix_source(net, keep_arrays=False)
    imports = re.search(r"^from symnn\.numerics import (.*)$", source, re.M)
    calls = set(imports.group(1).split(", ")) if imports else set()
    start = source.index(f"def {FUNCTION_NAME}(")
    lines = source[start:].rstrip("\n").splitlines()
    last = "    return float(L) / N, grads"
    if lines[-1] != last:  # the generator's own footer; anything else is a change to follow here
        raise SymnnError(f"export: unexpected end of the generated function: {lines[-1]!r}")
    lines[-1] = "    return L / N, grads, Delta1 @ W1"  # Δ carries the mean's 1/N
    lines[0] = lines[0].replace(FUNCTION_NAME, "_loss_gradients_inputs")
    text = "\n".join(lines)
    text = re.sub(r"numpy\.asarray\(([^()]+), dtype=float\)", r"numpy.asarray(\1)", text)
    return text.replace("numpy.", "xp.").splitlines(), calls


def _helper_source(calls: set[str]) -> str:
    """The backend helpers the body calls (and those they call), in the shared order."""
    blocks = _HELPERS.strip("\n").split("\n\n\n")
    by_name = {re.match(r"def (\w+)\(", b).group(1): b for b in blocks}
    needed = set(calls)
    for name in list(calls):
        needed |= {n for n in by_name if re.search(rf"\b{n}\(", by_name[name]) and n != name}
    unknown = needed - set(by_name)
    if unknown:
        raise SymnnError(f"export: no backend helper for {', '.join(sorted(unknown))}")
    return "\n\n\n".join(b for n, b in by_name.items() if n in needed)


# symnn.numerics' functions that generated code may call beside the rules of NAMESPACE.
NOT_RULES = ["_stacked", "kept"]


def _numpy_helpers(calls: set[str]) -> str:
    """symnn.numerics' own source for the called helpers and their dependencies."""
    names = set(calls)
    while True:
        more = {
            n
            for n in list(numerics.NAMESPACE) + NOT_RULES
            for c in names
            if n != c and re.search(rf"\b{n}\(", inspect.getsource(getattr(numerics, c)))
        }
        if more <= names:
            break
        names |= more
    order = [n for n in [*numerics.NAMESPACE, *NOT_RULES] if n in names]
    order.sort(key=lambda n: inspect.getsourcelines(getattr(numerics, n))[1])
    blocks = [inspect.getsource(getattr(numerics, n)).rstrip() for n in order]
    text = "\n\n\n".join(blocks)
    return re.sub(r"\bnp\.", "numpy.", text)


def _header(net: Network, target: str) -> list[str]:
    names = [p for p, _ in net.parameter_shapes()]
    trainable = [p for p in names if net.trainable(p)]
    return [
        f"PARAMETERS = {tuple(names)!r}",
        f"TRAINABLE = {tuple(trainable)!r}",
        f"WIDTHS = {net.widths!r}",
        f"LOSS = {net.loss!r}",
    ]


def export_numpy(net: Network) -> str:
    """A module computing ``loss_and_gradients(params, X, Y)`` with NumPy alone.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> source = export_numpy(Network(2, [Dense(2, "gelu"), Dense(1)], "mse"))
        >>> [line for line in source.splitlines() if line.startswith(("import", "from"))]
        ['import math', 'import numpy']
    """
    source = matrix_source(net)
    imports = re.search(r"^from symnn\.numerics import (.*)$", source, re.M)
    if imports is None:
        body = source
        helpers = ""
    else:
        calls = set(imports.group(1).split(", "))
        helpers = _numpy_helpers(calls)
        body = source.replace(imports.group(0) + "\n", "")
    docstring, _, rest = body.partition("\n")
    needs_erf = "_erf(" in helpers
    lines = [
        '"""Generated by symnn from the matrix-level derivation; needs NumPy alone. Do not edit.',
        "",
        "loss, grads = loss_and_gradients(params, X, Y): the mean loss over the samples (rows of X",
        "and Y) and the gradient of every trainable parameter. The helpers below are symnn's",
        'stable implementations (symnn.numerics), copied here."""',
        "",
    ]
    if needs_erf:
        lines += ["import math", ""]
    lines += ["import numpy", ""]
    if needs_erf:
        lines += [
            "try:  # SciPy's erf is vectorised C; the fallback is exact but slower.",
            "    from scipy.special import erf as _erf",
            "except ImportError:",
            "    _erf = numpy.vectorize(math.erf, otypes=[float])",
            "",
        ]
    if "_expit(" in helpers:
        lines += [
            "try:  # SciPy's logistic ufunc is one C pass; the fallback is as stable.",
            "    from scipy.special import expit as _expit",
            "except ImportError:",
            "",
            "    def _expit(z, out=None):",
            "        return numpy.exp(-numpy.logaddexp(0.0, -z), out=out)",
            "",
        ]
    lines += ["", *_header(net, "numpy"), ""]
    if helpers:
        lines += ["", helpers, ""]
    function = rest[rest.index("def ") :]
    return "\n".join([*lines, "", function.rstrip("\n"), ""])


def _module(net: Network, target: str, doc: list[str], namespace: str, tail: str) -> str:
    """A JAX or PyTorch module: docstring, namespace, header, helpers, the body, then ``tail``."""
    body, calls = _body(net)
    parts = [namespace.strip("\n"), "", "", *_header(net, target), "", "", _helper_source(calls)]
    return "\n".join([*doc, *parts, "", "", *body, tail.rstrip("\n"), ""])


def export_jax(net: Network) -> str:
    """A JAX module: jit-able ``loss_and_gradients`` and ``loss`` with symnn's backward as its VJP.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> source = export_jax(Network(2, [Dense(2, "tanh"), Dense(1)], "mse"))
        >>> "@jax.custom_vjp" in source and "import symnn" not in source
        True
    """
    doc = [
        '"""Generated by symnn from the matrix-level derivation, for JAX. Do not edit.',
        "",
        "loss_and_gradients(params, X, Y) -> (loss, grads): jit-able, jax.numpy throughout.",
        "loss(params, X, Y): the mean loss; jax.grad(loss) runs symnn's derived backward pass",
        "(a jax.custom_vjp); the inputs X get ∂L/∂X, the targets Y and fixed parameters zero.",
        "Enable float64 (jax.config.update('jax_enable_x64', True)) for double precision.",
        '"""',
    ]
    tail = '''

def loss_and_gradients(params, X, Y):
    """Mean loss and gradients of the trainable parameters (symnn's derived formulas)."""
    value, grads, _ = _loss_gradients_inputs(params, X, Y)
    return value, grads


@jax.custom_vjp
def loss(params, X, Y):
    """The mean loss; its gradient (jax.grad) is symnn's derived backward pass."""
    return _loss_gradients_inputs(params, X, Y)[0]


def _loss_forward(params, X, Y):
    value, grads, inputs = _loss_gradients_inputs(params, X, Y)
    return value, (params, grads, inputs, Y)


def _loss_backward(saved, g):
    params, grads, inputs, Y = saved
    cotangents = {k: g * grads[k] if k in grads else jnp.zeros_like(v) for k, v in params.items()}
    return cotangents, g * inputs, jnp.zeros_like(Y)


loss.defvjp(_loss_forward, _loss_backward)
'''
    return _module(net, "jax", doc, _JAX_NAMESPACE, tail)


def export_torch(net: Network) -> str:
    """A PyTorch module: ``SymnnLoss``, a ``torch.autograd.Function`` with symnn's backward.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> source = export_torch(Network(2, [Dense(2, "tanh"), Dense(1)], "mse"))
        >>> "class SymnnLoss(torch.autograd.Function)" in source and "import symnn" not in source
        True
    """
    doc = [
        '"""Generated by symnn from the matrix-level derivation, for PyTorch. Do not edit.',
        "",
        "loss(params, X, Y): the mean loss as a tensor; loss(...).backward() fills each",
        "parameter's .grad with symnn's derived gradient (SymnnLoss, a torch.autograd.Function)",
        "and X's with ∂L/∂X; targets and fixed parameters get none. loss_and_gradients(params,",
        "X, Y) -> (loss, grads) without autograd. Tensors are float64.",
        '"""',
    ]
    tail = '''

def loss_and_gradients(params, X, Y):
    """Mean loss and gradients of the trainable parameters (symnn's derived formulas)."""
    with torch.no_grad():
        value, grads, _ = _loss_gradients_inputs(params, X, Y)
    return value, grads


class SymnnLoss(torch.autograd.Function):
    """Forward: the mean loss. Backward: symnn's derived gradients, scaled by the incoming one."""

    @staticmethod
    def forward(ctx, X, Y, *values):
        value, grads, inputs = _loss_gradients_inputs(dict(zip(PARAMETERS, values)), X, Y)
        ctx.trainable = [name in grads for name in PARAMETERS]
        ctx.save_for_backward(inputs, *(grads[name] for name in PARAMETERS if name in grads))
        return value

    @staticmethod
    def backward(ctx, g):
        inputs, *saved = ctx.saved_tensors
        saved = iter(saved)
        grads = [g * next(saved) if trainable else None for trainable in ctx.trainable]
        return (g * inputs if ctx.needs_input_grad[0] else None, None, *grads)


def loss(params, X, Y):
    """The mean loss of the network; differentiable through symnn's backward pass."""
    return SymnnLoss.apply(X, Y, *(params[name] for name in PARAMETERS))
'''
    return _module(net, "torch", doc, _TORCH_NAMESPACE, tail)


EXPORTERS = {"numpy": export_numpy, "jax": export_jax, "torch": export_torch}


def export(net: Network, target: str) -> str:
    """The gradient code of ``net`` for ``target`` (numpy, jax or torch), as module source."""
    if target not in EXPORTERS:
        raise SymnnError(f"export: unknown target {target!r}; known: {', '.join(TARGETS)}")
    if target != "numpy" and not net.is_chain:
        # The JAX and PyTorch namespaces translate the dense stack's NumPy calls, and ∂L/∂X is
        # Δ⁽¹⁾W⁽¹⁾; other layer kinds (sliding windows, loops over time, graphs) are not
        # translated yet, and a module that fails when run is worse than a refusal.
        kinds = sorted({type(layer).kind for layer in net.layers} - {"dense"})
        found = f"{', '.join(kinds)} layers" if kinds else "named inputs or shared weights"
        raise SymnnError(
            f"export --to {target}: supports a plain stack of dense layers; this network has "
            f"{found} (--to numpy exports every layer kind)"
        )
    return EXPORTERS[target](net)

"""Matrix derivation -> vectorised NumPy: forward and backward as matrix operations over a batch.

Samples are the rows of X and Y. The function is assembled from each layer's NumPy rule
(``numpy_forward``/``numpy_backward`` in ``symnn/layers``): forward block by block, then backward
from the loss, each block's gradient the sum of what the layers reading it send back, and each
parameter's gradient the sum over its uses. A dense layer writes its Z, A and Δ into arrays the
caller may keep between calls (``work``): at a large batch, fresh megabytes each call cost more
in page faults than the arithmetic they hold (benchmarks/README.md).
For dense layers: Z = A_prev Wᵀ + b, A = f(Z),
Δ^{(l)} = (Σ_readers ∂L/∂A^{(l)}) ⊙ f'(Z^{(l)}), ∂L/∂W = Δᵀ A_prev, ∂L/∂b = Σ_rows Δ;
the batch mean's 1/N is applied once, to the output's gradient, and reaches every Δ from there.
Elementwise rules (f, f', ∂L/∂ŷ) are the element-level SymPy rules of one representative unit
printed with whole matrices for names, so both levels rest on the same rules; softmax and
log-sum-exp use their matrix rules with the row maximum subtracted (``symnn.numerics``).
"""

from __future__ import annotations

import inspect
import re

import sympy as sp

from symnn import numerics
from symnn.codegen.element import CompiledGradients, function_header, load_function
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.layers.base import ArrayCode, joined, parenthesised, without_matrix_rule
from symnn.layers.dense import unit_printer
from symnn.rules.fused import FusedOutput, fused_output
from symnn.rules.unit import loss_parts
from symnn.spec.network import Network

FUNCTION_NAME = "loss_and_gradients"
KEPT_DOC = """

work: None, or a dict kept between calls: the intermediates (Z, A, Δ) are then written into
arrays kept there and reused while the batch size stays the same; the gradients are always
fresh arrays."""


def _array(block: int) -> str:
    return "X" if block == 0 else f"A{block}"


def _forward(net: Network, src: ArrayCode) -> None:
    for l, (layer, sources) in enumerate(zip(net.layers, net.sources, strict=True), start=1):
        layer.numpy_forward(src, l, [_array(b) for b in sources])


def _loss_and_output_gradient(net: Network, src: ArrayCode) -> str:
    """Emit L, the loss summed over the batch; return the code of ∂(mean L)/∂ŷ (1/N applied).

    The loss and the output's gradient share their work: a squared term c·u² (u linear in ŷ,
    so ∂/∂ŷ = k·u) names E = u once, sums to c·(E·E) in one dot product, and hands on k/N·E;
    a term linear in ŷ and y (−ŷ·y beside log-sum-exp) sums by one dot product too.
    """
    depth = len(net.layers)
    parts = loss_parts(net)
    printer = unit_printer(depth, {nt.y(1): "Y"})
    loss_terms, gradient_terms = [], []
    if parts.logsumexp:
        # One exponential serves both the loss (log Σ e^z) and its gradient (the softmax).
        fused = src.call("softmax_logsumexp_rows", f"A{depth}")
        src.emit(f"S{depth}, LSE{depth} = {fused}")
        loss_terms.append(f"LSE{depth}.sum()")
        gradient_terms.append(f"S{depth}")
    square = _square(parts) if parts.term != 0 else None
    if square is not None:
        c, u, k = square
        # E{depth} is the residual, unless a parameter has that name (an embedding's table).
        taken = {name for name, _ in src.network.parameter_shapes()} if src.network else set()
        E = src.named(src.expr(printer, u), f"E{depth}" if f"E{depth}" not in taken else "R")
        loss_terms.append(_scaled(printer, c, f"numpy.vdot({E}, {E})"))
        if not gradient_terms:  # E carries the whole gradient: scale it once, 1/N included
            src.emit(f"L = {joined(loss_terms)}")
            return f"{E} * ({printer.doprint(k)} / N)" if k != 1 else f"{E} / N"
        gradient_terms.append(_scaled(printer, k, E))
    elif parts.term != 0:
        loss_terms.append(_summed(src, printer, parts))
        gradient = parts.term_gradient
        if gradient != 0:
            text = src.expr(printer, gradient)
            if not gradient.free_symbols:
                text = f"numpy.full_like(A{depth}, {text})"
            gradient_terms.append(text)
    src.emit(f"L = {joined(loss_terms) if loss_terms else '0.0'}")
    if not gradient_terms:
        return f"numpy.zeros_like(A{depth})"
    return f"{parenthesised(joined(gradient_terms))} / N"


def _square(parts) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """(c, u, k) when the loss term is c·u² with ∂term/∂ŷ = k·u, k a number ≠ 0; else None.

    u is oriented so that ŷ enters it with a positive sign (ŷ − y rather than y − ŷ).
    """
    c, rest = parts.term.as_coeff_Mul()
    if not (isinstance(rest, sp.Pow) and rest.exp == 2):
        return None
    u = rest.base
    slope = u.diff(parts.output)
    if slope.free_symbols or slope == 0:
        return None
    if slope < 0:
        u = sp.expand(-u)
    # A ratio of polynomials: cancel suffices (simplify imports sympy.physics on first use, 1 s).
    k = sp.cancel(parts.term_gradient / u)
    return (c, u, k) if k.is_number and k != 0 else None


def _summed(src: ArrayCode, printer, parts) -> str:
    """The code of Σ over samples and outputs of the loss term: a dot product when c·ŷ·y."""
    c, rest = parts.term.as_coeff_Mul()
    if isinstance(rest, sp.Mul) and set(rest.args) == {parts.output, parts.target}:
        return _scaled(printer, c, f"numpy.vdot({printer.doprint(parts.output)}, Y)")
    return f"numpy.sum({src.expr(printer, parts.term)})"


def _scaled(printer, c: sp.Expr, code: str) -> str:
    """``code`` times the number c, printed as −code, code or c*code."""
    if c == 1:
        return code
    if c == -1:
        return f"-{code}"
    return f"{parenthesised(printer.doprint(c))}*{code}"


def _backward(net: Network, src: ArrayCode) -> dict[str, list[str]]:
    """Δ of every layer, output first: each block's gradient is the sum of what its readers send.

    Returns each parameter's gradient terms (one per use: a shared weight has several).
    """
    depth = len(net.layers)
    gradient = _output_gradient(net, src)
    # The mean over the batch, once: backprop is linear, so every Δ and gradient below has it.
    if gradient is None:  # Δ^{(L)} fused with the loss, a fresh array
        src.emit(f"Delta{depth} *= 1 / N")
    into: dict[int, list[str]] = {b: [] for b in range(depth)}
    grads: dict[str, list[str]] = {}
    for l in range(depth, 0, -1):
        layer, sources = net.layers[l - 1], net.sources[l - 1]
        g = gradient if l == depth else joined(into[l])
        back, owned = layer.numpy_backward(src, l, g, [_array(b) for b in sources])
        for b, code in zip(sources, back, strict=True):
            into[b].append(code)
        for name, term in owned.items():
            grads.setdefault(name, []).insert(0, term)  # forward order of the uses
    return grads


def _output_gradient(net: Network, src: ArrayCode) -> str | None:
    """Emit L (summed over the batch); return the code of ∂(mean L)/∂A at the output, or None
    when Δ is fused with the loss (then Δ is a fresh array still to be divided by N)."""
    output = getattr(net.layers[-1], "activation", None)
    fused = fused_output(output, net.loss, net.outputs) if output is not None else None
    if fused is not None:
        _fused_output_delta(net, fused, src)
        return None
    return _loss_and_output_gradient(net, src)


def _fused_output_delta(net: Network, fused: FusedOutput, src: ArrayCode) -> None:
    """L and Δ of the output layer in the fused, stable form of ``symnn.rules.fused``."""
    depth, units = len(net.layers), range(1, net.outputs + 1)
    if fused.matrix is not None:
        for line in fused.matrix(f"Z{depth}", f"A{depth}", "Y", f"Delta{depth}"):
            src.calls |= {f for f in numerics.NAMESPACE if re.search(rf"\b{f}\(", line)}
            src.emit(line)
        return
    z = [nt.z(depth, k) for k in units]
    a = [nt.a(depth, k) for k in units]
    y = [nt.y(k) for k in units]
    # Elementwise pair: unit 1's loss term and δ, printed with the whole matrices as names.
    printer = unit_printer(depth, {nt.y(1): "Y"})
    unit_one = [t for t in fused.terms(z, a, y) if not t.has(*z[1:], *a[1:], *y[1:])]
    src.emit(f"L = numpy.sum({src.expr(printer, sp.Add(*unit_one))})")
    src.emit(f"Delta{depth} = {src.expr(printer, fused.deltas(z, a, y)[0])}")


def _gradients(net: Network, grads: dict[str, list[str]], src: ArrayCode) -> None:
    src.emit("grads = {}")
    for name, _ in net.parameter_shapes():
        if name in grads:
            terms = grads[name]
            total = terms[0] if len(terms) == 1 else f"({' + '.join(terms)})"
            if total in src.kept_names:  # the next call overwrites it: hand out a copy
                total = f"{total}.copy()"
            src.emit(f'grads["{name}"] = {total}')


def matrix_source(net: Network, name: str = FUNCTION_NAME, keep_arrays: bool = True) -> str:
    """The source of the vectorised gradient function (readable, runnable on its own).

    With ``keep_arrays`` (NumPy's way) dense layers write into arrays a ``work`` dict keeps;
    without it (the JAX and PyTorch exports' body) every array is a fresh result.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> src = matrix_source(Network(2, [Dense(3, "relu"), Dense(2)], "squared_error"))
        >>> body = src[src.index("    Z1") : src.index("    # gradients")].splitlines()
        >>> print(*(line.strip() for line in body), sep=chr(10))
        Z1 = numpy.matmul(X, W1.T, out=kept(work, "Z1", (N, 3)))
        Z1 += b1
        A1 = relu(Z1, out=kept(work, "A1", (N, 3)))
        Z2 = numpy.matmul(A1, W2.T, out=kept(work, "Z2", (N, 2)))
        Z2 += b2
        A2 = Z2
        # loss summed over the batch, then backward: Δ = ∂(mean L)/∂Z, one sample per row
        E2 = A2 - Y
        L = (1/2)*numpy.vdot(E2, E2)
        Delta2 = E2 / N
        Delta1 = numpy.matmul(Delta2, W2, out=kept(work, "Delta1", (N, 3)))
        Delta1 *= (Z1 > 0)
    """
    missing = without_matrix_rule(net)
    if missing:
        raise SymnnError(missing)
    src = ArrayCode(net, keep_arrays)
    src.emit("# forward: Z = A_prev Wᵀ + b, A = f(Z), one sample per row")
    _forward(net, src)
    src.emit("# loss summed over the batch, then backward: Δ = ∂(mean L)/∂Z, one sample per row")
    grads = _backward(net, src)
    src.emit("# gradients of the mean loss: the 1/N is in Δ already")
    _gradients(net, grads, src)
    src.emit("return float(L) / N, grads")
    doc = f"Mean loss and gradients for widths {net.widths}; rows are samples."
    if src.kept_names:
        doc += KEPT_DOC
    header = function_header(
        name,
        [p for p, _ in net.parameter_shapes()],
        origin="matrix-level derivation",
        doc=doc,
        calls=src.calls,
        preamble=["N = X.shape[0]"],
        options=["work=None"] if src.kept_names else [],
    )
    return "\n".join([*header, *src.lines, ""])


def compile_matrix_gradients(net: Network) -> CompiledGradients:
    """Generate and load the vectorised gradient function ``(params, X, Y) -> (loss, grads)``.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> f = compile_matrix_gradients(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> loss, grads = f({"W1": [[0.0]], "b1": [0.0]}, [[1.0]], [[1.0]])
        >>> round(loss, 6), round(float(grads["W1"][0, 0]), 6)
        (0.125, -0.125)
    """
    source = matrix_source(net)
    names = tuple(name for name, _ in net.parameter_shapes() if net.trainable(name))
    function = load_function(source, FUNCTION_NAME)
    keeps = "work" in inspect.signature(function).parameters
    return CompiledGradients(function, source, names, keeps)

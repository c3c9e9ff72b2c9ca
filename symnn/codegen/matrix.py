"""Matrix derivation -> vectorised NumPy: forward and backward as matrix operations over a batch.

Samples are the rows of X and Y. The generated function follows the batched results of
``derive_matrix``: Z = A_prev Wᵀ + b, A = f(Z), Δ^{(L)} from the loss rule, Δ^{(l)} =
(Δ^{(l+1)} W^{(l+1)}) ⊙ f'(Z^{(l)}), ∂L/∂W = Δᵀ A_prev / N, ∂L/∂b = Σ_rows Δ / N. Elementwise
rules (f, f', ∂L/∂ŷ) are the element-level SymPy rules of one representative unit printed with
whole matrices for names, so both levels rest on the same rules; softmax and log-sum-exp use
their matrix rules with the row maximum subtracted (``symnn.numerics``).
"""

from __future__ import annotations

import re

import sympy as sp

from symnn import numerics
from symnn.codegen.element import CompiledGradients, function_header, load_function
from symnn.core import notation as nt
from symnn.printing.code import CodePrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.fused import FusedOutput, fused_output
from symnn.rules.unit import loss_parts, unit_activation, unit_derivative
from symnn.spec.network import Network

FUNCTION_NAME = "loss_and_gradients"


def _unit_printer(layer: int, extra: dict | None = None) -> CodePrinter:
    """Prints a representative unit's rule with the whole layer's matrices as its names."""
    return CodePrinter({nt.z(layer, 1): f"Z{layer}", nt.a(layer, 1): f"A{layer}", **(extra or {})})


def _is_call(text: str) -> bool:
    """``name(...)`` whose first parenthesis closes at the very end."""
    head, paren, _ = text.partition("(")
    if not paren or not head.replace(".", "_").isidentifier() or not text.endswith(")"):
        return False
    depth = 0
    for position, char in enumerate(text[len(head) :], start=len(head)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return position == len(text) - 1
    return False


def _parenthesised(text: str) -> str:
    atomic = text.isidentifier() or _is_call(text) or text.replace(".", "", 1).isdigit()
    return text if atomic else f"({text})"


def _joined(terms: list[str]) -> str:
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


class _Source:
    """Collects the lines of the function body and the numerics it calls."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.calls: set[str] = set()

    def emit(self, line: str) -> None:
        self.lines.append(f"    {line}")

    def expr(self, printer: CodePrinter, expr: sp.Expr) -> str:
        self.calls |= {
            type(f).code_name for f in expr.atoms(sp.Function) if getattr(type(f), "code_name", "")
        }
        return printer.doprint(expr)

    def call(self, name: str, *args: str) -> str:
        self.calls.add(name)
        return f"{name}({', '.join(args)})"


def _forward(net: Network, src: _Source) -> None:
    for l, layer in enumerate(net.layers, start=1):
        previous = "X" if l == 1 else f"A{l - 1}"
        bias = f" + b{l}" if layer.has_bias else ""
        src.emit(f"Z{l} = {previous} @ W{l}.T{bias}")
        if not ACTIVATIONS[layer.activation].elementwise:
            src.emit(f"A{l} = {src.call('softmax_rows', f'Z{l}')}")
        else:
            rule = unit_activation(layer, nt.z(l, 1))
            src.emit(f"A{l} = {src.expr(_unit_printer(l), rule)}")


def _loss_and_output_gradient(net: Network, src: _Source) -> str | None:
    """Emit L (per sample) and return the code of ∂L/∂ŷ (None when it is folded into Δ)."""
    depth = len(net.layers)
    parts = loss_parts(net)
    printer = _unit_printer(depth, {nt.y(1): "Y"})
    loss_terms, gradient_terms = [], []
    if parts.term != 0:
        loss_terms.append(f"numpy.sum({src.expr(printer, parts.term)}, axis=1)")
        gradient = parts.term_gradient
        if gradient != 0:
            text = src.expr(printer, gradient)
            if not gradient.free_symbols:
                text = f"numpy.full_like(A{depth}, {text})"
            gradient_terms.append(text)
    if parts.logsumexp:
        # One exponential serves both the loss (log Σ e^z) and its gradient (the softmax).
        fused = src.call("softmax_logsumexp_rows", f"A{depth}")
        src.emit(f"S{depth}, LSE{depth} = {fused}")
        loss_terms.insert(0, f"LSE{depth}")
        gradient_terms.insert(0, f"S{depth}")
    src.emit(f"L = {_joined(loss_terms) if loss_terms else 'numpy.zeros(N)'}")
    return _joined(gradient_terms) if gradient_terms else f"numpy.zeros_like(A{depth})"


def _through_activation(net: Network, l: int, gradient: str, src: _Source) -> None:
    """Δ^{(l)} from the gradient with respect to A^{(l)}: ⊙ f'(Z), or the softmax rule."""
    layer = net.layers[l - 1]
    if layer.activation == "identity":
        src.emit(f"Delta{l} = {gradient}")
    elif ACTIVATIONS[layer.activation].elementwise:
        derivative = unit_derivative(layer, nt.z(l, 1), nt.a(l, 1))
        if derivative == 0:  # the step: f' = 0, nothing flows back through this layer
            src.emit(f"Delta{l} = numpy.zeros_like(Z{l})")
            return
        text = src.expr(_unit_printer(l), derivative)
        src.emit(f"Delta{l} = {_parenthesised(gradient)} * {_parenthesised(text)}")
    else:
        src.emit(f"G{l} = {gradient}")
        src.emit(f"Delta{l} = A{l} * (G{l} - numpy.sum(G{l} * A{l}, axis=1, keepdims=True))")


def _backward(net: Network, src: _Source) -> None:
    _output_delta(net, src)
    for l in range(len(net.layers) - 1, 0, -1):
        _through_activation(net, l, f"Delta{l + 1} @ W{l + 1}", src)


def _output_delta(net: Network, src: _Source) -> None:
    depth = len(net.layers)
    fused = fused_output(net.layers[-1].activation, net.loss, net.outputs)
    if fused is not None:
        _fused_output_delta(net, fused, src)
        return
    gradient = _loss_and_output_gradient(net, src)
    _through_activation(net, depth, gradient, src)


def _fused_output_delta(net: Network, fused: FusedOutput, src: _Source) -> None:
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
    printer = _unit_printer(depth, {nt.y(1): "Y"})
    unit_one = [t for t in fused.terms(z, a, y) if not t.has(*z[1:], *a[1:], *y[1:])]
    src.emit(f"L = numpy.sum({src.expr(printer, sp.Add(*unit_one))}, axis=1)")
    src.emit(f"Delta{depth} = {src.expr(printer, fused.deltas(z, a, y)[0])}")


def _gradients(net: Network, src: _Source) -> None:
    src.emit("grads = {}")
    for l, layer in enumerate(net.layers, start=1):
        previous = "X" if l == 1 else f"A{l - 1}"
        src.emit(f'grads["W{l}"] = Delta{l}.T @ {previous} / N')
        if layer.has_bias and layer.trainable_bias:
            src.emit(f'grads["b{l}"] = Delta{l}.sum(axis=0) / N')


def matrix_source(net: Network, name: str = FUNCTION_NAME) -> str:
    """The source of the vectorised gradient function (readable, runnable on its own).

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> src = matrix_source(Network(2, [Dense(3, "relu"), Dense(2)], "squared_error"))
        >>> body = src[src.index("    Z1") : src.index("    # gradients")].splitlines()
        >>> print(*(line.strip() for line in body), sep=chr(10))
        Z1 = X @ W1.T + b1
        A1 = relu(Z1)
        Z2 = A1 @ W2.T + b2
        A2 = Z2
        # per-sample loss, then backward: Δ = ∂L/∂Z, one sample per row
        L = numpy.sum((1/2)*(-A2 + Y)**2, axis=1)
        Delta2 = A2 - Y
        Delta1 = (Delta2 @ W2) * indicator(Z1)
    """
    src = _Source()
    src.emit("# forward: Z = A_prev Wᵀ + b, A = f(Z), one sample per row")
    _forward(net, src)
    src.emit("# per-sample loss, then backward: Δ = ∂L/∂Z, one sample per row")
    _backward(net, src)
    src.emit("# gradients: the mean over the batch of the per-sample gradients")
    _gradients(net, src)
    src.emit("return float(numpy.mean(L)), grads")
    header = function_header(
        name,
        [p for p, _ in net.parameter_shapes()],
        origin="matrix-level derivation",
        doc=f"Mean loss and gradients for widths {net.widths}; rows are samples.",
        calls=src.calls,
        preamble=["N = X.shape[0]"],
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
    return CompiledGradients(load_function(source, FUNCTION_NAME), source, names)

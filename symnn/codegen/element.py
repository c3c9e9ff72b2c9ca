"""Derivation -> NumPy: one function ``(params, X, Y) -> (loss, grads)`` over a batch.

The generated code follows the derivation: the forward definitions, the loss, each named adjoint
(∂L/∂a, δ) once, then every gradient as the batch mean of its per-sample value. Two layouts:
"units" writes one line per unit, exactly as the derivation reads (common subexpressions extracted
with ``sympy.cse``); "layers" gathers a layer's units into one array statement wherever their
expressions share a form (``symnn.codegen.gather``), which is what makes wider networks run at
NumPy speed. symnn's rules stay calls to the stable implementations in ``symnn.numerics``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sympy as sp

from symnn import numerics
from symnn.codegen.gather import layer_lines
from symnn.core.bulk import bulk
from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.engine.backprop import Backprop
from symnn.engine.element import backprop_for
from symnn.engine.stable import stable_backward, stable_forward
from symnn.layers.base import input_code
from symnn.printing.code import CodePrinter
from symnn.spec.network import Network

Params = dict[str, np.ndarray]
GradientFunction = Callable[[Params, np.ndarray, np.ndarray], tuple[float, Params]]
LAYOUTS = ("auto", "units", "layers")
# "auto" writes one line per unit up to this many parameters: small enough to read beside the
# derivation, and within ~2.5x of hand-written NumPy there (measured; see benchmarks/README.md).
UNIT_LINES_UP_TO = 40


@dataclass(frozen=True)
class CompiledGradients:
    """A generated gradient function and its source text.

    Call it as ``loss, grads = f(params, X, Y)`` with samples as rows of X and Y; ``grads`` holds
    the trainable parameters only. A function that takes ``work`` (the matrix level's) is given
    one dict per thread, so repeated calls reuse their intermediate arrays; ``function`` itself
    makes fresh ones unless it is given a dict.
    """

    function: GradientFunction
    source: str
    parameter_names: tuple[str, ...]
    keeps_arrays: bool = False
    _threads: threading.local = field(default_factory=threading.local, repr=False, compare=False)

    def __call__(self, params: Params, X, Y) -> tuple[float, Params]:
        if not self.keeps_arrays:
            return self.function(params, X, Y)
        work = getattr(self._threads, "work", None)
        if work is None:
            work = self._threads.work = {}
        return self.function(params, X, Y, work=work)

    def loss(self, params: Params, X, Y) -> float:
        return self(params, X, Y)[0]

    def save(self, path: str | Path) -> None:
        from symnn.core.files import write_text

        write_text(path, self.source)


def _names(graph: Graph) -> dict[sp.Symbol, str]:
    """How each leaf symbol is read in code: columns of X and Y, entries of the parameter arrays."""
    names = {s: f"X[:, {k}]" for k, s in enumerate(graph.inputs)}
    names |= {s: f"Y[:, {k}]" for k, s in enumerate(graph.targets)}
    for p in graph.parameters:
        for index, s in p.entries():
            names[s] = f"{p.name}[{', '.join(map(str, index))}]"
    return names


def _assignments(bp: Backprop) -> list[tuple[sp.Symbol, sp.Expr]]:
    return stable_forward(bp) + stable_backward(bp)


def _is_plain_sum(expr: sp.Expr) -> bool:
    """A sum of products of symbols (a weighted input, an adjoint's sum over children)."""
    terms = expr.args if isinstance(expr, sp.Add) else (expr,)
    return all(
        t.is_Symbol or (isinstance(t, sp.Mul) and all(f.is_Symbol for f in t.args)) for t in terms
    )


def _with_cse(assignments: list[tuple[sp.Symbol, sp.Expr]]) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The assignments with shared subexpressions named, each placed just before its first use.

    Plain sums of products are left out of cse: each product w·a occurs in one sum only, so cse
    finds nothing there (measured) and would spend most of its time on them.
    """
    chosen = [i for i, (_, rhs) in enumerate(assignments) if not _is_plain_sum(rhs)]
    temporaries = sp.numbered_symbols("t", real=True)
    replacements, reduced = sp.cse([assignments[i][1] for i in chosen], temporaries, order="none")
    rhs = [e for _, e in assignments]
    for i, e in zip(chosen, reduced, strict=True):
        rhs[i] = e
    pending = dict(replacements)
    emitted: list[tuple[sp.Symbol, sp.Expr]] = []

    def emit_needed(expr: sp.Expr) -> None:
        for s in sorted(expr.free_symbols & pending.keys(), key=sp.default_sort_key):
            value = pending.pop(s, None)
            if value is not None:
                emit_needed(value)
                emitted.append((s, value))

    for (lhs, _), e in zip(assignments, rhs, strict=True):
        emit_needed(e)
        emitted.append((lhs, e))
    return emitted


def _lines(printer: CodePrinter, assignments: Iterable[tuple[sp.Symbol, sp.Expr]]) -> list[str]:
    return [f"    {lhs.name} = {printer.doprint(rhs)}" for lhs, rhs in assignments]


def function_header(
    name: str,
    parameters: Iterable[str],
    *,
    origin: str = "",
    doc: str = "",
    calls: Iterable[str] = (),
    targets: bool = True,
    preamble: Iterable[str] = (),
    options: Iterable[str] = (),
) -> list[str]:
    """The opening lines every generated function shares: imports, signature, arrays as floats.

    ``calls`` are the ``symnn.numerics`` functions the body uses (imported, so a saved module runs
    with only NumPy and symnn installed); ``preamble`` lines follow the conversion of X and Y;
    ``options`` are keyword parameters after the arrays (``work=None``); ``doc`` may run to
    several lines, the first a summary.
    """
    calls = sorted(calls)
    args = ", ".join(["params", "X", "Y"] if targets else ["params", "X"]) + "".join(
        f", {option}" for option in options
    )
    lines = [f'"""Generated by symnn from the {origin}. Do not edit."""'] if origin else []
    lines += ["import numpy"]
    lines += [f"from symnn.numerics import {', '.join(calls)}"] if calls else []
    lines += ["", "", f"def {name}({args}):"]
    summary, *rest = doc.splitlines() or [""]
    if rest:
        lines += [f'    """{summary}', *(f"    {line}".rstrip() for line in rest), '    """']
    elif doc:
        lines += [f'    """{doc}"""']
    lines += ["    X = numpy.asarray(X, dtype=float)"]
    lines += ["    Y = numpy.asarray(Y, dtype=float)"] if targets else []
    lines += [f"    {line}" for line in preamble]
    lines += [f'    {p} = numpy.asarray(params["{p}"], dtype=float)' for p in parameters]
    return lines


@bulk
def element_source(
    spec: Network | Graph | Backprop, name: str = "loss_and_gradients", layout: str = "auto"
) -> str:
    """The source of the element-level gradient function (readable, runnable on its own).

    ``layout`` is "units" (a line per unit, as derived), "layers" (a layer's units gathered into
    array statements where their expressions share a form) or "auto" (units for networks of at
    most ``UNIT_LINES_UP_TO`` parameters, layers above). Given a ``Backprop``, its walk is used
    as it stands (a network's walk is cached; a graph's is built anew by ``backprop_for``).
    """
    bp = spec if isinstance(spec, Backprop) else backprop_for(spec)
    graph = bp.graph
    if layout not in LAYOUTS:
        raise SymnnError(f"layout: expected one of {', '.join(LAYOUTS)}, found {layout!r}")
    if layout == "auto":
        count = sum(len(p.entries()) for p in graph.parameters)
        layout = "units" if count <= UNIT_LINES_UP_TO else "layers"
    body = layer_lines(bp) if layout == "layers" else _unit_lines(bp)
    checks = input_code(graph.network)  # token indices checked before they are used
    code = "\n".join([*checks, *body])
    used = [f for f in numerics.NAMESPACE if re.search(rf"\b{f}\(", code)]
    header = function_header(
        name,
        [p.name for p in graph.parameters],
        origin="element-level derivation",
        doc=f"Mean loss and gradients for widths {graph.network.widths}; rows are samples.",
        calls=used,
        preamble=checks,
    )
    footer = ["    return float(numpy.mean(L)), grads", ""]
    return "\n".join(header + body + footer)


def _unit_lines(bp: Backprop) -> list[str]:
    """One line per unit and per gradient entry, in the derivation's names."""
    graph = bp.graph
    printer = CodePrinter(_names(graph))
    trainable = [p for p in graph.parameters if p.trainable]
    lines = _lines(printer, _with_cse(_assignments(bp)))
    lines.append("    grads = {")
    for p in trainable:
        lines.append(f'        "{p.name}": numpy.empty({p.shape}),')
    lines.append("    }")
    for p in trainable:
        for index, s in p.entries():
            value = printer.doprint(bp.gradients[s])
            lines.append(
                f'    grads["{p.name}"][{", ".join(map(str, index))}] = numpy.mean({value})'
            )
    return lines


def load_function(source: str, name: str) -> Callable:
    """Run generated source (ours, never user text) in a fresh namespace and return ``name``."""
    namespace: dict = {"numpy": np, **numerics.NAMESPACE}
    exec(compile(source, f"<symnn:{name}>", "exec"), namespace)  # noqa: S102 - symnn's own code
    return namespace[name]


def compile_gradients(spec: Network | Graph, layout: str = "auto") -> CompiledGradients:
    """Generate, load and return the element-level gradient function of a network.

    ``layout`` chooses how the source is laid out (see ``element_source``); the values agree.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> f = compile_gradients(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> loss, grads = f({"W1": [[0.0]], "b1": [0.0]}, [[1.0]], [[1.0]])
        >>> round(loss, 6), round(float(grads["W1"][0, 0]), 6)
        (0.125, -0.125)
    """
    bp = backprop_for(spec)  # one reverse walk serves the source and the names
    graph = bp.graph
    source = element_source(bp, layout=layout)
    names = tuple(p.name for p in graph.parameters if p.trainable)
    return CompiledGradients(load_function(source, "loss_and_gradients"), source, names)

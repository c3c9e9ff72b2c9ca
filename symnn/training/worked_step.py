"""A worked training step with every number: forward values, loss, each δ, each gradient, each
updated weight, then a table of the loss over the following steps.

Every number comes from the engine: values from the generated trace of the backprop expressions
(``symnn.codegen.forward.trace``), updates and the loss table from ``symnn.training.train.train``
with the
generated gradient function. The expressions shown are the engine's own, printed twice: once in
the document's notation and once with each symbol replaced by its value.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from symnn.codegen.forward import trace
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.files import write_text
from symnn.engine.backprop import adjoint_symbol
from symnn.engine.element import backprop_for
from symnn.engine.stable import stable_output, textbook_value
from symnn.numerics import NAMESPACE
from symnn.output.render import format_number, render
from symnn.printing.code import CodePrinter
from symnn.printing.latex import SymnnLatexPrinter
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network
from symnn.training.init import initial_params
from symnn.training.train import train

FORMATS = {".tex": "train_step.tex.j2", ".md": "train_step.md.j2"}


def _printer(names: dict[sp.Symbol, str]) -> SymnnLatexPrinter:
    printer = SymnnLatexPrinter(names)
    # Numbers side by side need an explicit product sign: 0.15 · 0.05, not "0.15 0.05".
    printer._settings["mul_symbol_latex"] = r" \cdot "
    printer._settings["mul_symbol_latex_numbers"] = r" \cdot "
    return printer


def _number(value: float, digits: int) -> str:
    text = format_number(value, digits)
    return rf"\left({text}\right)" if text.startswith("-") else text


def _evaluator(values: dict[sp.Symbol, float]):
    def evaluate(expr: sp.Expr) -> float:
        symbols = sorted(expr.free_symbols, key=sp.default_sort_key)
        f = sp.lambdify(symbols, expr, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter())
        return float(f(*[np.float64(values[s]) for s in symbols]))

    return evaluate


def _table_steps(steps: int) -> list[int]:
    marks = {0, 1, 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, steps}
    return sorted(m for m in marks if m <= steps)


def worked_step_context(
    network: Network,
    params: dict[str, np.ndarray],
    x: Iterable[float],
    y: Iterable[float],
    lr: float,
    steps: int = 20,
    freeze: Iterable[str] = (),
    digits: int = 9,
) -> dict[str, Any]:
    """The numbers of one gradient-descent step on one sample, ready for the templates."""
    X = np.asarray([list(x)], dtype=float)
    Y = np.asarray([list(y)], dtype=float)
    bp = backprop_for(network)
    graph = bp.graph
    shape = graph.shape
    notation = nt.NOTATIONS[network.notation]
    t = trace(network, params, X, Y)
    values: dict[sp.Symbol, float] = {s: float(v[0]) for s, v in t.values.items()}
    values |= dict(zip(graph.inputs, X[0].tolist(), strict=True))
    values |= dict(zip(graph.targets, Y[0].tolist(), strict=True))
    for p in graph.parameters:
        for index, s in p.entries():
            values[s] = float(np.asarray(params[p.name], dtype=float)[index])
    for d in graph.definitions[:-1]:
        # The trace skips an output ∂L/∂a that a fused loss (symnn.engine.stable) does not need;
        # it is shown as written, ∞ where it is infinite.
        if adjoint_symbol(d) not in values:
            expr = bp.adjoints[d.symbol]
            values[adjoint_symbol(d)] = textbook_value(expr, values, graph, _evaluator(values))
    symbols = list(values)
    printer = SymnnLatexPrinter(notation.symbol_names(symbols, shape))
    numbers = _printer({s: _number(v, digits) for s, v in values.items()})
    run = train(network, X, Y, params=params, steps=steps, lr=lr, freeze=freeze)
    after = train(network, X, Y, params=params, steps=1, lr=lr, freeze=freeze).params

    def line(symbol: sp.Expr, expr: sp.Expr, value: float) -> dict[str, Any]:
        return {"symbol": symbol, "expr": expr, "numbers": numbers.doprint(expr), "value": value}

    forward = [line(d.symbol, d.expr, values[d.symbol]) for d in graph.definitions]
    backward = [
        line(adjoint_symbol(d), bp.adjoints[d.symbol], values[adjoint_symbol(d)])
        for d in reversed(graph.definitions[:-1])
    ]
    gradients, updates, frozen = [], [], []
    for p in graph.parameters:
        if p.name not in run.trained:
            frozen.append(p.name)
            continue
        for index, s in p.entries():
            gradient = float(t.gradients[s][0])
            partial = sp.Derivative(nt.LOSS, s, evaluate=False)
            gradients.append(line(partial, bp.gradients[s], gradient))
            new = float(after[p.name][index])
            updates.append({"symbol": s, "old": values[s], "gradient": gradient, "new": new})
    return {
        "title": network.name or f"a {'-'.join(map(str, network.widths))} network",
        "widths": network.widths,
        "activations": [layer.activation for layer in network.layers],
        "loss_name": LOSSES[network.loss].title,
        "stable": stable.fused.why if (stable := stable_output(graph)) is not None else "",
        "infinite": any(not np.isfinite(row["value"]) for row in backward),
        "notation": notation.description,
        "printer": printer,
        "digits": digits,
        "lr": lr,
        "inputs": [(s, values[s]) for s in graph.inputs],
        "targets": [(s, values[s]) for s in graph.targets],
        "parameters": [
            {"name": p.name, "entries": [(s, values[s]) for _, s in p.entries()]}
            for p in graph.parameters
        ],
        "forward": forward,
        "backward": backward,
        "gradients": gradients,
        "updates": updates,
        "frozen": frozen,
        "loss_symbol": nt.LOSS,
        "loss_table": [(k, run.loss[k]) for k in _table_steps(steps)],
        "steps": steps,
    }


def worked_step(
    network: Network,
    params: dict[str, np.ndarray] | None = None,
    X=None,
    Y=None,
    lr: float | None = None,
    fmt: str = "tex",
    steps: int = 20,
    freeze: Iterable[str] = (),
    sample: int = 0,
    template_dir: str | Path | None = None,
) -> str:
    """The worked-step document (``fmt`` tex or md) on one sample of the data.

    Parameters default to the spec's weights, data to the spec's [data], the rate to its
    ``learning_rate``.

    Examples:
        >>> from symnn.spec.specfile import load_spec
        >>> doc = worked_step(load_spec("examples/two_two_two.toml"), fmt="md")
        >>> "0.149780716" in doc and "0.298371109" in doc
        True
    """
    if params is None:
        params = initial_params(network, "auto")
    if X is None or Y is None:
        if network.data is None:
            raise SymnnError("worked step: expected a sample (X, Y or a [data] table), found none")
        X, Y = network.data.arrays()
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if not 0 <= sample < len(X):
        raise SymnnError(f"sample: expected an index from 0 to {len(X) - 1}, found {sample}")
    lr = lr or network.learning_rate or 0.1
    context = worked_step_context(network, params, X[sample], Y[sample], lr, steps, freeze)
    context |= {"sample": sample + 1, "samples": len(X)}
    suffix = "." + fmt.lstrip(".")
    if suffix not in FORMATS:
        raise SymnnError(f"worked step format: expected tex or md, found {fmt!r}")
    return render(FORMATS[suffix], context, template_dir)


def write_worked_step(
    network: Network,
    params,
    X,
    Y,
    lr: float,
    path: str | Path,
    freeze: Iterable[str] = (),
    steps: int = 20,
) -> None:
    """Write the worked step to ``path``; its suffix (.tex or .md) chooses the format."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SymnnError(f"--worked-step {path}: expected a .tex or .md file name")
    write_text(path, worked_step(network, params, X, Y, lr, suffix, steps, freeze))

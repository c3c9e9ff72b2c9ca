"""A worked training step with every number: forward values, loss, each δ, each gradient, each
updated weight, then a table of the loss over the following steps.

The numbers come from the one worked-numbers pipeline that ``derive --numeric`` uses: the engine's
own expressions evaluated by ``symnn.engine.values``, laid out by ``symnn.output.numbers`` (each
expression once in the document's notation and once with its numbers put in). The update is
θ − η ∂L/∂θ of those numbers; ``symnn.training.train.train`` runs only for the loss table.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.files import write_text
from symnn.engine.element import backprop_for
from symnn.engine.stable import stable_output
from symnn.engine.values import Evaluated, Values, point, update
from symnn.output.layout import PAPERS
from symnn.output.numbers import with_numbers
from symnn.output.render import format_number, render
from symnn.printing.latex import SymnnLatexPrinter
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network
from symnn.training.init import initial_params
from symnn.training.train import TrainResult, first_batch, train, trained_names

FORMATS = {".tex": "train_step.tex.j2", ".md": "train_step.md.j2"}
FIGURES = ("none", "inline", "separate")


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
    batch: tuple[np.ndarray, np.ndarray] | None = None,
    losses: Iterable[float] | None = None,
) -> dict[str, Any]:
    """The numbers of one gradient-descent step, ready for the templates.

    The forward and backward pass are worked on the sample ``x, y``; the step itself uses the
    mean gradient over ``batch`` (inputs, targets: the batch training took its first step on;
    default the one sample), as training does. ``losses`` is the run's loss history for the
    table (default: a run of ``steps`` steps on the batch).
    """
    X = np.asarray([list(x)], dtype=float)
    Y = np.asarray([list(y)], dtype=float)
    XB, YB = (X, Y) if batch is None else (np.asarray(batch[0], float), np.asarray(batch[1], float))
    bp = backprop_for(network)
    graph = bp.graph
    notation = nt.NOTATIONS[network.notation]
    numbers = Values(bp, point(graph, params, X[0], Y[0]))
    each = [Values(bp, point(graph, params, xb, yb)) for xb, yb in zip(XB, YB, strict=True)]
    values = numbers.values
    printer = SymnnLatexPrinter(notation.symbol_names(list(values), graph.shape))
    if losses is None:
        run = train(network, XB, YB, params=params, steps=steps, lr=lr, freeze=freeze)
        trained, history = run.trained, run.loss
    else:
        trained, history = trained_names(network, freeze), list(losses)

    def line(e: Evaluated) -> dict[str, Any]:
        shown = printer.doprint(with_numbers(e.expr, e.atoms, digits))
        return {"symbol": e.lhs, "expr": e.expr, "numbers": shown, "value": e.value}

    forward = [line(e) for e in numbers.forward()]
    backward = [line(e) for e in numbers.adjoints()]
    gradients, means, updates, frozen = [], [], [], []
    for p in graph.parameters:
        if p.name not in trained:
            frozen.append(p.name)
            continue
        for e in numbers.gradients(s for _, s in p.entries()):
            gradients.append(line(e))
            theta = e.lhs.variables[0]
            per_sample = [v.gradient(theta) for v in each]
            mean = float(np.mean(per_sample))
            shown = [
                f"({format_number(g, digits)})" if g < 0 else format_number(g, digits)
                for g in per_sample
            ]
            if len(shown) > 6:  # a long batch: the first terms, the last, the mean of them all
                shown = [*shown[:3], r"\cdots", shown[-1]]
            terms = " + ".join(shown)
            means.append({"symbol": e.lhs, "per_sample": per_sample, "terms": terms, "value": mean})
            u = update(theta, values[theta], mean, lr)
            updates.append({"symbol": theta, "old": u.old, "gradient": u.gradient, "new": u.new})
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
        "means": means if len(each) > 1 else [],
        "batch_size": len(each),
        "updates": updates,
        "frozen": frozen,
        "loss_symbol": nt.LOSS,
        "loss_table": [(k, history[k]) for k in _table_steps(min(steps, len(history) - 1))],
        "steps": min(steps, len(history) - 1),
        "pictures": {
            "network": (graph, printer, values),
            "loss": list(history[: min(steps, len(history) - 1) + 1]),
        },
    }


def worked_step_figures(
    context: dict[str, Any], suffix: str, figures: str, stem: str = "figure"
) -> dict[str, Any]:
    """The worked step's figures, the network with the step's numbers on it and the loss curve,
    as the templates place them: ``figures`` "inline" (TikZ in the LaTeX, an SVG data URI in
    Markdown), "separate" (files beside the document, ``{stem}-network`` and ``{stem}-loss``
    .tex or .svg, in ``files`` for the caller to write) or "none"."""
    if figures not in FIGURES:
        raise SymnnError(f"unknown figures option {figures!r}; known: {', '.join(FIGURES)}")
    if figures == "none":
        return {}
    from symnn.output.figures.network import render_network
    from symnn.output.figures.training import loss_picture

    graph, printer, values = context["pictures"]["network"]
    pictures = {
        # the step's numbers on the edges, at --digits but never wider than 4 (they share a line)
        "network": render_network(graph, printer, values=values, digits=min(4, context["digits"])),
        "loss": loss_picture(context["pictures"]["loss"]),
    }
    found: dict[str, Any] = {"files": {}, "network": "", "loss": ""}
    for name, picture in pictures.items():
        if suffix == ".tex" and figures == "inline":
            found[name] = picture
        elif figures == "inline":  # Markdown holds no TikZ: the same picture as SVG inside
            from symnn.output.figures.tikz import svg_data_uri

            found[f"{name}_file"] = svg_data_uri(picture)
        else:
            file = f"{stem}-{name}{'.svg' if suffix == '.md' else '.tex'}"
            if suffix == ".md":
                from symnn.output.figures.tikz import picture_svg

                picture = picture_svg(picture)
            found[f"{name}_file"] = file
            found["files"][file] = picture
    return found


def worked_step(
    network: Network,
    params: dict[str, np.ndarray] | None = None,
    X=None,
    Y=None,
    lr: float | None = None,
    fmt: str = "tex",
    steps: int = 20,
    freeze: Iterable[str] = (),
    sample: int | None = None,
    template_dir: str | Path | None = None,
    paper: str = "a4",
    result: TrainResult | None = None,
    digits: int = 9,
    figures: str = "none",
    figure_stem: str = "figure",
    files: dict[str, str] | None = None,
) -> str:
    """The worked-step document (``fmt`` tex or md) on one sample of the data.

    ``paper`` ("a4" or "letter") is the paper of the LaTeX document; ``digits`` the significant
    digits of its numbers; ``figures`` places the network and the loss curve
    (``worked_step_figures``); with "separate" the files the document points at are put in
    ``files`` (name -> text) for the caller to write.

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
    # The step training took: its first batch (the whole data for gd), its mean gradient.
    if result is not None:
        index = first_batch(len(X), result.batch, result.config.seed)
    else:
        index = np.arange(len(X)) if sample is None else np.array([sample])
    if sample is None:
        sample = int(index[0])
    if not 0 <= sample < len(X):
        raise SymnnError(f"sample: expected an index from 0 to {len(X) - 1}, found {sample}")
    if sample not in index:
        raise SymnnError(f"sample: {sample} is not in the batch of the first step")
    lr = lr or network.learning_rate or 0.1
    losses = None if result is None else result.loss
    if not isinstance(digits, int) or not 1 <= digits <= 15:
        raise SymnnError(f"digits: expected a whole number from 1 to 15, found {digits!r}")
    context = worked_step_context(
        network, params, X[sample], Y[sample], lr, steps, freeze, digits,
        batch=(X[index], Y[index]), losses=losses,
    )  # fmt: skip
    chosen = [int(i) + 1 for i in index]
    if len(chosen) == len(X):
        words = f"all {len(X)} samples"
    elif len(chosen) > 8:
        words = f"a batch of {len(chosen)} samples ({', '.join(map(str, chosen[:8]))}, …)"
    else:
        words = f"the batch of samples {', '.join(map(str, chosen))}"
    context |= {"sample": sample + 1, "samples": len(X), "batch_words": words}
    suffix = "." + fmt.lstrip(".")
    if suffix not in FORMATS:
        raise SymnnError(f"worked step format: expected tex or md, found {fmt!r}")
    if paper not in PAPERS:
        raise SymnnError(f"unknown paper {paper!r}; known: {', '.join(PAPERS)}")
    shown = worked_step_figures(context, suffix, figures, figure_stem)
    if files is not None:
        files.update(shown.get("files", {}))
    return render(FORMATS[suffix], context | {"paper": paper, "figures": shown}, template_dir)


def write_worked_step(
    network: Network,
    params,
    X,
    Y,
    lr: float,
    path: str | Path,
    freeze: Iterable[str] = (),
    steps: int = 20,
    paper: str = "a4",
    result: TrainResult | None = None,
    digits: int = 9,
    figures: str | None = None,
) -> None:
    """Write the worked step to ``path``; its suffix (.tex or .md) chooses the format.

    With the training ``result``, the step is the one training took: its first batch, its mean
    gradient, its loss history. ``figures`` defaults to inline for .tex, none for .md; with
    "separate" the figures are written beside ``path`` first.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SymnnError(f"--worked-step {path}: expected a .tex or .md file name")
    if figures is None:
        figures = "inline" if suffix == ".tex" else "none"
    beside: dict[str, str] = {}
    document = worked_step(
        network, params, X, Y, lr, suffix, steps, freeze, paper=paper, result=result,
        digits=digits, figures=figures, figure_stem=Path(path).stem, files=beside,
    )  # fmt: skip
    for name, picture in beside.items():  # first: a document never points at a missing figure
        write_text(Path(path).parent / name, picture)
    write_text(path, document)

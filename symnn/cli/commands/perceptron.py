"""``symnn perceptron``: train Rosenblatt's perceptron on a gate or a CSV, update by update.

The neuron fires when w·x + b >= 0 (--threshold ge, the default) or only when w·x + b > 0
(--threshold gt); labels are 0/1; arithmetic is exact unless --no-exact. With --point, show the
dot product w·x + b of the given weights and point with its angle view instead of training.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
from typing import Any

from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.calc import exact_json, to_json
from symnn.cli.commands.output import (
    emit,
    emit_document,
    json_text,
    separate_figure,
    write_separate_figure,
)
from symnn.core.errors import SymnnError
from symnn.core.expressions import parse_point
from symnn.output.layout import PAPERS
from symnn.output.refresher import render_refresher
from symnn.perceptron.run import GATES, PerceptronRun, gate, read_csv, train_perceptron
from symnn.perceptron.view import dot_product
from symnn.spec.specfile import resolve_spec


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("perceptron", help=SUMMARIES["perceptron"], description=__doc__)
    source = p.add_mutually_exclusive_group()
    source.add_argument("--gate", choices=list(GATES), help="train on a logic gate's truth table")
    source.add_argument(
        "--csv",
        help="CSV file with a header row: inputs, then a 0/1 label (or a bundled one by name)",
    )
    source.add_argument("--point", help="with --weights (and --bias): show w·x + b for this x")
    p.add_argument("--columns", help="input columns of the CSV, e.g. x1,x2 (default: all but last)")
    p.add_argument("--label", help="label column of the CSV (default: the last)")
    p.add_argument("--lr", default="1", help="learning rate η (default 1)")
    p.add_argument("--epochs", type=int, default=100, help="bound on the epochs (default 100)")
    p.add_argument("--weights", help="starting weights, e.g. 0,0 (default zeros)")
    p.add_argument("--bias", default="0", help="starting bias (default 0)")
    p.add_argument(
        "--threshold",
        choices=("ge", "gt"),
        default="ge",
        help="fire when w·x + b >= 0 (ge, default) or > 0 (gt)",
    )
    p.add_argument(
        "--theta",
        default="0",
        help="a fixed threshold θ: fire when w·x + b reaches θ (Wikipedia's NAND example: 0.5; "
        "default 0)",
    )
    p.add_argument(
        "--bias-input",
        default="1",
        help="the constant input the bias weighs: 1 (default) or -1 (Cornell's x3 = -1, where "
        "the bias weight is the threshold)",
    )
    p.add_argument(
        "--bias-column",
        choices=("none", "first", "last"),
        default="none",
        help="show the bias as an input column: first (x0, w0 as Wikipedia), last (x3, w3 as "
        "Cornell for two inputs) or none (b, the default)",
    )
    p.add_argument(
        "--table",
        choices=("compact", "wide"),
        default="compact",
        help="compact (x, y, w·x + b, ŷ, y − ŷ, new w, b) or wide: the Wikipedia table's "
        "columns (inputs with the bias's, desired output, initial weights, per-input products, "
        "sum, output, error, correction, final weights)",
    )
    p.add_argument(
        "--decimals",
        action="store_true",
        help="write numbers as decimals (1/2 as 0.5; 1/3 to 10 digits), not fractions",
    )
    p.add_argument(
        "--exact",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="exact fractions (default) or floats (--no-exact)",
    )
    p.add_argument(
        "--format",
        choices=("text", "tex", "article", "beamer", "md", "pdf"),
        default="text",
        help="output format; article: a whole LaTeX document (= tex --document); beamer: slides; "
        "pdf: the article compiled (needs -o)",
    )
    p.add_argument("--document", action="store_true", help="with tex: a whole LaTeX article")
    p.add_argument(
        "--paper", choices=PAPERS, default="a4", help="paper of article and pdf (default a4)"
    )
    p.add_argument(
        "--plot",
        help="save the points and the learned line (.png/.pdf; none: both); with --point, "
        "w and x, the angle between them and the line w·x + b = 0 (.png/.pdf/.svg/.tex)",
    )
    p.add_argument(
        "--figures",
        choices=("none", "inline", "separate"),
        help="the line w·x + b = 0 after each update, in TikZ panels: inline (the default for "
        "article and pdf of a training run; in md an SVG image inside the file), separate (md: "
        "NAME-figure.svg written beside -o NAME.md and pointed at) or none (the default "
        "otherwise)",
    )
    p.add_argument("--json", action="store_true", help="print the run as one JSON object")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")
    p.set_defaults(run=run)


def _number(value: Any) -> Any:
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else str(value)
    return value


def run_json(run: PerceptronRun) -> dict[str, Any]:
    """The run as one JSON object: settings, outcome, final weights and every update."""
    vec = lambda values: [_number(v) for v in values]  # noqa: E731
    return {
        "convention": run.convention,
        "bias_input": _number(run.bias_input),
        "theta": _number(run.theta),
        "bias_column": run.bias_column or "none",
        "learning_rate": _number(run.learning_rate),
        "exact": run.exact,
        "inputs": list(run.names),
        "converged": run.converged,
        "epochs": run.epochs,
        "separable": run.separable,
        "summary": run.summary(),
        "weights": vec(run.weights),
        "bias": _number(run.bias),
        "updates": [
            {
                "epoch": u.epoch,
                "sample": u.sample,
                "x": vec(u.x),
                "y": u.y,
                "z": _number(u.z),
                "y_hat": u.y_hat,
                "error": u.error,
                "weights": vec(u.weights),
                "bias": _number(u.bias),
            }
            for u in run.updates
        ],
    }


def run(args: argparse.Namespace) -> int:
    if args.document and args.format not in ("tex", "article"):
        raise SymnnError("--document: expected together with --format tex")
    if args.plot and args.point is None:
        from symnn.training.plots import require_matplotlib

        require_matplotlib()
    if args.point is not None:
        if args.weights is None:
            raise SymnnError("--point: expected --weights as well, e.g. --weights 1,2")
        view = dot_product(args.weights, args.point, args.bias, args.threshold)
        if args.plot:
            # w and x from the origin, the angle between them, and the line w·x + b = 0: the
            # picture the user asked for, or an error saying why it cannot be drawn.
            from symnn.output.figures.perceptron import point_panel
            from symnn.output.figures.tikz import save_picture

            save_picture(point_panel(args.weights, args.point, args.bias), args.plot)
        if args.json:
            values = view.context["values"]
            values = {"values": to_json(values), "exact": exact_json(values)}
            text = json_text(values, ensure_ascii=True)
            emit(text, args.output)
        else:
            _emit(view, args)
        return 0
    if args.csv:
        columns = args.columns.split(",") if args.columns else None
        X, Y, names = read_csv(
            resolve_spec(args.csv), [c.strip() for c in columns or []] or None, args.label
        )
    elif args.gate:
        (X, Y), names = gate(args.gate), None
    else:
        raise SymnnError("expected --gate NAME, --csv FILE or --point X (with --weights)")
    weights = parse_point(args.weights) if args.weights else None
    result = train_perceptron(
        X, Y, args.lr, args.epochs, weights, args.bias, args.threshold, args.exact, names,
        bias_input=args.bias_input, theta=args.theta,
        bias_column="" if args.bias_column == "none" else args.bias_column,
    )  # fmt: skip
    if args.plot:
        from symnn.training.plots.perceptron import plot_perceptron

        plot_perceptron(result, args.plot)
    if args.json:
        emit(json_text(run_json(result)), args.output)
    else:
        _emit(result, args)
    return 0


def _emit(item, args: argparse.Namespace) -> None:
    from symnn.output.refresher import refresher_picture

    figures = args.figures
    drawn = isinstance(item, PerceptronRun) and len(item.names) == 2
    drawn = drawn or (not isinstance(item, PerceptronRun) and refresher_picture(item) is not None)
    if figures in ("inline", "separate") and not isinstance(item, PerceptronRun) and not drawn:
        raise SymnnError(
            f"--figures {figures}: the dot-product view is drawn for two inputs; use --figures none"
        )
    if figures == "inline" and args.format == "text":
        raise SymnnError(
            "--figures inline: plain text has no figures; use --format tex, article, pdf or md"
        )
    beside = separate_figure(args.format, args.output) if figures == "separate" else ""

    def render(fmt: str, document: bool) -> str:
        chosen = figures
        if chosen is None:
            whole = (fmt == "tex" and document) or fmt == "beamer"
            chosen = "inline" if whole and drawn else "none"
        return render_refresher(
            item, fmt, document=document, figures=chosen, paper=args.paper, figure_file=beside,
            table=args.table, decimals=args.decimals,
        )  # fmt: skip

    if beside:  # the figure first: a Markdown file never points at an SVG that failed
        write_separate_figure(item, args.output, beside)
    emit_document(render, args.format, args.document, args.output)

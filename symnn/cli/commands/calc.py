"""``symnn calc``: the calculus refresher and gradient descent on expressions given as text.

Expressions are parsed safely (never evaluated): numbers, variables, + - * / ** ^ (^ is power),
exp log ln sqrt sin cos tan asin acos atan sinh cosh tanh sigmoid abs, pi and e. Points are
written "1,1" or "(1, 1/2)", or by name in any order, "x=1, y=1/2"; decimals are exact. A point
or expression starting with a minus sign needs "=" (--at=-1,2) or "--" before the expressions.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import sympy as sp

from symnn.calculus.calculus import (
    derivative,
    directional_derivative,
    gradient,
    linear_approximation,
)
from symnn.calculus.code import calculus_code, jacobian_code
from symnn.calculus.descent import Descent, gradient_descent
from symnn.calculus.taylor import hessian, jacobian_of, taylor
from symnn.cli.commands import SUMMARIES
from symnn.cli.commands.output import (
    emit,
    emit_document,
    json_text,
    separate_figure,
    write_separate_figure,
)
from symnn.core.errors import SymnnError
from symnn.core.steps import Derivation
from symnn.output.layout import PAPERS
from symnn.output.refresher import render_refresher, text

EXPR_HELP = "expression as text, e.g. 'x**2 + 4*y**2' or 'exp(-x)*sin(y)'"


def _common(p: argparse.ArgumentParser, variables: bool = True) -> None:
    if variables:
        p.add_argument("--vars", help="variables in order, e.g. x,y (default: order of appearance)")
    p.add_argument(
        "--format",
        choices=("text", "tex", "article", "beamer", "md", "pdf", "py"),
        default="text",
        help="output format; article: a whole LaTeX document (= tex --document); beamer: slides; "
        "pdf: the article compiled (needs -o); "
        "py: NumPy source of f and its derivatives",
    )
    p.add_argument("--document", action="store_true", help="with tex: a whole LaTeX article")
    p.add_argument(
        "--figures",
        choices=("none", "inline", "separate"),
        help="the picture, in TikZ (the tangent line, the gradient on its level set, the path of "
        "descent over the level sets): inline (the default for article and pdf, where there is "
        "one; in md an SVG image inside the file), separate (md: NAME-figure.svg written beside "
        "-o NAME.md and pointed at) or none",
    )
    p.add_argument(
        "--paper", choices=PAPERS, default="a4", help="paper of article and pdf (default a4)"
    )
    p.add_argument("--json", action="store_true", help="print the numbers as one JSON object")
    p.add_argument("-o", "--output", help="write to this file instead of stdout (- is stdout)")


def register(sub: argparse._SubParsersAction) -> None:
    calc = sub.add_parser("calc", help=SUMMARIES["calc"], description=__doc__)
    kinds = calc.add_subparsers(dest="kind", required=True, metavar="KIND")

    def kind(name: str, help_text: str) -> argparse.ArgumentParser:
        p = kinds.add_parser(name, help=help_text, description=f"{help_text}. {__doc__}")
        p.set_defaults(run=run)
        return p

    p = kind("derivative", "derivative of a function of one variable (and the slope at a point)")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", help="point, e.g. 2")
    _common(p)
    p = kind("gradient", "gradient, and at a point its value and magnitude")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", help="point, e.g. 1,1 or x=1,y=1")
    _common(p)
    p = kind("directional", "directional derivative along a direction (normalised to unit length)")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", required=True, help="point, e.g. 1,1 or x=1,y=1")
    p.add_argument("--direction", required=True, help="direction, e.g. 1,1 (normalised)")
    _common(p)
    p = kind("linear", "first-order prediction of a small change against the exact change")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", required=True, help="point, e.g. 1,1 or x=1,y=1")
    p.add_argument("--step", required=True, help="the move, e.g. 0.01,0.005")
    _common(p)
    p = kind("taylor", "Taylor polynomial to a chosen order at a point")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", required=True, help="expansion point, e.g. 0,0 or x=0,y=0")
    p.add_argument("--order", type=int, default=2, help="order of the polynomial (default 2)")
    p.add_argument("--step", help="also compare T and f at the point moved by this step")
    _common(p)
    p = kind("jacobian", "Jacobian of a vector-valued function (one expression per output)")
    p.add_argument("expr", nargs="+", help="one expression per output")
    p.add_argument("--at", help="point, e.g. 1,2 or x=1,y=2")
    _common(p)
    p = kind("hessian", "Hessian matrix of second partial derivatives")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--at", help="point, e.g. 1,1 or x=1,y=1")
    _common(p)
    p = kind("descent", "gradient descent, step by step, with a table of iterates")
    p.add_argument("expr", help=EXPR_HELP)
    p.add_argument("--from", dest="start", required=True, help="start point, e.g. 0,0")
    p.add_argument("--lr", default="0.1", help="learning rate η (default 0.1)")
    p.add_argument("--steps", type=int, default=10, help="number of steps (default 10)")
    p.add_argument("--momentum", default="0", help="momentum μ in [0, 1) (default 0)")
    p.add_argument("--exact", action="store_true", help="exact rational arithmetic")
    p.add_argument("--plot", help="save a contour plot with the path (.png/.pdf; none: both)")
    p.add_argument(
        "--detail",
        choices=("auto", "all"),
        default="auto",
        help="steps worked in full: auto (all of a run of up to 8 steps, else the first 3 and "
        "the last 2; the table lists every step) or all",
    )
    p.add_argument(
        "--compare-lr",
        help="learning rates to compare on one more figure (same start and steps), e.g. "
        "0.02,0.2,0.45",
    )
    _common(p)


def compute(args: argparse.Namespace) -> Derivation | Descent:
    """The derivation or run the arguments ask for."""
    variables = getattr(args, "vars", None)
    expr = args.expr
    if args.kind == "derivative":
        return derivative(expr, variables, args.at)
    if args.kind == "gradient":
        return gradient(expr, variables, args.at)
    if args.kind == "directional":
        return directional_derivative(expr, args.direction, args.at, variables)
    if args.kind == "linear":
        return linear_approximation(expr, args.at, args.step, variables)
    if args.kind == "taylor":
        return taylor(expr, args.at, args.order, variables, args.step)
    if args.kind == "jacobian":
        return jacobian_of(expr, variables, args.at)
    if args.kind == "hessian":
        return hessian(expr, variables, args.at)
    return gradient_descent(
        expr, args.start, args.lr, args.steps, args.momentum, variables, exact=args.exact
    )


def to_json(value: Any) -> Any:
    """JSON for SymPy values: integers as ints, other numbers as floats, expressions as text."""
    if isinstance(value, sp.MatrixBase):
        return [[to_json(v) for v in row] for row in value.tolist()]
    if isinstance(value, tuple | list | sp.Tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # JSON has no Infinity or NaN
    if isinstance(value, sp.Integer):
        return int(value)
    if isinstance(value, sp.Expr) and value.is_number:
        try:
            number = complex(sp.N(value, 17))
        except (TypeError, OverflowError):
            return None
        if number.imag != 0:
            return str(value)
        # beyond float range (exp(1000)): null here; the exact text is in "exact"
        return number.real if math.isfinite(number.real) else None
    return str(value)


def exact_json(value: Any) -> Any:
    """The exact value as text (3/50, 2*sqrt(17)), in the same nesting as ``to_json``."""
    if isinstance(value, sp.MatrixBase):
        return [[exact_json(v) for v in row] for row in value.tolist()]
    if isinstance(value, tuple | list | sp.Tuple):
        return [exact_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): exact_json(v) for k, v in value.items()}
    return value if isinstance(value, bool | str) or value is None else str(value)


def json_object(item: Derivation | Descent) -> dict[str, Any]:
    """One JSON object with the function, the variables and every number, floats and exact."""
    if isinstance(item, Descent):
        return {
            "kind": "descent",
            "function": str(item.function),
            "variables": [str(v) for v in item.variables],
            "learning_rate": to_json(item.learning_rate),
            "momentum": to_json(item.momentum),
            "exact": item.exact,
            "iterates": [
                {
                    "k": it.k,
                    "point": to_json(it.point),
                    "value": to_json(it.value),
                    "gradient": to_json(it.gradient),
                    **({"point_exact": exact_json(it.point)} if item.exact else {}),
                }
                for it in item.iterates
            ],
            "stopped": item.stopped or None,
        }
    ctx = item.context
    values = {k: v for k, v in ctx["values"].items() if k != "definiteness"}
    data = {
        "kind": ctx["kind"],
        "function": to_json(ctx["function"]) if ctx["kind"] == "jacobian" else str(ctx["function"]),
        "variables": [str(v) for v in ctx["variables"]],
        "results": [{"lhs": text(s.lhs), "rhs": text(s.rhs)} for s in item.results],
        "values": to_json(values),
        "exact": exact_json(values),
    }
    if "definiteness" in ctx["values"]:
        data["definiteness"] = ctx["values"]["definiteness"]
    return data


def numpy_source(args: argparse.Namespace) -> str:
    """The generated NumPy module for the expression(s), as text."""
    variables = getattr(args, "vars", None)
    if args.kind == "jacobian":
        return jacobian_code(args.expr, variables).source
    return calculus_code(args.expr, variables).source


def _has_figure(item: Any) -> bool:
    """Whether the item has a picture to put in its article by default."""
    if isinstance(item, Descent):
        return len(item.variables) <= 2
    from symnn.output.figures.calculus import calculus_picture

    return calculus_picture(item) is not None


def _descent_figures(args: argparse.Namespace, item: Any) -> tuple[str | None, list[Descent]]:
    """--figures and --compare-lr of ``calc descent`` (None: the format's default)."""
    figures = getattr(args, "figures", None)
    rates = getattr(args, "compare_lr", None)
    if figures == "inline" and args.format == "text":
        raise SymnnError(
            "--figures inline: plain text has no figures; use --format tex, article, pdf or md"
        )
    compare: list[Descent] = []
    if rates:
        if args.format in ("text", "md") or figures == "none":
            raise SymnnError(
                "--compare-lr: the comparison is a figure, for --format article or pdf "
                "(and not with --figures none)"
            )
        figures = "inline"
        variables = getattr(args, "vars", None)
        for rate in rates.split(","):
            compare.append(
                gradient_descent(args.expr, args.start, rate.strip(), args.steps, args.momentum,
                                 variables, exact=args.exact)
            )  # fmt: skip
    return figures, compare


def run(args: argparse.Namespace) -> int:
    if args.document and args.format not in ("tex", "article"):
        raise SymnnError("--document: expected together with --format tex")
    if getattr(args, "plot", None):
        from symnn.training.plots import require_matplotlib

        require_matplotlib()
    if args.format == "py" and not args.json:
        emit(numpy_source(args), args.output)
        return 0
    item = compute(args)
    if args.kind == "descent" and args.plot:
        from symnn.training.plots.contour import plot_descent

        plot_descent(item, args.plot)
    if args.json:
        emit(json_text(json_object(item)), args.output)
        return 0
    figures, compare = _descent_figures(args, item)
    beside = separate_figure(args.format, args.output) if figures == "separate" else ""

    def render(fmt: str, document: bool) -> str:
        chosen = figures
        if chosen is None:
            whole = (fmt == "tex" and document) or fmt == "beamer"
            chosen = "inline" if whole and _has_figure(item) else "none"
        return render_refresher(
            item, fmt, document=document, figures=chosen, compare=compare, paper=args.paper,
            figure_file=beside, detail=getattr(args, "detail", "auto"),
        )  # fmt: skip

    if beside:  # the figure first: a Markdown file never points at an SVG that failed
        write_separate_figure(item, args.output, beside)
    emit_document(render, args.format, args.document, args.output)
    return 0

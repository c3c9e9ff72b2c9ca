"""Documents for the calculus refresher, gradient descent and the perceptron, via the templates.

``render_refresher(item, fmt)`` picks the template for what it is given (a calculus
``Derivation``, a gradient-descent run, a perceptron run), builds the context and renders it as
LaTeX (a fragment, or a whole article with ``document=True``), Markdown or plain text.

Templates: ``calculus_derivation``, ``descent_table`` and ``perceptron_table`` (``.tex.j2`` and
``.md.j2``) in ``templates/``; a whole LaTeX article wraps the fragment in
``calculus_article.tex.j2``.

Examples:
    >>> from symnn.calculus.calculus import gradient
    >>> render_refresher(gradient("x**2 + 4*y**2", at="1,1"), "md").startswith("# Gradient of f")
    True
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.calculus.descent import Descent
from symnn.calculus.evaluation import show
from symnn.calculus.worked import Ordinary, Over, Written, factor_place, ordered_factors
from symnn.core.errors import SymnnError
from symnn.core.steps import Derivation
from symnn.output.layout import PAPERS, visible_width
from symnn.output.numbers import Shown
from symnn.output.render import FILTERS, escape_latex, render
from symnn.perceptron.run import DECIMAL_DIGITS, PerceptronRun, boundary
from symnn.perceptron.view import run_derivation
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.numbers import format_number
from symnn.printing.text import UnicodeTextPrinter

FORMATS = ("text", "tex", "md", "beamer")


def tex_prose(text: object) -> str:
    """Prose for LaTeX: special characters escaped, mathematical characters as commands (the one
    unicode table, that of ``symnn.output.render.escape_latex``).

    Examples:
        >>> tex_prose("w ← w, 50%, |x|")
        'w \\\\ensuremath{\\\\leftarrow} w, 50\\\\%, \\\\ensuremath{|}x\\\\ensuremath{|}'
    """
    return escape_latex(text)


if "tex_prose" not in FILTERS:
    FILTERS.add("tex_prose", tex_prose)


def _reading_order(expr: sp.Add | sp.Mul) -> sp.Add | sp.Mul:
    """A symbolic sum or product in the order people write it (x − 3, x² + 3xy + y², 3x²y:
    SymPy's printing order); worked numbers (5.76 + 0.72, 14·2) and products built in an order
    of their own keep it."""
    built = (sp.UnevaluatedExpr, sp.Derivative, sp.Subs, Ordinary, Over, Written)
    if expr.has(*built) or not expr.free_symbols or expr.atoms(sp.Float):
        return expr
    if expr.is_Mul and expr.args != sp.Mul(*expr.args).args:
        return expr  # a product built in its own order (a table's x₁w₁): as built
    parts = tuple(expr.as_ordered_terms() if expr.is_Add else ordered_factors(expr))
    return expr if parts == expr.args else expr.func(*parts, evaluate=False)


class _Text(UnicodeTextPrinter):
    """Plain text maths with floats as written (0.06, not 0.0600000000000000)."""

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        return super()._print_Add(_reading_order(expr), order=order)

    def _print_Mul(self, expr: sp.Mul) -> str:
        return super()._print_Mul(_reading_order(expr))

    def _print_Float(self, expr: sp.Float) -> str:
        text = f"{float(expr):.12g}"
        return text

    def _print_Subs(self, expr: sp.Subs) -> str:
        where = ", ".join(f"{v}={self._print(p)}" for v, p in zip(*expr.args[1:], strict=True))
        return f"{self._print(expr.expr)} at ({where})"

    def _print_ImmutableDenseMatrix(self, expr: sp.MatrixBase) -> str:
        return "[" + ", ".join(self._print(sp.Tuple(*row)) for row in expr.tolist()) + "]"

    _print_MutableDenseMatrix = _print_ImmutableDenseMatrix


def text(expr: Any) -> str:
    """One line of plain text for an expression or number."""
    return _Text().doprint(_display(expr))


def _display(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        return sp.Float(float(f"{value:.10g}"), 15)
    if isinstance(value, Fraction):
        return show(sp.Rational(value.numerator, value.denominator))
    if isinstance(value, tuple | list):
        return sp.Tuple(*(_display(v) for v in value))
    if isinstance(value, int):
        return sp.Integer(value)
    return show(value) if isinstance(value, sp.Rational) else value


def derivation_text(derivation: Derivation) -> str:
    """A derivation as plain text: its steps with their rules, results and numbers."""
    lines = [derivation.title]
    for section in derivation.sections:
        lines.append(f"\n{text(section.subject)}")
        for s in section.steps:
            note = f"; {s.note}" if s.note else ""
            lines.append(f"  {text(s.lhs)} = {text(s.rhs)}    [{s.rule_text}{note}]")
    lines.append("\nResults")
    lines += [f"  {text(s.lhs)} = {text(s.rhs)}" for s in derivation.results]
    rows = derivation.context.get("numbers", [])
    if rows:
        lines.append("\nNumbers")
        for row in rows:
            approx = f" ≈ {row['approx']:.10g}" if row["approx"] is not None else ""
            lines.append(f"  {row['label']}: {text(row['exact'])}{approx}")
    return "\n".join(lines) + "\n"


class _Latex(SymnnLatexPrinter):
    """symnn's LaTeX printer, also for powers of symnn functions (σ(x)², whose ``_latex`` hook
    takes no exponent)."""

    def _print_Pow(self, expr: sp.Pow) -> str:
        exponent = expr.exp
        base = expr.base.args[0] if isinstance(expr.base, sp.UnevaluatedExpr) else expr.base
        if isinstance(base, sp.Float | sp.Rational) and not exponent.is_negative:
            # A worked number with an exponent of its own (6.09 · 10^{-5}, a long fraction cut
            # short) is bracketed before it is raised: x^{a}^{2} does not compile.
            shown = self._print(expr.base)
            if "^" in shown:
                return rf"\left({shown}\right)^{{{self._print(exponent)}}}"
        special = exponent.is_Rational and (exponent.is_negative or exponent == sp.S.Half)
        if getattr(type(expr.base), "code_name", "") and not special:
            return rf"{self._print(expr.base)}^{{{self._print(exponent)}}}"
        return super()._print_Pow(expr)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        return super()._print_Add(_reading_order(expr), order=order)

    def _print_AppliedUndef(self, expr: sp.Function) -> str:
        # f(1, 2) as written, with \left( \right) only around tall arguments (a fraction);
        # SymPy writes f{\left(1,2 \right)}.
        shown = [self._print(a) for a in expr.args]
        name = self._print(sp.Symbol(expr.func.__name__))
        if any(r"\frac" in a for a in shown):
            return rf"{name}\left({', '.join(shown)}\right)"
        return f"{name}({', '.join(shown)})"

    def _print_Rational(self, expr: sp.Rational) -> str:
        # A fraction of more digits than a line holds (late steps of a long exact descent) is
        # written by the first digits of its decimal expansion, cut (not rounded), then "…".
        if max(len(str(abs(expr.p))), len(str(expr.q))) > EXACT_DIGITS:
            return cut_decimal(expr)
        return super()._print_Rational(expr)

    def _print_Mul(self, expr: sp.Mul) -> str:
        # Worked numbers (η·(y − ŷ)·x, 2·0.01) keep a visible product sign: "1 (−1) 0" misreads.
        # A substituted point (3·e·2², 2³·e²) has a product sign between its numbers too: "3 e 1²"
        # reads as a name or a power of ten. The coefficient goes first, constants (e, π) last.
        factors = expr.args
        worked = any(f.has(sp.UnevaluatedExpr) or isinstance(f, sp.Float) for f in factors)
        if len(factors) > 1 and worked and all(f.is_number for f in factors):
            sign = ""
            if factors[0] == -1:
                sign, factors = "-", factors[1:]
            if any(f.has(sp.UnevaluatedExpr) for f in factors):  # a substituted point
                factors = sorted(factors, key=factor_place)
            parts = [self._print(f) for f in factors]
            parts = [
                rf"\left({p}\right)" if p.startswith("-") or isinstance(f, sp.Add) else p
                for p, f in zip(parts, factors, strict=True)
            ]
            return sign + r" \cdot ".join(parts)
        return super()._print_Mul(_reading_order(expr))


EXACT_DIGITS = 20  # digits of a numerator or denominator past which a fraction is cut short
CUT_DIGITS = 12


def cut_decimal(number: sp.Rational, digits: int = CUT_DIGITS) -> str:
    """The first ``digits`` significant digits of a fraction's decimal expansion, then "…".

    Examples:
        >>> cut_decimal(sp.Rational(2, 3), 5)
        '0.66666\\\\ldots'
        >>> cut_decimal(sp.Rational(-1, 3 * 10**9), 3)
        '-3.33\\\\ldots \\\\cdot 10^{-10}'
    """
    value = decimal.Context(prec=digits, rounding=decimal.ROUND_DOWN).divide(
        decimal.Decimal(int(number.p)), decimal.Decimal(int(number.q))
    )
    sign, body = ("-", -value) if value < 0 else ("", value)
    exponent = body.adjusted()
    if -4 <= exponent < digits:
        return rf"{sign}{body:f}\ldots"
    mantissa = body.scaleb(-exponent)
    return rf"{sign}{mantissa:f}\ldots \cdot 10^{{{exponent}}}"


def _printer(names: dict) -> SymnnLatexPrinter:
    return _Latex(symbol_names=names)


WIDE_STEP = 44  # visible characters of lhs = rhs past which a step's words go on a line below
LONG_NUMBER = 12  # digits of an exact numerator or denominator that put a step's words below


@dataclass(frozen=True)
class LaidStep:
    """A step as a document lays it out: ``wide`` puts its words on a line of their own."""

    lhs: Any
    rhs: Any
    rule_text: str
    note: str
    wide: bool


@dataclass(frozen=True)
class LaidSection:
    subject: Any
    steps: tuple[LaidStep, ...]


def _laid(derivation: Derivation, printer: SymnnLatexPrinter) -> list[LaidSection]:
    """The sections, each step marked wide when any step of its display is (align* lines up
    the words of every row, so one long equation would push them all past the margin)."""

    def width(expr: Any) -> float:
        return visible_width(printer.doprint(expr))

    def column(expr: Any) -> Any:
        # A long point (x, y, z) stands as a column: a third of the width for three coordinates.
        return sp.Matrix(list(expr.args)) if isinstance(expr, sp.Tuple) else expr

    def long_numbers(expr: Any) -> bool:
        # Exact fractions of many digits (a long exact descent) print wider than they measure.
        return isinstance(expr, sp.Basic) and any(
            max(len(str(abs(r.p))), len(str(r.q))) > LONG_NUMBER for r in expr.atoms(sp.Rational)
        )

    laid = []
    for section in derivation.sections:
        wide = any(
            width(s.lhs) + width(s.rhs) > WIDE_STEP or long_numbers(s.rhs) for s in section.steps
        )
        steps = []
        for s in section.steps:
            lhs, rhs = (s.lhs, s.rhs)
            if wide and width(lhs) + width(rhs) > WIDE_STEP:
                lhs, rhs = column(lhs), column(rhs)
            steps.append(LaidStep(lhs, rhs, s.rule_text, s.note, wide))
        laid.append(LaidSection(section.subject, tuple(steps)))
    return laid


def _derivation_context(derivation: Derivation) -> dict[str, Any]:
    ctx = derivation.context
    printer = _printer(ctx.get("symbol_names", {}))
    return {
        "title": derivation.title,
        "sections": _laid(derivation, printer),
        "results": derivation.results,
        "numbers": [{**row, "exact": _display(row["exact"])} for row in ctx.get("numbers", [])],
        "notes": _notes(ctx),
        "printer": printer,
    }


def _notes(ctx: dict[str, Any]) -> list[str]:
    notes = []
    variables = ctx.get("variables")
    if variables:
        notes.append("Variables, in order: " + ", ".join(map(str, variables)) + ".")
    kind = ctx.get("kind")
    if kind == "directional":
        notes.append("The direction is normalised to a unit vector u = d/|d| before the product.")
    if kind == "jacobian":
        notes.append("Layout: row i holds the partial derivatives of output i (one column each).")
    if kind == "hessian" and "curvature" in ctx:  # one variable: the sign of f″
        notes.append(ctx["curvature"])
    elif kind == "hessian" and "definiteness" in ctx.get("values", {}):
        notes.append(f"At the point the Hessian is {ctx['values']['definiteness']}.")
    if kind == "dot_product":
        notes.append(f"Step activation: {ctx['convention']}.")
        reading = {
            "aligned": "w and x form an acute angle (under 90 degrees), so w·x is positive",
            "opposed": "w and x form an obtuse angle (over 90 degrees), so w·x is negative",
            "orthogonal": "w and x are orthogonal (90 degrees), so w·x is 0",
        }
        notes.append(f"Angle view: {reading[ctx['values']['alignment']]}.")
    return notes


COMPACT_DESCENT_ROW = 64  # characters of a descent row's text beyond which the table is compact


CELL_WIDTH = 16  # characters of an exact number past which a compact table shows it rounded
CELL_DIGITS = 10


def _cell(number: Any) -> Any:
    """A number for a cell of the compact table: an exact one too long for a column (a fraction
    of forty digits) rounded, marked ≈; the steps below state it exactly."""
    if isinstance(number, sp.Rational | sp.Float) and len(text(number)) > CELL_WIDTH:
        return Shown(rf"\approx {format_number(number, CELL_DIGITS)}")
    return number


def _cut(row: dict) -> bool:
    """Whether a row of an exact descent holds a fraction the steps write cut short."""
    numbers = [n for key in ("gradient", "update", "point") for n in (row[key] or ())]
    return any(
        isinstance(n, sp.Rational) and max(len(str(abs(n.p))), len(str(n.q))) > EXACT_DIGITS
        for n in [*numbers, row["value"]]
    )


def _descent_context(run: Descent, detail: str = "auto") -> dict[str, Any]:
    derivation = run.derivation(detail)
    # "change", not "update": Jinja would find dict.update before the key.
    one = len(run.variables) == 1  # f′ and numbers in the table, not ∇f and 1-vectors

    def cell(vector: Any) -> Any:
        shown = _display(vector)
        return shown[0] if one and isinstance(shown, sp.Tuple) else shown

    rows = [
        {key: cell(row[key]) for key in ("gradient", "point", "value")}
        | {"k": row["k"], "change": cell(row["update"]), "coordinates": ()}
        | {"coords": _display(row["point"])}
        for row in run.table()
    ]
    # A row of ∇f, update, point and f as text: past about a page's width, the LaTeX table
    # switches to one column per coordinate (k, x, y, …, f); the steps below keep ∇f and the update.
    widest = max(
        sum(len(text(row[key])) for key in ("gradient", "change", "point", "value") if row[key])
        for row in rows
    )
    compact = widest > COMPACT_DESCENT_ROW
    rounded = False
    if compact:
        for row in rows:
            cells = [_cell(c) for c in row["coords"]] + [_cell(row["value"])]
            rounded = rounded or any(isinstance(c, Shown) for c in cells)
            row["coordinates"], row["f"] = tuple(cells[:-1]), cells[-1]
    return {
        **_derivation_context(derivation),
        "function": run.function,
        "variables": run.variables,
        "f_name": run.f_name,
        "point_symbol": run.variables[0] if one else sp.Tuple(*run.variables),
        "slope_latex": f"{run.f_name}'" if one else rf"\nabla {run.f_name}",
        "rule": run.context["rule"],
        "arithmetic": "exact (rationals)" if run.exact else "floating point",
        "rows": rows,
        "compact": compact,
        "rounded": rounded,
        "rounded_digits": CELL_DIGITS,
        "cut": run.exact and any(_cut(row) for row in run.table()),
        "exact_digits": EXACT_DIGITS,
        "cut_digits": CUT_DIGITS,
        "stopped": run.stopped,
        "summary_note": derivation.context["summary"],
    }


def _decimals(value: Any) -> Any:
    """A displayed number as a decimal (--decimals): a fraction with no short decimal (1/3) to
    ``DECIMAL_DIGITS`` significant digits; tuples entry by entry."""
    if isinstance(value, sp.Tuple):
        return sp.Tuple(*(_decimals(v) for v in value))
    if isinstance(value, sp.Rational) and not value.is_Integer:
        return sp.Float(value, DECIMAL_DIGITS)
    return value


def _wide_context(run: PerceptronRun, shown) -> dict[str, Any]:
    """The Wikipedia table's columns: names of inputs, weights and products, and every row."""
    inputs, weights = run.wide_names()
    products = [
        sp.Mul(sp.Symbol(x), sp.Symbol(w), evaluate=False) if x != "1" else sp.Symbol(w)
        for x, w in zip(inputs, weights, strict=True)
    ]
    keys = ("inputs", "initial", "products", "sum", "correction", "final")
    rows = [row | {k: shown(row[k]) for k in keys} for row in run.wide_rows()]
    return {
        "inputs": [sp.Symbol(n) for n in inputs],
        "weights": [sp.Symbol(n) for n in weights],
        "products": products,
        "rows": rows,
    }


def _sum_latex(bias_input: Any, bias: str = "b") -> str:
    """The weighted sum s = w·x + (bias input)·b in LaTeX: + b, − b, or + c·b (b the bias's
    LaTeX name: w_{3} where the source makes it a column)."""
    wx = r"\mathbf{w}\cdot\mathbf{x}"
    if bias_input in (1, -1):
        return wx + (f" + {bias}" if bias_input == 1 else f" - {bias}")
    return wx + rf" + {sp.latex(_display(bias_input))}\,{bias}"


def _bias_phrase(run: PerceptronRun) -> str:
    bias_x, bias_w = run.bias_names
    phrase = f"the weight {bias_w} on a constant input {bias_x}"
    return phrase if not run.bias_column else f"{phrase} = {text(_display(run.bias_input))}"


def _perceptron_context(
    run: PerceptronRun, table: str = "compact", decimals: bool = False
) -> dict[str, Any]:
    if table not in ("compact", "wide"):
        raise SymnnError(f"table {table!r}; known: compact, wide")
    shown = (lambda v: _decimals(_display(v))) if decimals else _display  # noqa: E731
    derivation = run_derivation(run, only_mistakes=True)
    rows = [
        {
            "epoch": u.epoch,
            "sample": u.sample,
            "x": shown(u.x),
            "y": u.y,
            "z": shown(u.z),
            "y_hat": u.y_hat,
            "error": u.error,
            "weights": shown(u.weights),
            "bias": shown(u.bias),
            "changed": u.changed,
        }
        for u in run.updates
    ]
    return {
        **_derivation_context(derivation),
        "title": "Perceptron training on " + ", ".join(run.names),
        "convention": run.convention_text(decimals),
        "learning_rate": shown(run.learning_rate),
        "initial_weights": shown(run.initial_weights),
        "initial_bias": shown(run.initial_bias),
        "bias_name": sp.latex(sp.Symbol(run.bias_names[1])),  # b, or w₃ as the source's table
        "arithmetic": "exact (fractions)" if run.exact else "floating point",
        "rows": rows,
        "wide": _wide_context(run, shown) if table == "wide" else None,
        "bias_phrase": _bias_phrase(run),
        "sum_latex": _sum_latex(run.bias_input, sp.latex(sp.Symbol(run.bias_names[1]))),
        "theta": _display(run.theta),  # the drawn line is where the sum reaches θ
        "summary": run.summary(decimals),
        "criterion": run.criterion_text(decimals),
        "boundary": boundary(run.weights, run.offset, run.names),
        "converged": run.converged,
    }


def _perceptron_figures(run: PerceptronRun, fmt: str, figures: str) -> list[str]:
    """The line moving update by update, one TikZ panel per update (``figures="inline"``)."""
    if figures == "none":
        return []
    if figures != "inline":
        raise SymnnError(f"--figures {figures!r}: the perceptron's panels are inline or none")
    if fmt != "tex":
        raise SymnnError(
            f"--figures inline: the perceptron's panels are TikZ, for LaTeX; found format {fmt!r}"
        )
    from symnn.output.figures.perceptron import run_panels

    return run_panels(run)


def _descent_figures(
    run: Descent, fmt: str, figures: str, compare: Sequence[Descent]
) -> list[dict[str, str]]:
    """The path of the iterates over f's level sets, and the runs compared (inline figures)."""
    if figures == "none":
        if compare:
            raise SymnnError("--compare-lr: the comparison is a figure; drop --figures none")
        return []
    if figures != "inline":
        raise SymnnError(f"--figures {figures!r}: gradient descent's figures are inline or none")
    if fmt != "tex":
        raise SymnnError(f"--figures inline: the figures are TikZ, for LaTeX; found {fmt!r}")
    from symnn.output.figures.descent import descent_picture

    plain = run.momentum == 0  # without momentum each step is along −∇f
    found = [{"picture": descent_picture([run]), "caption": "path" if plain else "momentum"}]
    if compare:
        labels = [rf"$\eta = {sp.latex(r.learning_rate)}$" for r in compare]
        found.append({"picture": descent_picture(list(compare), labels), "caption": "compare"})
    return found


def refresher_picture(item: Derivation | Descent | PerceptronRun) -> str | None:
    """The item's figure as one TikZ picture (the perceptron's panels three to a row), or None
    when it has none; the picture a Markdown document's SVG is made from."""
    if isinstance(item, PerceptronRun):
        if len(item.names) != 2:
            return None
        from symnn.output.figures.perceptron import run_panels

        panels = run_panels(item)
        rows = [" & ".join(panels[i : i + 3]) for i in range(0, len(panels), 3)]
        return "\\begin{tabular}{ccc}\n" + "\\\\[6pt]\n".join(rows) + "\n\\end{tabular}\n"
    if isinstance(item, Descent):
        if len(item.variables) > 2:
            return None
        from symnn.output.figures.descent import descent_picture

        return descent_picture([item])
    if item.context.get("kind") == "dot_product":
        w, x, b = item.context["operands"]
        if len(w) != 2:
            return None
        from symnn.output.figures.perceptron import point_panel

        return point_panel(w, x, b)
    from symnn.output.figures.calculus import calculus_picture

    return calculus_picture(item)


def render_refresher(
    item: Derivation | Descent | PerceptronRun,
    fmt: str = "tex",
    document: bool = False,
    user_dir: str | Path | None = None,
    paper: str = "a4",
    figures: str = "none",
    compare: Sequence[Descent] = (),
    figure_file: str = "",
    table: str = "compact",
    decimals: bool = False,
    detail: str = "auto",
) -> str:
    """Render a calculus derivation, descent run or perceptron run as text, LaTeX, Markdown or
    Beamer slides ("beamer": one frame per derivation, long tables split across frames).

    ``paper`` ("a4" or "letter") is the paper of the whole article (``document``), as for
    ``symnn derive``.

    Examples:
        >>> from symnn.calculus.descent import gradient_descent
        >>> run = gradient_descent("(x - 3)**2 + 2*(y + 1)**2", "0,0", "0.1", 2, exact=True)
        >>> print(render_refresher(run, "text"))
        Gradient descent on f
        update: x ← x − 0.1·∇f(x)
        <BLANKLINE>
        k  ∇f at the previous point  update         (x, y)         f
        0                                           (0, 0)         11
        1  (-6, 4)                   (0.6, -0.4)    (0.6, -0.4)    6.48
        2  (-4.8, 2.4)               (0.48, -0.24)  (1.08, -0.64)  3.9456
        <BLANKLINE>
    """
    if fmt not in FORMATS:
        raise SymnnError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if paper not in PAPERS:
        raise SymnnError(f"unknown paper {paper!r}; known: {', '.join(PAPERS)}")
    pointer = ""
    if figures == "separate":
        # Markdown points at the figure's SVG (refresher_picture, compiled), written beside it.
        if fmt != "md" or not figure_file:
            raise SymnnError("--figures separate: expected Markdown and the figure's file name")
        if refresher_picture(item) is None:
            raise SymnnError("--figures separate: this document has no figure; use --figures none")
        figures, pointer = "none", figure_file
    elif figures == "inline" and fmt == "md" and not compare:
        # Markdown holds no TikZ: the same picture as an SVG image inside the file (a data URI).
        picture = refresher_picture(item)
        if picture is None:
            raise SymnnError("--figures inline: this document has no figure; use --figures none")
        from symnn.output.figures.tikz import svg_data_uri

        figures, pointer = "none", svg_data_uri(picture)
    slides, fmt = fmt == "beamer", "tex" if fmt == "beamer" else fmt  # slides: the LaTeX context
    if isinstance(item, Descent):
        if fmt == "text":
            return item.text() + "\n"
        name, context = "descent_table", _descent_context(item, detail)
        context["figures"] = _descent_figures(item, fmt, figures, compare)
    elif isinstance(item, PerceptronRun):
        if fmt == "text":
            return item.text(table, decimals) + "\n"
        name, context = "perceptron_table", _perceptron_context(item, table, decimals)
        context["figures"] = _perceptron_figures(item, fmt, figures)
    elif isinstance(item, Derivation):
        if fmt == "text":
            return derivation_text(item)
        name, context = "calculus_derivation", _derivation_context(item)
        if figures == "inline" and fmt == "tex":
            context["figure"] = refresher_picture(item)
            context["figure_variables"] = len(item.context.get("variables", ()))
            context["figure_kind"] = item.context.get("kind", "")
            context["figures"] = [context["figure"]] if context["figure"] else []
            if not context["figure"]:
                raise SymnnError(
                    "--figures inline: this derivation has no picture (one drawn at a point "
                    "of a function of one or two variables); use --figures none"
                )
    else:
        raise SymnnError(f"expected a derivation, descent run or perceptron run, found {item!r}")
    if figures != "none" and "figures" not in context:
        raise SymnnError(
            f"--figures {figures}: this document has no figure yet; use --figures none"
        )
    context["figure_file"] = pointer
    if slides:
        kind = {"descent_table": "descent", "perceptron_table": "perceptron"}.get(name, "calculus")
        context.setdefault("figures", [])
        return render("refresher_beamer.tex.j2", context | {"kind": kind}, user_dir)
    body = render(f"{name}.{fmt}.j2", context, user_dir)
    if fmt == "tex" and document:
        article = {
            "title": context["title"],
            "body": body,
            "figures": context.get("figures"),
            "paper": paper,
        }
        return render("calculus_article.tex.j2", article, user_dir)
    return body

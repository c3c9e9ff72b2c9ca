"""A Derivation as a document: LaTeX fragment, article, Beamer slides or Markdown.

This module gathers what a template needs (rows already broken into lines, headings, the
notation's convention, Jacobians, the worked numbers) and hands it to the one Jinja environment
in ``symnn.output.render``. Any Derivation made of Sections and Steps renders, whatever its
expressions
(scalar symbols or MatrixSymbols); the network's own content (forward pass, Jacobians, numbers)
appears when the derivation carries its graph in ``context["graph"]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import ACTIVATION, LOSS_NODE, Graph, NodeKind
from symnn.core.steps import RULES, Derivation, Section, Step
from symnn.engine.conventions import shared_bias_statement, with_convention
from symnn.engine.element import describe
from symnn.engine.jacobian import Jacobian, derivation_jacobians
from symnn.engine.shapes import check_shapes, shape_lines
from symnn.engine.stable import stable_output
from symnn.engine.values import WorkedNumbers, worked_numbers
from symnn.output.layout import PAPERS, Piece, Row, break_row, visible_width
from symnn.output.notes import formula_lines, wrap_words
from symnn.output.numbers import Worked
from symnn.output.prose import RULE_MATH
from symnn.output.render import render
from symnn.printing.latex import PARTIAL_STYLES, SymnnLatexPrinter
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network

FORMATS = {
    "tex": "derivation.tex.j2",
    "article": "article.tex.j2",
    "beamer": "beamer.tex.j2",
    "md": "derivation.md.j2",
    "aligned": "aligned.tex.j2",
}
# About how many characters of mathematics fit on a line, and how much of that a character of
# the rule in words takes (slides put the rule in a tag that moves below a full line).
WIDTHS = {"tex": 58, "article": 58, "beamer": 36, "md": 72, "aligned": 72}
RULE_WIDTHS = {"tex": 0.75, "article": 0.75, "beamer": 0.0, "md": 0.75, "aligned": 0.75}
# Rules set as tags at the right margin (Beamer): one footnotesize character is about this many
# of a line's characters. A rule that does not fit beside its row goes below it, in lines.
TAG_WIDTHS = {"beamer": 0.46}
# A line of such a rule below its row is a footnotesize tag with no fractions: about this much of
# a displayed line of the derivation (a row of fractions), as the frame splitter counts them.
TAG_LINE = 0.6
SHAPES_PER_LINE = {"tex": 5, "article": 5, "beamer": 3, "md": 6, "aligned": 6}
# --figures: none; inline (TikZ in the LaTeX itself; in Markdown, which cannot hold TikZ, the
# picture's SVG as a data URI: symnn.output.figures.tikz.svg_data_uri says why); separate (the
# document points at a file beside it: the TikZ picture for LaTeX, its SVG for Markdown).
FIGURES = ("none", "inline", "separate")
FIGURE_FORMATS = {
    "inline": ("tex", "article", "beamer", "md"),
    "separate": ("tex", "article", "md"),
}


@dataclass(frozen=True)
class Block:
    """A run of rows about one quantity, headed "words $term$", with where it is reused.

    ``reused_in`` holds the other quantities whose steps read this one (δ terms, ∂L/∂a), and
    ``reused_for`` the parameters whose gradients do.
    """

    subject: sp.Basic
    rows: tuple[Row, ...]
    words: str = ""
    term: sp.Basic | None = None
    reused_in: tuple[sp.Basic, ...] = ()
    reused_for: tuple[sp.Basic, ...] = ()


@dataclass(frozen=True)
class Group:
    """Blocks under one heading ("Output layer", "Gradients", …)."""

    title: str
    blocks: tuple[Block, ...]


def _fit(j: Jacobian, builder: _Builder) -> Jacobian:
    if j.matrix is None:
        return j
    measure = builder.printer.doprint

    def width(expr: sp.Basic) -> float:
        return visible_width(measure(expr))

    rows = [sum(width(e) + 2 for e in j.matrix.row(i)) for i in range(j.matrix.rows)]
    wide = width(j.name) + max(rows) > 0.6 * builder.width  # matrices space out their columns
    return Jacobian(j.name, j.matrix, j.caption, wide)


class _Builder:
    """Turns steps into rows for one output format and printer.

    Rows displayed together share columns (lhs, rhs, rule), so a block's lines are broken to fit
    beside its widest lhs and its longest rule in words.
    """

    def __init__(
        self, printer: SymnnLatexPrinter, width: int, rule_width: float, tag_width: float = 0.0
    ) -> None:
        self.printer = printer
        self.width = width
        self.rule_width = rule_width
        self.tag_width = tag_width

    def rows(self, entries: Sequence[tuple[sp.Basic | None, list[Piece], str]]) -> tuple[Row, ...]:
        lhs_width = max(
            (visible_width(self.printer.doprint(lhs)) for lhs, _, _ in entries if lhs is not None),
            default=0,
        )
        # Rules so long that the maths beside them would have under a third of the line go on a
        # line of their own, under their row; the others share the column at the right. A term
        # that cannot be cut may still make a line wider than its budget: the rules beside are
        # then shortened further (longest first) until the widest line fits beside them.
        lengths = sorted({len(rule) for _, _, rule in entries}, reverse=True) + [0]
        full, need = self.width - lhs_width, 0.0
        for beside in lengths:
            room = full - self.rule_width * beside
            if room < full and (room < self.width / 3 or room < need):
                continue
            rows = self._broken(entries, max(room, self.width / 3), lhs_width, beside)
            need = max((row.span for row in rows), default=0.0)
            if need <= room or room >= full:
                break
        return rows

    def _broken(
        self,
        entries: Sequence[tuple[sp.Basic | None, list[Piece], str]],
        budget: float,
        lhs_width: float,
        beside: int,
    ) -> tuple[Row, ...]:
        """The rows broken to ``budget``; a rule longer than ``beside`` goes below its row."""
        rows = [
            break_row(lhs, pieces, self.printer.doprint, budget, rule)
            for lhs, pieces, rule in entries
        ]
        room = self._room_below(rows, lhs_width, beside)
        for number, row in enumerate(rows):
            if len(row.rule) > beside:
                # Below its row the rule has the line from the right-hand side column on; one too
                # long for that is broken between phrases (a formula only before its words).
                room = max(room, 24)
                if row.rule in RULE_MATH:
                    tex = formula_lines(RULE_MATH[row.rule], room * max(self.rule_width, 0.5))
                    row = replace(row, rule_lines=tex, rule_tex=bool(tex))
                else:
                    row = replace(row, rule_lines=wrap_words(row.rule, room))
                rows[number] = replace(row, rule_below=True)
            elif row.rule and self.tag_width:
                rows[number] = self._tagged(row, lhs_width)
        return tuple(rows)

    def _room_below(self, rows: Sequence[Row], lhs_width: float, beside: int) -> float:
        """How many characters of words a rule set below its row has: from its right-hand side
        column (after a \\qquad) to the margin. The display is centred by its own width, which a
        rule in an \\rlap does not widen, so a narrow display starts the column far right (its
        notes ran up to 75pt past the margin when given the line from a full display's column)."""
        rules = [len(row.rule) for row in rows if 0 < len(row.rule) <= beside]
        shown = lhs_width + max((row.span for row in rows), default=0.0)
        if rules:
            shown += 2 + self.rule_width * max(rules)
        indent = max(self.width - shown, 0.0) / 2
        return (self.width - indent - lhs_width - 3) / max(self.rule_width, 0.5)

    def _tagged(self, row: Row, lhs_width: float) -> Row:
        """A row whose rule is a tag: below it, broken between words, unless it fits beside.
        (amsmath would drop a long tag below by itself, uncounted by the frame splitter, and
        never wrap one wider than the frame: a BPTT note ran 25pt past a slide.)"""
        if lhs_width + row.span + 2 + self.tag_width * len(row.rule) <= self.width:
            return row
        room = (self.width - 2) / self.tag_width
        lines = () if row.rule in RULE_MATH else wrap_words(row.rule, room)
        return replace(row, rule_below=True, rule_lines=lines, note_size=TAG_LINE)

    def steps(self, steps: Sequence[Step]) -> tuple[Row, ...]:
        entries, previous = [], None
        for step in steps:
            lhs = None if step.lhs == previous else step.lhs
            entries.append((lhs, [Piece("=", step.rhs)], step.rule_text))
            previous = step.lhs
        return self.rows(entries)

    def numeric(self, lines: Sequence) -> tuple[Row, ...]:
        entries = []
        for line in lines:
            pieces = [] if line.rhs is None else [Piece("=", line.rhs)]
            if line.numbers is not None:
                pieces.append(Piece("=", line.numbers))
            if line.value is not None:
                pieces.append(Piece("=", line.value))
            entries.append((line.lhs, pieces, ""))
        return self.rows(entries)


def _kind(subject: sp.Basic) -> tuple[str, tuple[int, ...]] | None:
    symbol = subject.variables[0] if isinstance(subject, sp.Derivative) else subject
    if not isinstance(symbol, sp.Symbol):
        return None
    try:
        kind, indices = nt.parse(symbol)
    except SymnnError:
        return None
    return ("grad", indices) if isinstance(subject, sp.Derivative) else (kind, indices)


def _group_title(subject: sp.Basic, depth: int, kinds: dict[int, NodeKind] | None = None) -> str:
    """The heading of a group: the layer's block, named by what it is when it is no dense layer.

    ``kinds`` maps a block to the node kind of its output; a block whose output is not a dense
    layer's activation (a sum, a concatenation) is named by its kind.
    """
    kind = _kind(subject)
    if kind is None:
        return "Steps"
    name, indices = kind
    if name == "grad":
        return f"Gradients for layer {indices[0]}"
    block_kind = (kinds or {}).get(indices[0])
    if block_kind is not None and block_kind is not ACTIVATION:
        where = "output" if indices[0] == depth else "gradient of its output"
        return f"Layer {indices[0]}, {block_kind.heading}: {where}"
    if indices[0] == depth:
        return "Output layer: error terms"
    return f"Hidden layer {indices[0]}: error terms"


def _title(derivation: Derivation, notation: str, graph: Graph | None) -> str:
    """The title, its parameters named in the notation this document is typeset in."""
    items = derivation.context.get("title_items")
    if items is None or graph is None or not derivation.title.startswith("Backpropagation: "):
        return derivation.title
    return f"Backpropagation: {describe(items, notation, graph.shape)}"


def _block_kinds(graph: Graph | None) -> dict[int, NodeKind]:
    """The node kind of each block's output (its last definition), by block."""
    if graph is None:
        return {}
    return {d.block: d.kind for d in graph.definitions if d.kind is not LOSS_NODE}


def _heading(subject: sp.Basic) -> tuple[str, sp.Basic]:
    kind = _kind(subject)
    if kind is None:
        return "", subject
    if kind[0] == "grad":
        return "Gradient with respect to", subject.variables[0]
    if kind[0] == "delta":
        return "Error term", subject
    if kind[0] == "dL_da":
        return "Gradient with respect to the activation", nt.a(*kind[1])
    return "", subject


def block(section: Section, sections: Sequence[Section], builder: _Builder) -> Block:
    """One section as rows, with the sections that read its quantity (δ computed once, reused)."""
    users = [
        other.subject
        for other in sections
        if isinstance(section.subject, sp.Symbol)
        and other is not section
        and any(s.rhs.has(section.subject) for s in other.steps)
    ]
    words, term = _heading(section.subject)
    gradients = [u.variables[0] for u in users if isinstance(u, sp.Derivative)]
    others = [u for u in users if not isinstance(u, sp.Derivative)]
    rows = builder.steps(section.steps)
    return Block(section.subject, rows, words, term, tuple(others), tuple(gradients))


def groups(
    derivation: Derivation, builder: _Builder, depth: int, graph: Graph | None = None
) -> list[Group]:
    """The derivation's sections as blocks of rows under headings, in the derivation's order."""
    result: list[Group] = []
    kinds = _block_kinds(graph)
    for section in derivation.sections:
        item = block(section, derivation.sections, builder)
        title = _group_title(section.subject, depth, kinds)
        if result and result[-1].title == title:
            result[-1] = Group(title, (*result[-1].blocks, item))
        else:
            result.append(Group(title, (item,)))
    return result


def results(derivation: Derivation, builder: _Builder) -> dict[str, list]:
    """The results in local form, the expanded forms, and the expanded forms too long to print."""
    # A result reads as the last line of its section, with its factors in the same order.
    local = [s for s in derivation.written_results() if s.rule != "expanded"]
    expanded = [s for s in derivation.results if s.rule == "expanded"]
    local_rows = builder.rows(
        [(s.lhs, [Piece("=", s.rhs)], "" if s.rule == "result" else s.rule_text) for s in local]
    )
    rows, omitted = [], []
    for step, row in zip(
        expanded, builder.rows([(s.lhs, [Piece("=", s.rhs)], "") for s in expanded]), strict=True
    ):
        # The line breaker can cut nearly anything to the page; a written-out form of more than
        # six full lines is no longer something a reader takes in, so it is named, not printed.
        if row.wide or len(row.lines) > 6:
            omitted.append(step.lhs)
        else:
            rows.append(row)
    return {
        "local": list(local_rows),
        "grid": _grid(list(local_rows), builder),
        "expanded": rows,
        "omitted": omitted,
    }


def _grid(rows: list[Row], builder: _Builder) -> list[list[Row]]:
    """Many short one-line results side by side, in up to three columns of (lhs = rhs)."""
    if len(rows) < 4 or any(r.rule or len(r.lines) > 1 or r.lhs is None for r in rows):
        return [[row] for row in rows]

    def width(row: Row) -> float:
        pieces = [row.lhs] + [piece.expr for piece in row.lines[0].pieces]
        return sum(visible_width(builder.printer.doprint(e)) + 2 for e in pieces)

    columns = max(1, min(3, int(builder.width // (max(map(width, rows)) + 6))))
    return [rows[i : i + columns] for i in range(0, len(rows), columns)]


def forward_rows(graph: Graph, builder: _Builder, loss_terms: Sequence = ()) -> list[Row]:
    """The forward pass and the loss as definitions, in graph order.

    With ``loss_terms`` (Mazur's E_o1, E_o2), each term is defined before the loss, their sum.
    """
    entries = []
    *layers, loss = graph.definitions
    for d in layers:
        if d.kind is ACTIVATION:
            rule = ACTIVATIONS[graph.network.layers[d.block - 1].activation].title
        else:
            rule = d.kind.heading
        entries.append((d.symbol, [Piece("=", d.expr)], rule))
    entries += [(symbol, [Piece("=", expr)], "this output's error") for symbol, expr in loss_terms]
    total = sp.Add(*(s for s, _ in loss_terms), evaluate=False) if loss_terms else loss.expr
    entries.append((loss.symbol, [Piece("=", total)], loss.kind.heading))
    return list(builder.rows(entries))


@dataclass(frozen=True)
class RuleUse:
    """A rule the steps apply: its words, a formula in LaTeX (activations) or a detail in prose."""

    words: str
    formula: str = ""
    detail: str = ""


def rules_used(derivation: Derivation, graph: Graph | None) -> list[RuleUse]:
    """The rules the steps apply, in order of first use (naming the result is no rule)."""
    order = list(
        dict.fromkeys(s.rule for s in derivation.steps if s.rule not in ("definition", "result"))
    )
    uses = []
    for rule in order:
        formula = detail = ""
        if graph is not None and rule == "activation_derivative":
            names = dict.fromkeys(layer.activation for layer in graph.network.layers)
            formula = r",\quad ".join(ACTIVATIONS[name].derivative for name in names)
        if graph is not None and rule == "loss_derivative":
            detail = LOSSES[graph.network.loss].title
        uses.append(RuleUse(RULES[rule], formula, detail))
    return uses


def _proof_groups(network: Network, builder: _Builder) -> list[Group]:
    """The derivatives of the network's activations from their definitions, one block each."""
    from symnn.engine.activation_proofs import activation_proof

    names = dict.fromkeys(getattr(layer, "activation", None) for layer in network.layers)
    names = [name for name in names if name in ACTIVATIONS]
    proofs = [p for p in map(activation_proof, names) if p is not None]
    if not proofs:
        return []
    titles = [ACTIVATIONS[name].title for name in names if activation_proof(name) is not None]
    blocks = tuple(
        Block(p.subject, builder.steps(p.steps), f"The {title},", p.subject)
        for p, title in zip(proofs, titles, strict=True)
    )
    return [Group("Derivatives of the activations", blocks)]


def _equations(network: Network, builder: _Builder) -> list[dict[str, Any]]:
    """BP1–BP4 for ``network``: each derivation as a block, its boxed statements, its instances."""
    from symnn.engine.fundamental import fundamental_equations

    found = []
    for e in fundamental_equations(network):
        found.append(
            {
                "label": e.label,
                "words": e.words,
                # Up to the statement for one unit; both statements are then boxed under it.
                "block": Block(e.subject, builder.steps(e.steps[:-1]), e.label, e.subject),
                "element": e.element,
                "matrix": e.matrix,
                "instances": builder.rows([(s.lhs, [Piece("=", s.rhs)], "") for s in e.instances]),
                "note": e.note,
            }
        )
    return found


def layer_conventions(network: Network) -> list[str]:
    """What each layer states about itself (``convention(block)``: text with $…$ maths)."""
    found = []
    for block, layer in enumerate(network.layers, start=1):
        state = getattr(layer, "convention", None)
        if not callable(state):  # a spec key of that name (a recurrent layer's "pytorch")
            state = getattr(layer, "convention_statement", None)
        if state is not None:
            found.append(state(block))
    return list(dict.fromkeys(found))  # two conv layers state the kernel layout once


def _given_lines(pairs: list[tuple[sp.Basic, sp.Basic]], per_line: int = 4) -> list[list]:
    return [pairs[i : i + per_line] for i in range(0, len(pairs), per_line)]


def _distinct(pairs: list[tuple[sp.Basic, sp.Basic]], printer) -> list[tuple[sp.Basic, sp.Basic]]:
    """Given values once each: a shared bias (b_1 of h_1 and of h_2) prints as one quantity."""
    seen, kept = set(), []
    for lhs, value in pairs:
        key = (printer.doprint(lhs), str(value))
        if key not in seen:
            seen.add(key)
            kept.append((lhs, value))
    return kept


def _has_infinite(numbers: WorkedNumbers) -> bool:
    """Whether a number shown is ±∞ (a textbook factor such as −y/a at a saturated output)."""
    lines = [*numbers.forward, *(e for _, evaluated in numbers.backward for e in evaluated)]
    return any(not math.isfinite(v) for e in lines for v in (e.value, *e.atoms.values()))


def _numeric_context(numbers: WorkedNumbers, builder: _Builder, digits: int):
    worked = Worked(numbers, digits)
    backward = []
    for subject, lines in worked.backward():
        words, term = _heading(subject)
        backward.append(Block(subject, builder.numeric(lines), words, term))
    samples = worked.samples
    return {
        "given": _given_lines(_distinct(worked.given(), builder.printer)),
        "forward": builder.numeric(worked.forward()),
        "backward": backward,
        "gradients": builder.numeric(worked.gradients()),
        "updates": builder.numeric(worked.updates()),
        "samples": samples,
        "sample": numbers.sample + 1,
        "digits": digits,
        "infinite": _has_infinite(numbers),
    }


def context(
    derivation: Derivation,
    fmt: str,
    notation: str | None = None,
    partial: str = "frac",
    numeric: bool | Network | WorkedNumbers = False,
    digits: int = 6,
    matrix: Derivation | None = None,
    jacobians: Sequence[Jacobian] | None = None,
    activation_proofs: bool = False,
    sample: int = 1,
    figures: str = "none",
    figure_stem: str = "figure",
    equations: bool = False,
) -> dict[str, Any]:
    """Everything the templates lay out, so that templates hold no maths.

    ``activation_proofs`` puts first the derivation of each activation's derivative from its
    definition (σ′ = σ(1 − σ), tanh′ = 1 − tanh²), before the steps that use it. ``sample``
    (from 1) is the sample the worked numbers are shown for. ``equations`` adds the four
    fundamental equations of backpropagation (BP1–BP4), derived, boxed and instantiated for the
    network (``symnn.engine.fundamental``), after the results.

    The Jacobians and the worked numbers arrive as data: ``jacobians`` (default: those the
    derivation recorded, ``symnn.engine.jacobian.derivation_jacobians``) and ``numeric`` as
    ``WorkedNumbers`` (True or a Network: ``symnn.engine.values.worked_numbers`` of it, which
    reuses the derivation's reverse walk).
    """
    if fmt not in FORMATS:
        raise SymnnError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    if partial not in PARTIAL_STYLES:
        raise SymnnError(f"unknown partial style {partial!r}; known: {', '.join(PARTIAL_STYLES)}")
    if not isinstance(digits, int) or not 1 <= digits <= 15:
        raise SymnnError(f"digits: expected a whole number from 1 to 15, found {digits!r}")
    graph: Graph | None = derivation.context.get("graph")
    if notation is None:
        notation = graph.network.notation if graph is not None else "layered"
    derivation = with_convention(derivation, notation)
    # What is typeset is checked like what is computed: every product conforms (a shape error is a
    # bug, raised before anything is laid out), and each matrix quantity's shape is stated.
    level = derivation if derivation.context.get("level") == "matrix" else matrix
    if level is not None:
        check_shapes(level)
    style = nt.NOTATIONS[notation]
    namer = style.namer(graph.shape) if graph is not None else None
    printer = SymnnLatexPrinter(partial=partial, namer=namer)
    builder = _Builder(printer, WIDTHS[fmt], RULE_WIDTHS[fmt], TAG_WIDTHS.get(fmt, 0.0))
    depth = len(graph.network.layers) if graph is not None else 0
    ctx: dict[str, Any] = {
        "printer": printer,
        "fmt": fmt,
        "title": _title(derivation, notation, graph),
        "name": graph.network.name if graph is not None else "",
        "notation": style,
        "groups": groups(derivation, builder, depth, graph),
        "results": results(derivation, builder),
        "rules": rules_used(derivation, graph),
        # A matrix-level document has no element graph: its layers state their conventions here.
        "layer_conventions": (
            layer_conventions(derivation.context["network"])
            if graph is None and derivation.context.get("network") is not None
            else []
        ),
        "network": None,
        "numeric": None,
        "matrix": None,
    }
    ctx["shapes"] = [] if level is None else shape_lines(level, SHAPES_PER_LINE[fmt])
    network_spec = graph.network if graph is not None else derivation.context.get("network")
    if activation_proofs and isinstance(network_spec, Network):
        ctx["groups"] = _proof_groups(network_spec, builder) + ctx["groups"]
    ctx["equations"] = []
    if equations:
        if not isinstance(network_spec, Network):
            raise SymnnError("BP1–BP4 need a derivation of a network")
        ctx["equations"] = _equations(network_spec, builder)
    # Every layer states its conventions once, under the notation, at either level.
    ctx["layer_conventions"] = layer_conventions(network_spec) if network_spec is not None else []
    if derivation.context.get("convention") == "mazur":
        ctx["layer_conventions"].append(shared_bias_statement(graph))
    if matrix is not None:
        ctx["matrix"] = {
            "conventions": list(matrix.context.get("conventions", {}).values()),
            "groups": groups(matrix, builder, depth, graph),
            "results": results(matrix, builder),
        }
    if graph is not None:
        if jacobians is None:
            jacobians = derivation_jacobians(derivation)
        loss = LOSSES[graph.network.loss]
        ctx["network"] = {
            "widths": "-".join(map(str, graph.network.widths)),
            "loss": loss.title,
            "stable": stable.fused.why if (stable := stable_output(graph)) is not None else "",
            "forward": forward_rows(graph, builder, derivation.context.get("loss_terms", ())),
            "jacobians": [_fit(j, builder) for j in jacobians],
        }
    ctx["batch"] = None
    wanted = numeric is not False and numeric is not None
    if wanted and level is not None and isinstance(network_spec, Network) and network_spec.is_chain:
        # The matrix level's batch forms with every entry, for the spec's data (all samples).
        from symnn.engine.batch_numbers import batch_numbers
        from symnn.output.numbers import batch_lines

        data = numeric if isinstance(numeric, Network) else network_spec
        given, lines = batch_lines(batch_numbers(data), digits, sample)
        ctx["batch"] = {
            "given": given,
            "rows": builder.numeric(lines),
            "samples": len(given[0][1].tolist()),
            "digits": digits,
        }
    if wanted and graph is None and level is derivation:
        if ctx["batch"] is None:  # asked for numbers, and none can be shown: say so
            raise SymnnError(
                "numbers at the matrix level need the network (a plain stack of dense layers) "
                "with its data"
            )
        numeric = False  # a matrix-level document: its numbers are the batch's
    if numeric is not False and numeric is not None:
        if graph is None:
            raise SymnnError("numbers need an element-level derivation of a network")
        if not isinstance(numeric, WorkedNumbers):
            network = numeric if isinstance(numeric, Network) else None
            numeric = worked_numbers(derivation, network, sample - 1)
        ctx["numeric"] = _numeric_context(numeric, builder, digits)
    worked = ctx["numeric"] and numeric
    ctx["figures"] = _figures(derivation, graph, fmt, printer, figures, figure_stem, worked, digits)
    if ctx["figures"] is not None:
        ctx["figures"]["thumbs"] = {}
        wrt = ctx["figures"]["wrt"]
        if fmt == "beamer" and figures == "inline" and wrt is not None and graph is not None:
            # Each frame of a quantity on δ's path shows how far back δ has come (a thumbnail).
            from symnn.output.figures.network import path_thumbnails

            terms = [block.term for group in ctx["groups"] for block in group.blocks]
            found = path_thumbnails(graph, printer, wrt.variables[0], terms)
            ctx["figures"]["thumbs"] = {term: picture for term, (picture, _) in found.items()}
        ctx["figures"]["chain"] = ""
        if level is not None and figures == "inline":
            from symnn.output.figures.jacobian import chain_picture

            spec = graph.network if graph is not None else level.context.get("network")
            fit = "beamer" if fmt == "beamer" else "article"
            ctx["figures"]["chain"] = chain_picture(spec, fit) or ""
    return ctx


def _figures(
    derivation: Derivation,
    graph: Graph | None,
    fmt: str,
    printer: SymnnLatexPrinter,
    figures: str,
    stem: str,
    numeric: Any,
    digits: int,
) -> dict[str, Any] | None:
    """The network diagram the document carries (None with ``figures="none"``)."""
    if figures not in FIGURES:
        raise SymnnError(f"unknown figures option {figures!r}; known: {', '.join(FIGURES)}")
    if figures == "none":
        return None
    if fmt not in FIGURE_FORMATS[figures]:
        allowed = ", ".join(FIGURE_FORMATS[figures])
        raise SymnnError(f"--figures {figures}: expected with format {allowed}, found {fmt!r}")
    from symnn.output.figures.network import chosen_parameter, render_network

    wrt = None
    if graph is None:
        # The matrix level: the same network's element graph, drawn without a path (the
        # matrix derivation derives every parameter at once).
        network = derivation.context.get("network")
        if not isinstance(network, Network):
            raise SymnnError("--figures: the network diagram needs a derivation of a network")
        from symnn.spec.build import build_graph

        graph = build_graph(network)
        style = nt.NOTATIONS[network.notation]
        printer = SymnnLatexPrinter(namer=style.namer(graph.shape))
    else:
        wrt = chosen_parameter(list(derivation.results), graph)
    values = dict(numeric.given) if isinstance(numeric, WorkedNumbers) else None
    fit = "beamer" if fmt == "beamer" else "article"
    tikz = render_network(graph, printer, wrt, values, digits, fit, reveal=fmt == "beamer")
    file = f"{stem}-network.{'svg' if fmt == 'md' else 'tex'}"
    if figures == "inline" and fmt == "md":
        from symnn.output.figures.tikz import svg_data_uri

        file = svg_data_uri(tikz)
    return {
        "network": tikz if figures == "inline" and fmt != "md" else "",
        "picture": tikz,
        "file": file,
        "wrt": None if wrt is None else sp.Derivative(nt.LOSS, wrt),
        "numbers": values is not None,
    }


def figure_files(
    derivation: Derivation,
    fmt: str,
    notation: str | None = None,
    numeric: bool | Network | WorkedNumbers = False,
    digits: int = 6,
    figure_stem: str = "figure",
) -> dict[str, str]:
    """The files a document made with ``figures="separate"`` points at: name -> text (the TikZ
    picture for LaTeX, its SVG for Markdown)."""
    ctx = context(
        derivation,
        fmt,
        notation,
        numeric=numeric,
        digits=digits,
        figures="separate",
        figure_stem=figure_stem,
    )
    found = ctx["figures"]
    if fmt == "md":
        from symnn.output.figures.tikz import picture_svg

        return {found["file"]: picture_svg(found["picture"])}
    return {found["file"]: found["picture"]}


def render_derivation(
    derivation: Derivation,
    fmt: str = "tex",
    notation: str | None = None,
    partial: str = "frac",
    numeric: bool | Network | WorkedNumbers = False,
    digits: int = 6,
    template_dir: str | Path | None = None,
    matrix: Derivation | None = None,
    paper: str = "a4",
    jacobians: Sequence[Jacobian] | None = None,
    activation_proofs: bool = False,
    sample: int = 1,
    figures: str = "none",
    figure_stem: str = "figure",
    equations: bool = False,
) -> str:
    """A derivation as a LaTeX fragment ("tex"), "article", "beamer" slides or Markdown ("md").

    ``notation`` is a preset of ``NOTATIONS`` (default: the network's own, else "layered");
    ``partial`` is "frac" (∂L/∂w as a fraction) or "slash"; ``numeric`` adds the worked example
    at the spec's data, weights and learning rate (True, a Network carrying them, or the
    ``WorkedNumbers`` already computed); ``digits``
    is the number of significant digits shown. "aligned" gives the steps alone in one display.
    ``matrix`` adds a matrix-level derivation of the same network as a "Matrix form" part.
    ``paper`` ("a4" or "letter") is the paper of a standalone article.
    ``figures`` is "none", "inline" (the network diagram as TikZ inside the LaTeX) or "separate"
    (the document points at ``{figure_stem}-network.tex``, or ``.svg`` for Markdown, which the
    caller writes: ``symnn.output.figures.network``, ``symnn.output.figures.tikz``).
    ``activation_proofs`` derives σ′ and tanh′ from their definitions before they are used;
    ``sample`` (from 1) picks the sample whose numbers are worked; ``equations`` adds BP1–BP4,
    derived, boxed and written out for the network.

    Examples:
        >>> from symnn import Dense, Network, derive
        >>> net = Network(1, [Dense(1, "sigmoid")], name="one neuron")
        >>> text = render_derivation(derive(net, "W1[1,1]"), "md")
        >>> "derivative of a weighted sum" in text and "$$" in text
        True
    """
    if paper not in PAPERS:
        raise SymnnError(f"unknown paper {paper!r}; known: {', '.join(PAPERS)}")
    ctx = context(
        derivation,
        fmt,
        notation,
        partial,
        numeric,
        digits,
        matrix,
        jacobians,
        activation_proofs=activation_proofs,
        sample=sample,
        figures=figures,
        figure_stem=figure_stem,
        equations=equations,
    )
    return render(FORMATS[fmt], ctx | {"paper": paper}, template_dir)

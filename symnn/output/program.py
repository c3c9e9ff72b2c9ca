"""A program's derivation as a document: text, LaTeX fragment or article, Beamer, Markdown.

The layout is the network documents' (rows broken to fit, the same macros); the content is the
program, a table of every node's value and gradient, the circuit diagram and the backward pass
node by node in reverse topological order. Everything printed comes from the ``ProgramRun``.

Examples:
    >>> from symnn.core.program import parse_program
    >>> from symnn.engine.program import run_program
    >>> run = run_program(parse_program("c = a*b; d = c + a", "a=2, b=3"))
    >>> print(render_program(run, "text").splitlines()[3])
      a     input       2      4
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.steps import RULES
from symnn.engine.program import ProgramRun
from symnn.output.circuit import render_circuit
from symnn.output.document import RULE_WIDTHS, WIDTHS, Block, Group, _Builder
from symnn.output.layout import Piece
from symnn.output.render import render
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.text import text

FORMATS = {
    "tex": "program.tex.j2",
    "article": "program_article.tex.j2",
    "beamer": "program_beamer.tex.j2",
    "md": "program.md.j2",
}


@dataclass(frozen=True)
class TableRow:
    """One node of the table: name, definition, value and gradient (SymPy, printed by filters)."""

    symbol: sp.Symbol
    definition: sp.Basic | None  # None for an input
    gate: str
    value: sp.Basic
    gradient: sp.Basic


def table(run: ProgramRun) -> list[TableRow]:
    """Inputs, then nodes in program order, each with its value and gradient."""
    nodes = {n.symbol: n for n in run.program.nodes}
    return [
        TableRow(
            s,
            nodes[s].expr if s in nodes else None,
            nodes[s].gate if s in nodes else "",
            run.approx(run.values[s]),
            run.approx(run.gradients[s]),
        )
        for s in run.symbols
    ]


def gate_words(gate: str) -> str:
    """A gate's label in words beside its definition: ``gate ×``, ``gate ×(-1)``, ``gate 1/x``.

    Examples:
        >>> [gate_words(g) for g in ("*", "*-1", "+1", "exp", "=", "x^2")]
        ['gate ×', 'gate ×(-1)', 'gate +1', 'gate exp', 'identity', 'gate power 2']
        >>> gate_words("2^x")
        'gate 2 to the power x'
    """
    if gate == "=":
        return "identity"
    if gate == "^":
        return "gate power"
    if gate.startswith("x^"):
        words = f"power {gate[2:]}"
    elif gate.endswith("^x"):
        words = f"{gate[:-2]} to the power x"
    else:
        words = re.sub(r"\*(-[^*]+)$", r"*(\1)", gate).replace("*", "×")
    return "gate " + words.replace("^", "**").replace("**", " to the power ")


def _conventions(run: ProgramRun) -> list[str]:
    notes = [
        "Each wire carries the forward value of its source above it and, below it, the gradient "
        "flowing back along it: the upstream gradient of its target times the target's local "
        "gradient. Where a node feeds several others its gradient is the sum of those wires "
        "(in the circuit an input is drawn again just before every gate that reads it).",
        "relu'(0) = 0, step' = 0 and |x|'(0) = 0; max(x, y) routes the gradient to the larger "
        "input, min to the smaller, and on a tie all of it goes to the first argument.",
    ]
    for d in run.graph.definitions:
        notes += [f"At node {d.symbol.name}, {tie}." for tie in run.ties(d)]
    if run.seed != 1:
        notes.append(f"The upstream gradient at the output is given: {run.seed}.")
    return notes


def _blocks(run: ProgramRun, builder: _Builder) -> list[Block]:
    inputs = set(run.program.inputs)
    blocks = []
    for section in run.derivation.sections:
        node = section.subject.variables[0]
        words = "Input" if node in inputs else "Node"
        blocks.append(Block(section.subject, builder.steps(section.steps), words, node))
    return blocks


def program_context(run: ProgramRun, fmt: str) -> dict[str, Any]:
    """Everything the program templates lay out."""
    if fmt not in FORMATS:
        raise SymnnError(f"unknown format {fmt!r}; known: text, {', '.join(FORMATS)}")
    printer = SymnnLatexPrinter()
    builder = _Builder(printer, WIDTHS[fmt], RULE_WIDTHS[fmt])
    program = run.program
    definitions = builder.rows(
        [
            (n.symbol, [Piece("=", n.expr)], gate_words(n.gate) if program.gates else "")
            for n in program.nodes
        ]
    )
    blocks = _blocks(run, builder)
    rules = list(dict.fromkeys(s.rule for s in run.derivation.steps))
    ctx: dict[str, Any] = {
        "printer": printer,
        "fmt": fmt,
        "title": run.derivation.title,
        "output": program.output,
        "inputs": [(s, v) for s, v in program.input_values.items()],
        "definitions": list(definitions),
        "table": table(run),
        "groups": [Group("Backward pass, output first", tuple(blocks))],
        "blocks": blocks,
        "results": list(
            builder.rows([(s.lhs, [Piece("=", s.rhs)], "") for s in run.derivation.results])
        ),
        "rules": [RULES[r] for r in rules if r not in ("evaluate_at_point", "result")],
        "conventions": _conventions(run),
        "digits": run.digits,
        "places": run.places,
        "seed": run.seed,
        "gates": program.gates,
    }
    return ctx


# --figures of a program's documents: the circuit inside the LaTeX (in Markdown its SVG inside
# the file, as a data URI), a file beside the document it points at, or no circuit.
FIGURES = ("none", "inline", "separate")


def _circuits(run: ProgramRun, fmt: str, figures: str, circuit_digits: int = 4) -> dict[str, Any]:
    """The circuit pictures a document of ``fmt`` carries with ``figures``."""
    if figures not in FIGURES:
        raise SymnnError(f"unknown figures option {figures!r}; known: {', '.join(FIGURES)}")
    if figures == "separate" and fmt == "beamer":
        raise SymnnError("--figures separate: beamer carries its circuits inline; use inline")
    found: dict[str, Any] = {"circuit": "", "circuit_reveal": "", "circuit_upto": []}
    if figures == "inline" and fmt in ("tex", "article", "beamer"):
        found["circuit"] = render_circuit(run, digits=circuit_digits)
    if figures == "inline" and fmt == "beamer":
        count = len(run.derivation.sections)
        found["circuit_reveal"] = render_circuit(run, reveal=True, digits=circuit_digits)
        found["circuit_upto"] = [
            render_circuit(run, upto=k, digits=circuit_digits) for k in range(1, count + 1)
        ]
    return found


def render_program(
    run: ProgramRun,
    fmt: str = "text",
    template_dir: str | Path | None = None,
    circuit_file: str | None = None,
    figures: str | None = None,
) -> str:
    """The program's derivation as "text", a LaTeX fragment ("tex"), "article", "beamer" or "md".

    ``figures`` places the circuit: "inline" (TikZ in the LaTeX; in Markdown its SVG inside the
    file), "separate" (the document points at ``circuit_file``, the TikZ picture for LaTeX or its
    SVG for Markdown, which the caller writes) or "none"; by default inline in the article and
    the slides, separate where ``circuit_file`` is given, else none."""
    if fmt == "text":
        return program_text(run)
    if figures is None:
        whole = fmt in ("article", "beamer")
        figures = "separate" if circuit_file else "inline" if whole else "none"
    if figures == "separate" and not circuit_file:
        raise SymnnError("--figures separate: expected the name of the circuit's file")
    ctx = program_context(run, fmt) | _circuits(run, fmt, figures)
    ctx["circuit_file"] = circuit_file if figures == "separate" else None
    if figures == "inline" and fmt == "md":
        from symnn.output.figures.tikz import svg_data_uri

        ctx["circuit_file"] = svg_data_uri(render_circuit(run))
    return render(FORMATS[fmt], ctx, template_dir)


def program_text(run: ProgramRun) -> str:
    """Plain text: the table of values and gradients, the backward steps, the results."""
    program = run.program
    out = program.output
    rows = [("node", "definition", "value", f"∂{out.name}/∂node")]
    for row in table(run):
        definition = "input" if row.definition is None else text(row.definition)
        rows.append((row.symbol.name, definition, text(row.value), text(row.gradient)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    count = len(program.nodes)
    lines = [f"Computational graph of {out.name} ({count} node{'s' * (count != 1)})", ""]
    for r in rows:
        lines.append(
            "  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        )
    lines += ["", *_conventions(run), "", run.derivation.title]
    for section in run.derivation.sections:
        lines.append(f"\n{text(section.subject)}")
        for s in section.steps:
            note = f"; {s.note}" if s.note else ""
            lines.append(f"  {text(s.lhs)} = {text(s.rhs)}    [{s.rule_text}{note}]")
    lines.append("\nResults")
    lines += [f"  {text(s.lhs)} = {text(s.rhs)}" for s in run.derivation.results]
    return "\n".join(lines)

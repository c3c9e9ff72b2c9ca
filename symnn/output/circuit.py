"""A program's circuit diagram, as in the CS231n notes: gates as nodes, values above the wires,
gradients below, laid out from the same graph and numbers as the derivation.

Layout only: the columns are the nodes' depths (an input sits just before its first consumer, and
is drawn again just before any gate further right that reads it), each gate at the mean height of
its inputs, pushed apart where two would overlap. Each wire u → v
carries u's forward value above it and, below it, what flows back along it:
∂out/∂v · ∂v/∂u (at a fork each wire carries its own share; the node's gradient is their sum).
On slides the gradients appear node by node, in backward order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.engine.program import ProgramRun
from symnn.output.render import render
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.numbers import format_number

X_STEP = 2.3  # cm between columns
Y_STEP = 1.5  # cm between rows
_FUNCTION_LABELS = {
    "exp": r"\exp",
    "log": r"\log",
    "ln": r"\ln",
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "tanh": r"\tanh",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "max": r"\max",
    "min": r"\min",
    "sigmoid": r"\sigma",
    "sqrt": r"\sqrt{x}",
    "abs": r"|x|",
}


@dataclass(frozen=True)
class Place:
    """A drawn node: its TikZ name, position, label (LaTeX) and whether it is a gate."""

    key: str
    x: float
    y: float
    label: str
    gate: bool
    name: str  # the node's own name, typeset small beside a gate

    @property
    def ref(self) -> str:
        return f"({self.key})"

    @property
    def at(self) -> str:
        return f"({self.x:.2f}, {self.y:.2f})"


@dataclass(frozen=True)
class Wire:
    """A wire from one node to another with its value, its gradient and the overlay it shows on."""

    source: str
    target: str
    value: str
    gradient: str
    overlay: int
    bend: int = 0  # degrees: a wire that skips columns curves around the gates between
    pos: float = 0.5  # where along the wire its numbers sit (nearer the source at a fork)

    @property
    def path(self) -> str:
        return f"to[bend left={self.bend}]" if self.bend else "--"

    @property
    def refs(self) -> tuple[str, str]:
        return f"({self.source})", f"({self.target})"


def gate_label(gate: str, printer: SymnnLatexPrinter, name: sp.Symbol) -> str:
    """The LaTeX inside a gate's circle: ``\\times``, ``+1``, ``1/x``, ``\\exp``; the node's name
    for a composite expression (the table gives its formula).

    Examples:
        >>> p = SymnnLatexPrinter()
        >>> [gate_label(g, p, sp.Symbol("f")) for g in ("*", "+1", "*-1", "1/x", "exp", "x^2", "")]
        ['\\\\times', '+1', '\\\\times(-1)', '1/x', '\\\\exp', 'x^{2}', 'f']
    """
    if not gate:
        return printer.doprint(name)
    if gate in _FUNCTION_LABELS:
        return _FUNCTION_LABELS[gate]
    if gate.isalpha():
        return rf"\mathrm{{{gate}}}"
    if gate.startswith("x^"):
        return f"x^{{{gate[2:]}}}"
    if gate.startswith("^"):
        return r"\mathrm{pow}"
    if gate.endswith("^x"):
        return f"{{{gate[:-2]}}}^{{x}}"
    text = re.sub(r"\*(-[^*]+)$", r"*(\1)", gate)
    return text.replace("*", r"\times").replace("=", r"\mathrm{id}") if text != "=" else "="


def _positions(run: ProgramRun) -> dict[sp.Symbol, tuple[int, float]]:
    program, graph = run.program, run.graph
    depth: dict[sp.Symbol, int] = {}
    for d in graph.definitions:
        parents = graph.parents(d)
        depth[d.symbol] = 1 + max((depth.get(p, 0) for p in parents), default=0)
    for s in program.inputs:
        consumers = [depth[c.symbol] for c in graph.children(s)]
        depth[s] = min(consumers, default=1) - 1
    # Inputs first, top to bottom in program order; each gate at the mean height of its inputs.
    height: dict[sp.Symbol, float] = {}
    columns: dict[int, list[sp.Symbol]] = {}
    for s in [*program.inputs, *(d.symbol for d in graph.definitions)]:
        columns.setdefault(depth[s], []).append(s)
    row = 0.0
    for column in sorted(columns):
        wanted = []
        for s in columns[column]:
            parents = [] if s in program.inputs else graph.parents(graph.definition(s))
            placed = [height[p] for p in parents if p in height]
            wanted.append((sum(placed) / len(placed) if placed else -row, s))
            if not placed:
                row += 1
        wanted.sort(key=lambda pair: -pair[0])
        last = None
        for y, s in wanted:
            if last is not None and y > last - 1:
                y = last - 1
            height[s] = y
            last = y
    return {s: (depth[s], height[s]) for s in depth}


def circuit_context(
    run: ProgramRun, digits: int = 4, printer: SymnnLatexPrinter | None = None
) -> dict[str, Any]:
    """Places and wires of the circuit, numbers already formatted (LaTeX); ``printer`` names the
    nodes (a network's circuit passes the document's notation)."""
    program, graph = run.program, run.graph
    printer = printer or SymnnLatexPrinter()
    where = _positions(run)
    keys = {s: f"n{i}" for i, s in enumerate(run.symbols)}
    nodes = {n.symbol: n for n in program.nodes}
    places = [
        Place(
            keys[s],
            where[s][0] * X_STEP,
            where[s][1] * Y_STEP,
            printer.doprint(s) if s in program.inputs else gate_label(nodes[s].gate, printer, s),
            s not in program.inputs,
            printer.doprint(s),
        )
        for s in run.symbols
    ]

    def places_label(symbol: sp.Symbol) -> str:
        return printer.doprint(symbol)

    backward = [d.symbol for d in reversed(graph.definitions)]
    overlay = {s: i for i, s in enumerate(backward, start=1)}

    def number(value: sp.Expr) -> str:
        return format_number(sp.N(value, 20), digits)

    def bend(f) -> int:
        (x0, y0), (x1, y1) = where[f.parent], where[f.child]
        if x1 - x0 <= 1:
            return 0
        return 25 if y1 >= y0 else -25

    # An input read by a gate further right is drawn again just before that gate, so its wires
    # do not cross the whole picture.
    sources: dict[tuple[sp.Symbol, sp.Symbol], str] = {}
    copies: dict[sp.Symbol, int] = {}
    for f in run.flows:
        (x0, _), (x1, y1) = where[f.parent], where[f.child]
        if f.parent not in program.inputs or x1 - x0 <= 1:
            continue
        k = copies.get(f.child, 0)
        copies[f.child] = k + 1
        key = f"{keys[f.parent]}c{keys[f.child]}"
        sources[f.parent, f.child] = key
        y = y1 - 0.8 - 0.6 * k
        places.append(
            Place(key, (x1 - 0.75) * X_STEP, y * Y_STEP, places_label(f.parent), False, "")
        )

    forks: dict[sp.Symbol, int] = {}
    for f in run.flows:
        if (f.parent, f.child) not in sources:
            forks[f.parent] = forks.get(f.parent, 0) + 1
    wires = [
        Wire(
            sources.get((f.parent, f.child), keys[f.parent]),
            keys[f.child],
            number(run.values[f.parent]),
            number(f.value),
            overlay[f.child],
            0 if (f.parent, f.child) in sources else bend(f),
            0.35 if (f.parent, f.child) in sources else 0.5 if forks[f.parent] == 1 else 0.3,
        )
        for f in run.flows
    ]
    output = program.output
    end = where[output]
    return {
        "places": places,
        "wires": wires,
        "output": {
            "source": f"({keys[output]})",
            "at": f"({(end[0] + 0.9) * X_STEP:.2f}, {end[1] * Y_STEP:.2f})",
            "name": printer.doprint(output),
            "value": number(run.values[output]),
            "gradient": number(run.seed),
        },
        "steps": len(backward),
    }


def render_circuit(
    run: ProgramRun,
    reveal: bool = False,
    upto: int | None = None,
    digits: int = 4,
    template_dir: str | Path | None = None,
    printer: SymnnLatexPrinter | None = None,
) -> str:
    """The TikZ picture; ``reveal`` uncovers gradients node by node on Beamer overlays, ``upto``
    shows only the gradients of the first ``upto`` nodes in backward order."""
    ctx = circuit_context(run, digits, printer)
    ctx["reveal"] = reveal
    ctx["upto"] = upto if upto is not None else ctx["steps"]
    return render("circuit.tex.j2", ctx, template_dir)

"""A program's circuit diagram, as in the CS231n notes: gates as nodes, values above the wires,
gradients below, laid out from the same graph and numbers as the derivation.

Layout only: a tidy tree drawn back from the output (see ``layout``), each input drawn again
before every gate that reads it, so that the tree's wires never cross. Each wire u → v
carries u's forward value above it and, below it, what flows back along it:
∂out/∂v · ∂v/∂u (at a fork each wire carries its own share; the node's gradient is their sum).
On slides the gradients appear node by node, in backward order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.engine.program import Contribution, ProgramRun
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


@dataclass(frozen=True)
class Layout:
    """Columns and heights (in steps) of the gates, and of one leaf per (input, gate reading it)."""

    gates: dict[sp.Symbol, tuple[int, float]]
    leaves: dict[tuple[sp.Symbol, sp.Symbol], tuple[int, float]]
    primary: dict[sp.Symbol, sp.Symbol]  # the consumer whose subtree a gate is drawn in


def layout(run: ProgramRun) -> Layout:
    """A tidy tree drawn back from the output, so that no two wires of the tree cross.

    Each gate sits one column before its nearest consumer (the output in the last column); each
    input is drawn again just before every gate that reads it. A gate read by several gates is
    drawn in the subtree of its nearest consumer (the first in program order on a tie); its other
    wires curve over what lies between. Leaves take successive rows top to bottom (a gate's
    subtrees first, then its inputs, in graph order), and a gate sits midway between its first
    and last input.
    """
    program, graph = run.program, run.graph
    inputs = set(program.inputs)
    consumers: dict[sp.Symbol, list[sp.Symbol]] = {}
    for d in graph.definitions:
        for p in graph.parents(d):
            consumers.setdefault(p, []).append(d.symbol)
    column: dict[sp.Symbol, int] = {}
    primary: dict[sp.Symbol, sp.Symbol] = {}
    for d in reversed(graph.definitions):
        readers = consumers.get(d.symbol, [])
        if d.symbol == program.output or not readers:
            column[d.symbol] = 0
            continue
        nearest = min(readers, key=lambda c: (column[c], readers.index(c)))
        primary[d.symbol] = nearest
        column[d.symbol] = column[nearest] - 1

    def kids(v: sp.Symbol) -> list[sp.Symbol]:
        read = graph.parents(graph.definition(v))
        return [p for p in read if primary.get(p) == v] + [p for p in read if p in inputs]

    # Depth first from the output, without recursion (a long program must not exhaust the stack).
    height: dict[sp.Symbol, float] = {}
    leaves: dict[tuple[sp.Symbol, sp.Symbol], float] = {}
    row = 0
    stack: list[tuple[str, sp.Symbol, sp.Symbol | None]] = [("visit", program.output, None)]
    while stack:
        what, v, consumer = stack.pop()
        if what == "leaf":
            leaves[v, consumer] = -row  # type: ignore[index]
            row += 1
        elif what == "visit":
            stack.append(("finish", v, None))
            stack += [("leaf" if p in inputs else "visit", p, v) for p in reversed(kids(v))]
        else:
            ys = [leaves[p, v] if p in inputs else height[p] for p in kids(v)]
            if not ys:
                ys = [-row]
                row += 1
            height[v] = (max(ys) + min(ys)) / 2
    shift = 1 - min(column.values(), default=0)
    return Layout(
        {s: (column[s] + shift, y) for s, y in height.items()},
        {(p, c): (column[c] + shift - 1, y) for (p, c), y in leaves.items()},
        primary,
    )


def _bend(span: int, rise: float) -> int:
    """Degrees a wire skipping columns curves by, so that it clears the gates it passes over
    (their labels too): about 0.9 cm above the straight line at its middle."""
    length = math.hypot(span * X_STEP, rise * Y_STEP)
    return round(math.degrees(2 * math.atan(0.9 / (length / 2))))


def circuit_context(run: ProgramRun, digits: int = 4) -> dict[str, Any]:
    """Places and wires of the circuit, numbers already formatted (LaTeX)."""
    program = run.program
    printer = SymnnLatexPrinter()
    plan = layout(run)
    keys = {s: f"n{i}" for i, s in enumerate(run.symbols)}
    places = []
    for n in program.nodes:
        x, y = plan.gates[n.symbol]
        label = gate_label(n.gate, printer, n.symbol)
        name = printer.doprint(n.symbol)
        places.append(
            Place(
                keys[n.symbol], x * X_STEP, y * Y_STEP, label, True, "" if label == name else name
            )
        )
    leaf_keys = {}
    for (p, c), (x, y) in sorted(plan.leaves.items(), key=lambda item: -item[1][1]):
        leaf_keys[p, c] = f"{keys[p]}c{keys[c]}"
        places.append(Place(leaf_keys[p, c], x * X_STEP, y * Y_STEP, printer.doprint(p), False, ""))
    backward = [d.symbol for d in reversed(run.graph.definitions)]
    overlay = {s: i for i, s in enumerate(backward, start=1)}

    def number(value: sp.Expr) -> str:
        return format_number(sp.N(value, 20), digits)

    def bend(f: Contribution) -> int:
        if (f.parent, f.child) in leaf_keys or plan.primary.get(f.parent) == f.child:
            return 0
        (x0, y0), (x1, y1) = plan.gates[f.parent], plan.gates[f.child]
        if x1 - x0 <= 1:
            return 0
        angle = _bend(x1 - x0, y1 - y0)
        return angle if y1 >= y0 else -angle

    wires = [
        Wire(
            leaf_keys.get((f.parent, f.child), keys[f.parent]),
            keys[f.child],
            number(run.values[f.parent]),
            number(f.value),
            overlay[f.child],
            bend(f),
        )
        for f in run.flows
    ]
    output = program.output
    end = plan.gates[output]
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
) -> str:
    """The TikZ picture; ``reveal`` uncovers gradients node by node on Beamer overlays, ``upto``
    shows only the gradients of the first ``upto`` nodes in backward order."""
    ctx = circuit_context(run, digits)
    ctx["reveal"] = reveal
    ctx["upto"] = upto if upto is not None else ctx["steps"]
    return render("circuit.tex.j2", ctx, template_dir)

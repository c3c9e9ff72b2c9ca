"""The network diagram: one node per unit, weights on the edges, δ's path highlighted.

Built from the graph the derivation walks (``symnn.core.graph.Graph``): a unit is the pair of
nodes (z, a) of one layer and unit, or one node (an input, a sum, a concatenation); an edge joins
the unit of a definition's parent to the unit of the definition, labelled with the parameter that
multiplies the parent (a weight), and a parameter standing alone in a definition is that unit's
bias. Columns are the blocks' depths through the network's sources, so skip connections and
concatenations draw as they are wired. Blocks wider than ``max_units`` show their first units, a
⋮ and the last one (and any unit on the highlighted path).

The highlight is every edge through which δ flows back to the chosen parameter: the edge the
parameter sits on, and every edge from its unit, or from a unit downstream of it, to the loss.
On slides (``reveal``) the highlight walks backward from the loss, one overlay per column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.output.render import render
from symnn.printing.latex import SymnnLatexPrinter
from symnn.printing.numbers import format_number

X_STEP = 3.4  # cm between columns, before scaling to fit
Y_STEP = 1.9  # cm between units of a column
BLOCK_GAP = 0.8  # extra cm between two blocks sharing a column
MAX_UNITS = 5  # a wider block shows units 1, 2, ⋮, last
FITS = {"article": (15.0, 11.0), "beamer": (10.8, 6.2)}  # cm a picture may take


@dataclass(frozen=True)
class Node:
    """A drawn unit (or ⋮): TikZ name, position in cm, label lines (LaTeX), bias label, style."""

    key: str
    x: float
    y: float
    lines: tuple[str, ...]
    bias: str = ""
    style: str = "unit"  # unit, input, sum, loss, dots

    @property
    def ref(self) -> str:
        return f"({self.key})"

    @property
    def at(self) -> str:
        return f"({self.x:.2f}, {self.y:.2f})"


@dataclass(frozen=True)
class Edge:
    """An edge between two drawn units, its weight label, and the overlay its highlight starts on
    (0: not on δ's path)."""

    source: str
    target: str
    label: str
    flow: int
    bend: int = 0
    pos: float = 0.3

    @property
    def path(self) -> str:
        return f"to[bend left={self.bend}]" if self.bend else "--"

    @property
    def refs(self) -> tuple[str, str]:
        return f"({self.source})", f"({self.target})"


def _unit_of(graph: Graph, symbol: sp.Symbol) -> tuple[int, int] | None:
    """(block, unit) of an input or a defined quantity; None for the loss."""
    if symbol in graph.inputs:
        return 0, graph.inputs.index(symbol) + 1
    d = graph.definition(symbol)
    if d.layer == 0:
        return None
    return d.layer, d.unit


def _columns(graph: Graph) -> dict[int, int]:
    """Each block's column: the longest path to it from the input through the sources."""
    column = {0: 0}
    for index, blocks in enumerate(graph.network.sources, start=1):
        column[index] = 1 + max(column[b] for b in blocks)
    return column


def _shown(width: int, keep: set[int], max_units: int) -> list[int | None]:
    """The units of a block drawn, in order, with None where a ⋮ stands for those left out."""
    if width <= max_units:
        return list(range(1, width + 1))
    wanted = sorted({1, 2, width} | {k for k in keep if 1 <= k <= width})
    slots: list[int | None] = []
    for unit in wanted:
        if slots and slots[-1] is not None and unit > slots[-1] + 1:
            slots.append(None)
        slots.append(unit)
    return slots


def _coefficient(expr: sp.Expr, parent: sp.Symbol, parameters: set[sp.Symbol]) -> sp.Symbol | None:
    """The parameter multiplying ``parent`` in a weighted sum (its weight), if there is one."""
    terms = expr.args if isinstance(expr, sp.Add) else (expr,)
    for term in terms:
        if isinstance(term, sp.Mul) and parent in term.args and len(term.args) == 2:
            other = term.args[0] if term.args[1] == parent else term.args[1]
            if other in parameters:
                return other
    return None


def _bias(expr: sp.Expr, parameters: set[sp.Symbol]) -> sp.Symbol | None:
    terms = expr.args if isinstance(expr, sp.Add) else (expr,)
    return next((t for t in terms if t in parameters), None)


def chosen_parameter(derivation_results: list, graph: Graph) -> sp.Symbol | None:
    """The parameter whose path a figure highlights: of the gradients derived, a weight of the
    earliest layer (the longest path δ takes), else the first parameter; None without any."""
    found = []
    for step in derivation_results:
        lhs = step.lhs
        if isinstance(lhs, sp.Derivative) and len(lhs.variables) == 1:
            s = lhs.variables[0]
            try:
                kind, indices = nt.parse(s)
            except SymnnError:
                continue
            if kind in ("w", "b"):
                found.append((kind != "w", indices[0], s))
    if not found:
        return None
    first = found[0][2]
    weights = [f for f in found if not f[0]]
    return min(weights, key=lambda f: f[1])[2] if weights else first


def network_context(
    graph: Graph,
    printer: SymnnLatexPrinter,
    wrt: sp.Symbol | None = None,
    values: dict[sp.Symbol, float] | None = None,
    digits: int = 4,
    fit: str = "article",
    max_units: int = MAX_UNITS,
) -> dict[str, Any]:
    """Nodes and edges of the network diagram; ``values`` (the worked example's given numbers)
    label edges and biases with numbers instead of symbols."""
    parameters = {s for p in graph.parameters for _, s in p.entries()}
    column = _columns(graph)
    widths = graph.network.widths

    # Which definitions make up each unit, and which edges join units.
    members: dict[tuple[int, int], list[sp.Symbol]] = {}
    for k, x in enumerate(graph.inputs, start=1):
        members[0, k] = [x]
    links: dict[tuple[tuple[int, int], tuple[int, int] | None], sp.Symbol | None] = {}
    biases: dict[tuple[int, int], sp.Symbol] = {}
    for d in graph.definitions:
        here = None if d.layer == 0 else (d.layer, d.unit)
        if here is not None:
            members.setdefault(here, []).append(d.symbol)
            bias = _bias(d.expr, parameters)
            if bias is not None:
                biases[here] = bias
        for parent in graph.parents(d):
            if parent in parameters or parent in graph.targets:
                continue
            source = _unit_of(graph, parent)
            if source is None or source == here:
                continue
            links.setdefault((source, here), _coefficient(d.expr, parent, parameters))

    # δ's path: the units the chosen parameter feeds and every unit downstream of them.
    start: list[tuple[tuple[int, int], tuple[int, int] | None]] = []
    reached: set[tuple[int, int] | None] = set()
    if wrt is not None:
        for d in graph.children(wrt):
            here = None if d.layer == 0 else (d.layer, d.unit)
            reached.add(here)
            for (source, target), weight in links.items():
                if target == here and weight == wrt:
                    start.append((source, target))
        grew = True
        while grew:
            grew = False
            for source, target in links:
                if source in reached and target not in reached:
                    reached.add(target)
                    grew = True
    on_path = {(s, t) for s, t in links if s in reached} | set(start)
    keep: dict[int, set[int]] = {}
    for s, t in on_path:
        for unit in (s, t):
            if unit is not None:
                keep.setdefault(unit[0], set()).add(unit[1])

    # Layout: columns by depth, blocks of a column stacked, units centred.
    by_column: dict[int, list[int]] = {}
    for block in range(len(widths)):
        by_column.setdefault(column[block], []).append(block)
    where: dict[tuple[int, int], tuple[float, float]] = {}
    nodes: list[Node] = []
    for col in sorted(by_column):
        stacks = [(b, _shown(widths[b], keep.get(b, set()), max_units)) for b in by_column[col]]
        total = sum(len(s) for _, s in stacks) - 1 + BLOCK_GAP / Y_STEP * (len(stacks) - 1)
        y = total / 2 * Y_STEP
        for block, slots in stacks:
            for i, unit in enumerate(slots):
                x = col * X_STEP
                if unit is None:
                    nodes.append(Node(f"d{block}x{i}", x, y, (r"\vdots",), style="dots"))
                else:
                    names = members[block, unit]
                    kinds = {graph.definition(s).kind.name for s in names if s not in graph.inputs}
                    style = (
                        "input"
                        if block == 0
                        else "sum"
                        if "weighted_input" not in kinds
                        else "unit"
                    )
                    bias = biases.get((block, unit))
                    if bias is None:
                        bias_label = ""
                    elif values is not None:
                        value = format_number(values[bias], digits)
                        bias_label = f"{printer.doprint(bias)} = {value}"
                    else:
                        bias_label = printer.doprint(bias)
                    lines = tuple(printer.doprint(s) for s in names)
                    nodes.append(Node(f"u{block}x{unit}", x, y, lines, bias_label, style))
                    where[block, unit] = (x, y)
                y -= Y_STEP
            y -= BLOCK_GAP
    last = max(by_column) + 1
    outputs = [where[u] for (u, t) in links if t is None and u in where]
    loss_y = sum(y for _, y in outputs) / len(outputs) if outputs else 0.0
    loss = Node(
        "loss", max(by_column) * X_STEP + 2.0, loss_y, (printer.doprint(graph.loss),), "", "loss"
    )
    nodes.append(loss)

    # Overlays on slides: edges into the loss first, then one column further back at a time.
    hops: dict[tuple[int, int] | None, int] = {None: 0}
    for col in sorted(by_column, reverse=True):
        for block in by_column[col]:
            for unit in range(1, widths[block] + 1):
                after = [hops[t] for (s, t) in on_path if s == (block, unit) and t in hops]
                if after:
                    hops[block, unit] = 1 + max(after)

    def key(unit: tuple[int, int] | None) -> str:
        return "loss" if unit is None else f"u{unit[0]}x{unit[1]}"

    # Between two blocks joined by more than nine drawn edges the labels would bury each other:
    # there only the edges on δ's path carry their weights.
    fan: dict[tuple[int, int | None], int] = {}
    for source, target in links:
        if source in where and (target is None or target in where):
            pair = (source[0], None if target is None else target[0])
            fan[pair] = fan.get(pair, 0) + 1
    crowded = {pair for pair, count in fan.items() if count > 9}
    edges = []
    for (source, target), weight in links.items():
        if source not in where or (target is not None and target not in where):
            continue
        if target is not None and target[0] == source[0]:
            continue  # units of one block coupled (softmax): δ's path shows it, no edge drawn
        label = ""
        quiet = (source[0], None if target is None else target[0]) in crowded and (
            source,
            target,
        ) not in on_path
        if weight is not None and not quiet:
            if values is not None:
                label = format_number(values[weight], digits)
            else:
                label = printer.doprint(weight)
        flow = 0
        if (source, target) in on_path:
            flow = 1 + hops.get(target, 0)
        skip = (column[target[0]] if target is not None else last) - column[source[0]]
        (x0, y0) = where[source]
        y1 = loss_y if target is None else where[target][1]
        bend = 0 if skip <= 1 else (20 if y1 >= y0 else -20)
        pos = 0.5 if weight is None else 0.28
        edges.append(Edge(key(source), key(target), label, flow, bend, pos))
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    width_cm = max(xs) - min(xs) + 2.5
    height_cm = max(ys) - min(ys) + 1.8
    room = FITS[fit]
    scale = min(1.0, room[0] / width_cm, room[1] / height_cm)
    steps = max((e.flow for e in edges), default=0)
    return {"nodes": nodes, "edges": edges, "scale": f"{scale:.3f}", "steps": steps}


def render_network(
    graph: Graph,
    printer: SymnnLatexPrinter,
    wrt: sp.Symbol | None = None,
    values: dict[sp.Symbol, float] | None = None,
    digits: int = 4,
    fit: str = "article",
    reveal: bool = False,
    template_dir: str | Path | None = None,
) -> str:
    """The network diagram as a TikZ picture (needs ``\\usepackage{tikz}``)."""
    if fit not in FITS:
        raise SymnnError(f"unknown figure size {fit!r}; known: {', '.join(FITS)}")
    ctx = network_context(graph, printer, wrt, values, digits, fit)
    return render("network_figure.tex.j2", ctx | {"reveal": reveal}, template_dir)

"""The network diagram: one node per unit, weights on the edges, δ's path highlighted.

Built from the graph the derivation walks (``symnn.core.graph.Graph``): a node is a unit, the
pair (z, a) of one layer and unit, or one quantity of any other kind (an input, a sum, a layer's
stages: a query, a score, a gate, a mean each a node of its own, so attention's q, k, v, s, p, o
and a GRU's gates stand in columns, not in one pile). An edge joins the node of a definition's
parent to the node of the definition, labelled with the parameter that multiplies the parent (a
weight), and a parameter standing alone in a definition is that node's bias. Columns are the
longest path from the inputs, so skip connections, concatenations and recurrences draw as they
are wired. Stacks wider than ``max_units`` (twice that for one-line stages) show their first
nodes, a ⋮ and the last one (and any node on the highlighted path).

The highlight is every edge through which δ flows back to the chosen parameter: the edge the
parameter sits on, and every edge from its unit, or from a unit downstream of it, to the loss.
On slides (``reveal``) the highlight walks backward from the loss, one overlay per column; and
each derivation frame on δ's path carries a thumbnail of the network (``path_thumbnails``) red up
to the hop that frame's quantity has reached, its newest hop turning red on the frame's last step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
X_STEP_PLAIN = 1.9  # cm between columns joined by unlabelled edges (a score to its softmax)
Y_STEP_PLAIN = 1.0  # cm between one-line nodes without a bias
FITS = {"article": (15.0, 11.0), "beamer": (10.8, 6.2), "thumb": (3.4, 1.25)}  # cm to take


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


Key = tuple[int, int, str]  # (block, unit, group) of a drawn node; None stands for the loss
PAIRED = "unit"  # the group of a weighted input and its activation, drawn as one node


def _group(kind: Any) -> str:
    """Which definitions of one (block, unit) share a node: a weighted input (or convolution)
    and its activation, the classic unit z over a; every other kind (a query, a score, a gate,
    a mean) is a node of its own, so a layer's stages stand in columns rather than in a pile."""
    return PAIRED if kind.array == "z" or kind.name == "activation" else kind.name


def _unit_of(graph: Graph, symbol: sp.Symbol) -> Key | None:
    """The node of an input or a defined quantity; None for the loss."""
    if symbol in graph.inputs:
        return 0, graph.inputs.index(symbol) + 1, PAIRED
    d = graph.definition(symbol)
    if d.layer == 0:
        return None
    return d.layer, d.unit, _group(d.kind)


def _node_key(unit: Key | None, staged: set[int]) -> str:
    """The TikZ name of a node: ``u{block}x{unit}``, and the kind's name in a block of stages
    (``staged``), where a query and a key share a unit index."""
    if unit is None:
        return "loss"
    block, index, group = unit
    return f"u{block}x{index}" + (group.replace("_", "") if block in staged else "")


def _columns(graph: Graph, members: dict[Key, list], links: dict) -> dict[Key, int]:
    """Each node's column: the longest path to it from the inputs. A node read from parameters
    alone (a GRU's W_hh h₀ + b_hh at h₀ = 0) stands just before the first node reading it."""
    column: dict[Key, int] = {k: 0 for k in members if k[0] == 0}
    into: dict[Key, list[Key]] = {}
    for source, target in links:
        if target is not None and not _coupled(source, target):
            into.setdefault(target, []).append(source)
    for key in members:  # graph order: parents come first
        if key[0] != 0:
            before = [column[s] for s in into.get(key, []) if column.get(s) is not None]
            column[key] = 1 + max(before) if before else None  # type: ignore[assignment]
    for key in reversed(list(members)):
        if column[key] is None:
            after = [column[t] for (s, t) in links if s == key and t is not None and t != key]
            column[key] = max(1, min((c for c in after if c is not None), default=2) - 1)
    return column


def _coupled(source: Key, target: Key | None) -> bool:
    """Two units of one dense block read each other (a softmax's a_j reads every z_k): one
    column, no edge drawn; δ's path still passes through the coupling."""
    return target is not None and source[0] == target[0] and source[2] == target[2] == PAIRED


def _shown(units: list[int], keep: set[int], linked: set[int], max_units: int) -> list[int | None]:
    """The units of a stack drawn, in order, with None where a ⋮ stands for those left out: the
    first two and the last of those with a drawn input (``linked``), and every unit kept."""
    if len(units) <= max_units:
        return list(units)
    pool = [u for u in units if u in linked] or units
    wanted = {*pool[:2], pool[-1]} | (keep & set(units))
    slots: list[int | None] = []
    for i, unit in enumerate(units):
        if unit in wanted:
            if i > 0 and units[i - 1] not in wanted:  # a run left out just before
                slots.append(None)
            slots.append(unit)
    if units[-1] not in wanted:
        slots.append(None)
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


def _wiring(graph: Graph) -> tuple[dict, dict, dict]:
    """Which definitions make up each node, the edges joining nodes (with the weight on each, or
    None) and each node's bias."""
    parameters = {s for p in graph.parameters for _, s in p.entries()}
    members: dict[Key, list[sp.Symbol]] = {}
    for k, x in enumerate(graph.inputs, start=1):
        members[0, k, PAIRED] = [x]
    links: dict[tuple[Key, Key | None], sp.Symbol | None] = {}
    biases: dict[Key, sp.Symbol] = {}
    for d in graph.definitions:
        here = _unit_of(graph, d.symbol)
        if here is not None:
            if not graph.children(d.symbol) and not graph.parents(d):
                continue  # a constant nothing reads: a score masked to 0
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
    return members, links, biases


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
    members, links, biases = _wiring(graph)
    column = _columns(graph, members, links)
    groups: dict[int, set[str]] = {}
    for block, _, group in members:
        groups.setdefault(block, set()).add(group)
    staged = {block for block, found in groups.items() if len(found) > 1}

    def name(unit: Key | None) -> str:
        return _node_key(unit, staged)

    # δ's path: the nodes the chosen parameter feeds and every node downstream of them.
    start: list[tuple[Key, Key | None]] = []
    reached: set[Key | None] = set()
    if wrt is not None:
        for d in graph.children(wrt):
            here = _unit_of(graph, d.symbol)
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
    keep = {unit for pair in on_path for unit in pair if unit is not None}

    # Layout: columns by depth; in a column, one stack per block and kind, nodes centred. A
    # column reached by weighted edges leaves room for their labels; others sit closer.
    weighted = {column[t] for (s, t), w in links.items() if t is not None and w is not None}
    x_at = {0: 0.0}
    for col in range(1, max(column.values()) + 1):
        x_at[col] = x_at[col - 1] + (X_STEP if col in weighted else X_STEP_PLAIN)
    # Stacks whose edges will carry weights need the room of a unit for their labels.
    gaps: dict[tuple[int, int], int] = {}
    for (source, target), weight in links.items():
        if target is not None and weight is not None:
            pair = (column[source], column[target])
            gaps[pair] = gaps.get(pair, 0) + 1
    roomy = {block for block in groups if block not in staged} | {
        (unit[0], unit[2])
        for (source, target), weight in links.items()
        if target is not None and weight is not None and gaps[column[source], column[target]] <= 9
        for unit in (source, target)
    }
    stacks: dict[int, dict[tuple[int, str], list[int]]] = {}
    for key in members:
        stacks.setdefault(column[key], {}).setdefault((key[0], key[2]), []).append(key[1])
    where: dict[Key, tuple[float, float]] = {}
    nodes: list[Node] = []
    dots: dict[tuple[int, int, str], str] = {}
    for col in sorted(stacks):
        fed = {t for (s, t) in links if s in where and t is not None}
        chosen = []
        for (block, group), units in stacks[col].items():
            kept = {k[1] for k in keep if (k[0], k[2]) == (block, group)}
            linked = {k[1] for k in fed if (k[0], k[2]) == (block, group)} if col else set(units)
            # A stage's nodes are one line each: twice as many stand before a ⋮ does.
            limit = 2 * max_units if block in staged else max_units
            chosen.append((block, group, _shown(units, kept, linked, limit)))
        steps = [_y_step(members, (block, group), biases, roomy) for block, group, _ in chosen]
        # Between two stacks of a column: the larger of their steps, and a gap.
        between = [max(a, b) + BLOCK_GAP for a, b in zip(steps, steps[1:], strict=False)]
        span = sum((len(c[2]) - 1) * step for c, step in zip(chosen, steps, strict=True))
        y = (span + sum(between)) / 2
        for i, ((block, group, slots), step) in enumerate(zip(chosen, steps, strict=True)):
            for k, unit in enumerate(slots):
                x = x_at[col]
                if unit is None:
                    dot = f"d{block}x{k}" + (group.replace("_", "") if block in staged else "")
                    dots.setdefault((col, block, group), dot)
                    nodes.append(Node(dot, x, y, (r"\vdots",), style="dots"))
                else:
                    key = (block, unit, group)
                    node = _node(graph, printer, key, members, biases, values, digits, fit)
                    nodes.append(replace(node, key=name(key), x=x, y=y))
                    where[key] = (x, y)
                if k < len(slots) - 1:
                    y -= step
            if i < len(between):
                y -= between[i]
    last_x = max(x_at.values())
    outputs = [where[u] for (u, t) in links if t is None and u in where]
    loss_y = sum(y for _, y in outputs) / len(outputs) if outputs else 0.0
    loss = Node("loss", last_x + 2.0, loss_y, (printer.doprint(graph.loss),), "", "loss")
    nodes.append(loss)

    # Overlays on slides: edges into the loss first, then one column further back at a time.
    hops: dict[Key | None, int] = {None: 0}
    for key in sorted(members, key=lambda k: -column[k]):
        after = [hops[t] for (s, t) in on_path if s == key and t in hops]
        if after:
            hops[key] = 1 + max(after)

    # Between two columns joined by more than nine drawn edges the labels would bury each other:
    # there only the edges on δ's path carry their weights.
    def stack(unit: Key | None) -> int:
        return max(column.values()) + 1 if unit is None else column[unit]

    fan: dict[tuple, int] = {}
    for source, target in links:
        if source in where and (target is None or target in where):
            pair = (stack(source), stack(target))
            fan[pair] = fan.get(pair, 0) + 1
    crowded = {pair for pair, count in fan.items() if count > 9}
    edges = []
    linked: set[Key] = set()
    for (source, target), weight in links.items():
        if source not in where or (target is not None and target not in where):
            continue
        if target is not None and column[target] == column[source]:
            continue  # units of one block coupled (softmax): δ's path shows it, no edge drawn
        label = ""
        quiet = (stack(source), stack(target)) in crowded and (source, target) not in on_path
        if weight is not None and not quiet and fit != "thumb":
            if values is not None:
                label = format_number(values[weight], digits)
            else:
                label = printer.doprint(weight)
        flow = 0
        if (source, target) in on_path:
            flow = 1 + hops.get(target, 0)
        skip = (column[target] if target is not None else max(column.values()) + 1) - column[source]
        (x0, y0) = where[source]
        y1 = loss_y if target is None else where[target][1]
        bend = 0 if skip <= 1 else (20 if y1 >= y0 else -20)
        pos = 0.5 if weight is None else 0.28
        edges.append(Edge(name(source), name(target), label, flow, bend, pos))
        if target is not None:
            linked.add(target)
    # A drawn node whose inputs were all left out is fed from the ⋮ standing for them.
    for source, target in links:
        if target in where and target not in linked and source not in where:
            dot = dots.get((column[source], source[0], source[2]))
            if dot is not None:
                edges.append(Edge(dot, name(target), "", 0))
                linked.add(target)
    edges = place_labels(nodes, edges)
    xs = [n.x for n in nodes]
    ys = [n.y for n in nodes]
    width_cm = max(xs) - min(xs) + 2.5
    height_cm = max(ys) - min(ys) + 1.8
    room = FITS[fit]
    scale = min(1.0, room[0] / width_cm, room[1] / height_cm)
    steps = max((e.flow for e in edges), default=0)
    # How far back δ has come once a quantity of a node on the path is known: the hops of the
    # edges leaving that node (its ∂L/∂a and δ), and every hop for the chosen parameter.
    stages: dict[Any, int] = {}
    for unit, hop in hops.items():
        if unit is not None and unit in reached and hop:
            if unit[2] == PAIRED:
                stages[unit[0], unit[1], "unit"] = hop
            stages.update({s: hop for s in members[unit]})
    if wrt is not None:
        stages[wrt] = steps
    return {
        "nodes": nodes,
        "edges": edges,
        "scale": f"{scale:.3f}",
        "steps": steps,
        "stages": stages,
    }


def _y_step(members: dict, stack: tuple[int, str], biases: dict, roomy: set) -> float:
    """Room per node of a stack: a z-over-a unit, a node with a bias, a stack of a plain block
    or one whose edges carry labels (``roomy``) takes ``Y_STEP``; other nodes of one line in a
    block of stages (a query, a score, a gate) less."""
    if stack[0] in roomy or stack in roomy:
        return Y_STEP
    tall = any(
        len(names) > 1 or key in biases
        for key, names in members.items()
        if (key[0], key[2]) == stack
    )
    return Y_STEP if tall else Y_STEP_PLAIN


def _node(graph, printer, key: Key, members, biases, values, digits, fit) -> Node:
    """The drawn node of ``key``: its quantities' names, its bias, its style."""
    names = members[key]
    kinds = {graph.definition(s).kind.name for s in names if s not in graph.inputs}
    style = "input" if key[0] == 0 else "unit" if "weighted_input" in kinds else "sum"
    bias = biases.get(key)
    if bias is None or fit == "thumb":
        bias_label = ""
    elif values is not None:
        bias_label = f"{printer.doprint(bias)} = {format_number(values[bias], digits)}"
    else:
        bias_label = printer.doprint(bias)
    lines = tuple(printer.doprint(s) for s in names)
    return Node("", 0.0, 0.0, lines, bias_label, style)


# Label placement. Sizes are estimates in cm before scaling (the picture scales as a whole):
# \scriptsize weight labels, \small node text. Good enough to keep boxes apart.
# Along an edge, preferred first.
POSITIONS = (0.28, 0.2, 0.36, 0.44, 0.14, 0.52, 0.6, 0.68, 0.76, 0.84)
GAP = 0.07  # cm kept between two boxes


def label_size(tex: str, char: float = 0.16, script: float = 0.11) -> tuple[float, float]:
    """Estimated (width, height) in cm of a label ``tex`` at \\scriptsize (inner sep included).

    Examples:
        >>> label_size("0.15")
        (0.71, 0.36)
        >>> label_size("w^{(1)}_{11}")
        (0.56, 0.52)
    """
    group = r"[_^](\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|.)"
    scripts = re.findall(group, tex)
    main = re.sub(r"\\[A-Za-z]+", "x", re.sub(group, "", tex))  # a command prints one glyph
    main_width = char * len(main.replace("{", "").replace("}", "").replace(" ", ""))
    longest = max((len(g.strip("{}")) for g in scripts), default=0)
    width = main_width + script * longest + 0.07
    height = 0.36 + (0.16 if scripts else 0.0)
    return round(width, 2), round(height, 2)


def _node_box(node: Node) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) of a drawn unit, estimated in cm."""
    if node.style in ("input", "loss"):
        half_w = half_h = 0.45
    elif node.style == "dots":
        half_w, half_h = 0.1, 0.3
    else:
        half_w = max(0.55, max(label_size(line, 0.2, 0.12)[0] for line in node.lines) / 2 + 0.1)
        half_h = 0.27 * len(node.lines) + 0.1
    return node.x - half_w, node.y - half_h, node.x + half_w, node.y + half_h


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] + GAP and b[0] < a[2] + GAP and a[1] < b[3] + GAP and b[1] < a[3] + GAP


def _border(box: tuple, x: float, y: float, dx: float, dy: float) -> float:
    """How far from the centre (x, y) of ``box`` its border lies along the unit vector (dx, dy)."""
    half_w, half_h = (box[2] - box[0]) / 2, (box[3] - box[1]) / 2
    return min(half_w / abs(dx) if dx else 1e9, half_h / abs(dy) if dy else 1e9)


def label_point(source: Node, target: Node, edge: Edge, pos: float) -> tuple[float, float]:
    """Where on ``edge`` (between the units' borders, bent as drawn) the label at ``pos`` sits."""
    import math

    dx, dy = target.x - source.x, target.y - source.y
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    start = _border(_node_box(source), source.x, source.y, ux, uy)
    end = length - _border(_node_box(target), target.x, target.y, -ux, -uy)
    along = start + pos * (end - start)
    x, y = source.x + ux * along, source.y + uy * along
    if edge.bend:  # a bend left of θ bulges to the left of the direction of travel
        t = along / length
        bulge = 0.75 * (length / 2) * math.tan(math.radians(edge.bend) / 2) * 4 * t * (1 - t)
        x, y = x - uy * bulge, y + ux * bulge
    return x, y


def label_box(source: Node, target: Node, edge: Edge, pos: float) -> tuple:
    x, y = label_point(source, target, edge, pos)
    w, h = label_size(edge.label)
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def bias_box(node: Node) -> tuple | None:
    """The box of a unit's bias label, set just above the unit."""
    if not node.bias:
        return None
    top = _node_box(node)[3]
    w, h = label_size(node.bias)
    return node.x - w / 2, top, node.x + w / 2, top + h


def place_labels(nodes: list[Node], edges: list[Edge]) -> list[Edge]:
    """Each weight label moved along its edge to the first of ``POSITIONS`` where its box meets
    no unit, no bias label and no label placed before it (δ's path placed first); where no
    position is free, the one meeting the fewest boxes. Edges keep their order."""
    by_key = {n.key: n for n in nodes}
    taken = [_node_box(n) for n in nodes]
    taken += [b for n in nodes if (b := bias_box(n)) is not None]
    placed: dict[int, Edge] = {}
    order = sorted(range(len(edges)), key=lambda i: (edges[i].flow == 0, i))
    for i in order:
        edge = edges[i]
        if not edge.label:
            placed[i] = edge
            continue
        source, target = by_key[edge.source], by_key[edge.target]
        own = (_node_box(source), _node_box(target))
        best = None
        for pos in POSITIONS:
            box = label_box(source, target, edge, pos)
            hits = sum(_overlap(box, other) for other in taken if other not in own)
            hits += sum(_overlap(box, other) for other in own)  # inside its own units
            if best is None or hits < best[0]:
                best = (hits, pos, box)
            if hits == 0:
                break
        _, pos, box = best
        taken.append(box)
        placed[i] = Edge(edge.source, edge.target, edge.label, edge.flow, edge.bend, pos)
    return [placed[i] for i in range(len(edges))]


def path_stage(stages: dict, term: sp.Basic) -> int:
    """The hop δ has reached once ``term`` (a unit's a, z or δ, or the chosen parameter) is
    derived; 0 for a term off the highlighted path."""
    if term in stages:
        return stages[term]
    if not isinstance(term, sp.Symbol):
        return 0
    try:
        kind, indices = nt.parse(term)
    except SymnnError:
        return 0
    if kind not in ("a", "z", "delta") or len(indices) != 2:
        return 0
    return stages.get((indices[0], indices[1], "unit"), 0)


def path_thumbnails(
    graph: Graph,
    printer: SymnnLatexPrinter,
    wrt: sp.Symbol,
    terms: list[sp.Basic],
    template_dir: str | Path | None = None,
) -> dict[sp.Basic, tuple[str, int]]:
    """For each term on δ's path to ``wrt``: (the network in thumbnail, the hop it reaches).

    The picture is drawn with the hops before that term's red from the start and its own hop
    red from the overlay written ``@turn@``, which the slide replaces by its last step."""
    ctx = network_context(graph, printer, wrt, fit="thumb")
    # Too small to read, and typeset again on every overlay of every frame: shapes only.
    ctx["nodes"] = [replace(n, lines=()) if n.style != "dots" else n for n in ctx["nodes"]]
    found: dict[sp.Basic, tuple[str, int]] = {}
    pictures: dict[int, str] = {}
    for term in terms:
        stage = path_stage(ctx["stages"], term)
        if stage and term not in found:
            if stage not in pictures:
                pictures[stage] = render(
                    "network_figure.tex.j2",
                    ctx | {"reveal": False, "upto": stage, "turn": "@turn@"},
                    template_dir,
                )
            found[term] = (pictures[stage], stage)
    return found


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
    return render("network_figure.tex.j2", ctx | {"reveal": reveal, "upto": 0}, template_dir)

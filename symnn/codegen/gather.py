"""Per-layer NumPy statements gathered from the element-level assignments, by their form.

The element-level derivation gives one expression per unit: z_j, a_j, ∂L/∂a_j, δ_j, ∂L/∂w_jk.
Written as one line per unit, each line costs about a microsecond of NumPy call overhead, so a
network of a few hundred parameters runs 20-30× slower than backprop written by hand. This module
reads the expressions of a layer's units together and, when they share one form, writes them as one
array statement (samples as rows, units as columns):

- ``e_j = Σ_k M[j, k]·u_k + r_j`` for every j (a weighted sum): ``U @ M.T + R``, and with
  ``M[k, j]`` (a sum over the next layer's units): ``U @ M``;
- ``e_j = T(v_j, …)`` where T is one elementwise expression in entry j of same-sized vectors:
  ``T(V, …)`` on whole arrays (softmax_j(z_1, …, z_m) counts as entry j of the softmax of the row);
- ``∂L/∂w_jk = mean(δ_j·u_k)``: ``δᵀ U / n``; ``∂L/∂b_j = mean(T(…))``: ``mean(T, axis=0)``;
- a sum over units of one term form (the loss): ``numpy.sum(T, axis=1)``.

The forms are detected in the expressions, never assumed; anything else stays one line per unit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sympy as sp

from symnn.core.functions import LogSumExp, Softmax
from symnn.core.graph import Graph
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.engine.stable import stable_backward, stable_forward
from symnn.printing.code import CodePrinter

_NOT_ELEMENTWISE = (Softmax, LogSumExp)
_COMMENT_WIDTH = 72


@dataclass(frozen=True)
class Column:
    """Where a scalar quantity lives: column ``index`` of the array ``array`` of ``size`` units."""

    array: str
    index: int
    size: int
    batched: bool


class _RowSoftmax(sp.Function):
    """The softmax of each row of an array: entry j of it is softmax_j(row)."""

    nargs = 1

    def _numpycode(self, printer) -> str:
        rows = printer._print(self.args[0])
        # exp(z − logsumexp(z)): stable, the exponent is never positive.
        return f"numpy.exp({rows} - logsumexp(*{rows}.T)[:, None])"


class _Printer(CodePrinter):
    """The code printer reading symbol names from a table that grows as arrays are gathered."""

    def __init__(self, names: Mapping[sp.Symbol, str]) -> None:
        super().__init__()
        self.names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.names.get(expr, expr.name)

    _print_Dummy = _print_Symbol


def columns(graph: Graph) -> dict[sp.Symbol, Column]:
    """Every vector entry of the graph: inputs, targets, z, a, their adjoints, 1-D parameters."""
    found: dict[sp.Symbol, Column] = {}
    for array, symbols in (("X", graph.inputs), ("Y", graph.targets)):
        for k, s in enumerate(symbols):
            found[s] = Column(array, k, len(symbols), True)
    widths = graph.network.widths
    for d in graph.definitions[:-1]:
        size = widths[d.block]
        found[d.symbol] = Column(f"{d.kind.array}_{d.block}", d.index - 1, size, True)
        adjoint = Column(f"{d.kind.adjoint_array}_{d.block}", d.index - 1, size, True)
        found[adjoint_symbol(d)] = adjoint
    for p in graph.parameters:
        if len(p.shape) == 1:
            for (i,), s in p.entries():
                found[s] = Column(p.name, i, p.shape[0], False)
    return found


class LayerCode:
    """Writes assignments group by group, gathering each group into array statements if it can."""

    def __init__(self, bp: Backprop) -> None:
        graph = bp.graph
        self.columns = columns(graph)
        self._arrays: dict[str, list[tuple[sp.Symbol, Column]]] = {}
        for s, c in self.columns.items():
            self._arrays.setdefault(c.array, []).append((s, c))
        self.matrices = {
            s: (p.name, index)
            for p in graph.parameters
            if len(p.shape) == 2
            for index, s in p.entries()
        }
        self.names: dict[sp.Symbol, str] = {s: f"X[:, {c.index}]" for s, c in self._of("X")}
        self.names |= {s: f"Y[:, {c.index}]" for s, c in self._of("Y")}
        for p in graph.parameters:
            for index, s in p.entries():
                self.names[s] = f"{p.name}[{', '.join(map(str, index))}]"
        self.printer = _Printer(self.names)
        self.available = {"X", "Y"} | {p.name for p in graph.parameters if len(p.shape) == 1}
        self.batched: set[sp.Symbol] = {s for s, c in self.columns.items() if c.array in ("X", "Y")}
        self.lines: list[str] = []
        self._placeholders: dict[str, sp.Symbol] = {}
        self._spread: dict[str, sp.Symbol] = {}

    def _of(self, array: str) -> list[tuple[sp.Symbol, Column]]:
        return self._arrays.get(array, [])

    # -- names ------------------------------------------------------------------------------
    def placeholder(self, array: str) -> sp.Symbol:
        """A symbol standing for the whole array in a gathered expression."""
        if array not in self._placeholders:
            symbol = sp.Dummy(array, real=True)
            self._placeholders[array] = symbol
            self.names[symbol] = array
        return self._placeholders[array]

    def _spread_symbol(self, array: str) -> sp.Symbol:
        if array not in self._spread:
            symbol = sp.Dummy(f"{array}_spread", real=True)
            self._spread[array] = symbol
            self.names[symbol] = f"*{array}.T"
        return self._spread[array]

    def emit(self, line: str) -> None:
        self.lines.append(f"    {line}")

    def code(self, expr: sp.Expr) -> str:
        return self.printer.doprint(self._spread_rows(expr))

    def _spread_rows(self, expr: sp.Expr) -> sp.Expr:
        """f(z_1, …, z_m) over a whole gathered row prints as ``f(*z.T)``."""
        swaps = {}
        for f in expr.atoms(*_NOT_ELEMENTWISE):
            args = list(f.args)
            head = args[:1] if isinstance(f, Softmax) else []
            run = self._whole_row(args[len(head) :])
            if run is not None and run in self.available:
                swaps[f] = type(f)(*head, self._spread_symbol(run), evaluate=False)
        return expr.xreplace(swaps) if swaps else expr

    def _whole_row(self, args: list[sp.Expr]) -> str | None:
        """The array whose entries ``args`` are, all of them in order, else None."""
        cols = [self.columns.get(a) for a in args]
        if not cols or any(c is None for c in cols):
            return None
        array, size = cols[0].array, cols[0].size
        ok = (
            all(c.array == array and c.index == i for i, c in enumerate(cols)) and len(cols) == size
        )
        return array if ok else None

    def is_batched(self, expr: sp.Expr) -> bool:
        return any(s in self.batched for s in expr.free_symbols)

    def materialise(self, array: str) -> None:
        """Make ``array`` exist as an n × units array, stacking its per-unit lines if need be."""
        if array in self.available:
            return
        entries = sorted(self._of(array), key=lambda sc: sc[1].index)
        parts = [
            s.name if s in self.batched else f"numpy.full(n, {self.names.get(s, s.name)})"
            for s, _ in entries
        ]
        self.emit(f"{array} = numpy.stack([{', '.join(parts)}], axis=1)")
        self.available.add(array)

    # -- forms ------------------------------------------------------------------------------
    def template(self, exprs: list[sp.Expr], size: int) -> sp.Expr | None:
        """T with ``exprs[j] = T(entry j of some vectors)`` for every j, elementwise, else None."""
        found = None
        for j, e in enumerate(exprs):
            softmaxes = {
                f: _RowSoftmax(self.placeholder(array))
                for f in e.atoms(Softmax)
                if f.args[0] == j + 1
                and (array := self._whole_row(list(f.args[1:]))) is not None
                and self.columns[f.args[1]].size == size
            }
            e = e.xreplace(softmaxes) if softmaxes else e
            own = {}
            for s in e.free_symbols:
                c = self.columns.get(s)
                if c is not None and c.index == j and c.size == size:
                    own[s] = self.placeholder(c.array)
            t = e.xreplace(own)
            if found is None:
                found = t
            elif t != found:
                return None
        if found is None or found.atoms(*_NOT_ELEMENTWISE):
            return None
        # What is left must be the same for every sample (weights, constants), so it broadcasts.
        if any(s in self.batched for s in found.free_symbols):
            return None
        return found

    def _arrays_in(self, template: sp.Expr) -> list[str]:
        by_symbol = {s: a for a, s in self._placeholders.items()}
        return sorted({by_symbol[s] for s in template.free_symbols if s in by_symbol})

    def _elementwise(self, template: sp.Expr) -> str | None:
        arrays = self._arrays_in(template)
        if not any(self._array_batched(a) for a in arrays):
            return None
        for array in arrays:
            self.materialise(array)
        return self.code(template)

    def _array_batched(self, array: str) -> bool:
        return any(c.batched for _, c in self._of(array))

    def weighted_sum(self, exprs: list[sp.Expr], size: int) -> str | None:
        """``U @ M.T + R`` (or ``U @ M``) when every e_j is Σ_k M[j,k]·u_k (M[k,j]·u_k) + r_j."""
        forms: set | None = None
        rests = []
        for j, e in enumerate(exprs):
            found = self._sum_form(e, j)
            if found is None:
                return None
            forms = found[0] if forms is None else forms & found[0]
            rests.append(found[1])
        if not forms:
            return None
        # Both orientations fit only a square matrix read on its diagonal; either is right then.
        matrix, array, transposed = max(forms, key=lambda f: f[2])
        rest = sp.S.Zero
        if any(r != 0 for r in rests):
            rest = self.template(rests, size)
            if rest is None:
                return None
        self.materialise(array)
        for a in self._arrays_in(rest):
            self.materialise(a)
        product = f"{array} @ {matrix}.T" if transposed else f"{array} @ {matrix}"
        return product if rest == 0 else f"{product} + {self.code(rest)}"

    def _sum_form(self, e: sp.Expr, j: int) -> tuple[set, sp.Expr] | None:
        """The (matrix, vector, transposed) forms all weight terms of e_j fit, and the rest."""
        terms = e.args if isinstance(e, sp.Add) else (e,)
        forms: set | None = None
        seen: set[int] = set()
        rest = []
        for term in terms:
            found = self._weight_term(term, j)
            if not found:
                rest.append(term)
                continue
            keys = {key for key, _ in found}
            k = found[0][1]
            forms = keys if forms is None else forms & keys
            if k in seen:
                return None
            seen.add(k)
        if not forms:
            return None
        sizes = {self.columns_size(array) for _, array, _ in forms}
        if sizes != {len(seen)}:
            return None
        return forms, sp.Add(*rest)

    def columns_size(self, array: str) -> int:
        return next(c.size for _, c in self._of(array))

    def _weight_term(self, term: sp.Expr, j: int) -> list:
        """Each ((matrix, vector, transposed), k) that the term M[j,k]·u_k or M[k,j]·u_k fits."""
        if not isinstance(term, sp.Mul) or len(term.args) != 2:
            return []
        found = []
        for w, u in (term.args, term.args[::-1]):
            if w in self.matrices and u in self.columns:
                name, (r, c) = self.matrices[w]
                col = self.columns[u]
                if r == j and c == col.index:
                    found.append(((name, col.array, True), col.index))
                if c == j and r == col.index:
                    found.append(((name, col.array, False), col.index))
        return found

    def outer(self, grads: list[list[sp.Expr]]) -> str | None:
        """``A.T @ B / n`` when every entry (r, c) is δ_r·u_c with δ, u batched vectors."""
        rows, cols = len(grads), len(grads[0])
        forms: set | None = None
        for r, row in enumerate(grads):
            for c, g in enumerate(row):
                found = self._outer_pairs(g, r, c, rows, cols)
                forms = found if forms is None else forms & found
                if not forms:
                    return None
        a, b = min(forms)
        self.materialise(a)
        self.materialise(b)
        return f"{a}.T @ {b} / n"

    def _outer_pairs(self, g: sp.Expr, r: int, c: int, rows: int, cols: int) -> set:
        if not isinstance(g, sp.Mul) or len(g.args) != 2:
            return set()
        found = set()
        for s, t in (g.args, g.args[::-1]):
            cs, ct = self.columns.get(s), self.columns.get(t)
            if cs is None or ct is None or not (cs.batched and ct.batched):
                continue
            if (cs.index, cs.size, ct.index, ct.size) == (r, rows, c, cols):
                found.add((cs.array, ct.array))
        return found

    def row_sum(self, expr: sp.Expr) -> sp.Expr | str:
        """Terms of one form over all units k written ``numpy.sum(T, axis=1)``; the rest as is."""
        terms = expr.args if isinstance(expr, sp.Add) else (expr,)
        groups: dict[sp.Expr, dict[int, sp.Expr]] = {}
        for term in terms:
            t, k = self._term_template(term)
            if t is not None:
                groups.setdefault(t, {})[k] = term
        pieces, used = [], set()
        for t, members in groups.items():
            arrays = self._arrays_in(t)
            size = self.columns_size(arrays[0])
            if len(members) == size > 1 and any(self._array_batched(a) for a in arrays):
                for a in arrays:
                    self.materialise(a)
                pieces.append(f"numpy.sum({self.code(t)}, axis=1)")
                used.update(members.values())
        rest = sp.Add(*[term for term in terms if term not in used])
        if not pieces:
            return expr
        return " + ".join([*([self.code(rest)] if rest != 0 else []), *pieces])

    def _term_template(self, term: sp.Expr) -> tuple[sp.Expr | None, int]:
        cols = [(s, self.columns[s]) for s in term.free_symbols if s in self.columns]
        if not cols or len({(c.index, c.size) for _, c in cols}) != 1:
            return None, -1
        t = term.xreplace({s: self.placeholder(c.array) for s, c in cols})
        if t.atoms(*_NOT_ELEMENTWISE) or any(s in self.batched for s in t.free_symbols):
            return None, -1
        return t, cols[0][1].index

    # -- statements -------------------------------------------------------------------------
    def assign(self, group: list[tuple[sp.Symbol, sp.Expr]]) -> None:
        """Units of one array: one array statement if their form allows, else a line each."""
        first = self.columns[group[0][0]]
        ordered = sorted(group, key=lambda item: self.columns[item[0]].index)
        if len(group) == first.size:
            exprs = [e for _, e in ordered]
            text = self.weighted_sum(exprs, first.size)
            if text is None and (t := self.template(exprs, first.size)) is not None:
                text = self._elementwise(t)
            if text is not None:
                self.emit(f"# {self.comment(first.array, ordered[0])}")
                self.emit(f"{first.array} = {text}")
                self.available.add(first.array)
                for s, _ in group:
                    self.names[s] = f"{first.array}[:, {self.columns[s].index}]"
                    self.batched.add(s)
                return
        for s, e in group:
            self.emit(f"{s.name} = {self.code(e)}")
            if self.is_batched(e):
                self.batched.add(s)

    def comment(self, array: str, first: tuple[sp.Symbol, sp.Expr]) -> str:
        """The element-level form the statement gathers, as written for the first unit."""
        size = self.columns[first[0]].size
        text = f"{first[0].name} = {sp.sstr(first[1])}"
        if len(text) > _COMMENT_WIDTH:
            text = text[: text.rfind(" ", 0, _COMMENT_WIDTH - 2)] + " …"
        return f"{array}[:, j] for j < {size}, each as {text}"

    def gradient(self, name: str, entries: list[tuple[tuple[int, ...], sp.Expr]]) -> None:
        """``grads[name]``: one outer product or batch mean when the entries allow, else entries."""
        key = f'grads["{name}"]'
        shape = tuple(i + 1 for i in entries[-1][0])
        text = None
        if len(shape) == 2:
            rows = [
                [e for _, e in entries[i * shape[1] : (i + 1) * shape[1]]] for i in range(shape[0])
            ]
            text = self.outer(rows)
        elif (t := self.template([e for _, e in entries], shape[0])) is not None:
            mean = self._elementwise(t)
            text = None if mean is None else f"numpy.mean({mean}, axis=0)"
        if text is not None:
            self.emit(f"{key} = {text}")
            return
        self.emit(f"{key} = numpy.empty({shape})")
        for index, e in entries:
            self.emit(f"{key}[{', '.join(map(str, index))}] = numpy.mean({self.code(e)})")


def layer_lines(bp: Backprop) -> list[str]:
    """The body of the gradient function, gathered layer by layer where the forms allow."""
    graph = bp.graph
    code = LayerCode(bp)
    code.emit("n = X.shape[0]")
    *forward, (_, loss_expr) = stable_forward(bp)
    for group in _group_by(forward, lambda item: code.columns[item[0]].array):
        code.assign(group)
    loss = code.row_sum(loss_expr)
    code.emit(f"L = {loss if isinstance(loss, str) else code.code(loss)}")
    backward = stable_backward(bp)
    for group in _group_by(backward, lambda item: code.columns[item[0]].array):
        code.assign(group)
    code.emit("grads = {}")
    for p in graph.parameters:
        if p.trainable:
            code.gradient(p.name, [(index, bp.gradients[s]) for index, s in p.entries()])
    return code.lines


def _group_by(items: Iterable, key: Callable) -> list[list]:
    groups: list[list] = []
    for item in items:
        if groups and key(groups[-1][0]) == key(item):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups

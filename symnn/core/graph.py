"""The graph of named quantities: ordered definitions x → z¹ → a¹ → … → L, built from a spec.

A general directed acyclic graph: each definition names a symbol and gives its expression in
earlier symbols; a node may feed several others, and the reverse walk sums over its children.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, cmp_to_key
from typing import Any

import sympy as sp

from symnn.core import notation as nt
from symnn.core.bulk import bulk
from symnn.core.errors import SymnnError
from symnn.core.registry import Registry

_CANONICAL = cmp_to_key(sp.Basic.compare)
_MUL_ASSUMPTIONS = sp.Mul.default_assumptions


def product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``a*b``, built directly when both are distinct symbols (w·a, δ·x: every edge has one).

    SymPy's Mul spends ~30 µs flattening a product of two symbols; the result here is the same
    object, arguments in SymPy's canonical order, in a tenth of the time. Two plain symbols with
    the same assumptions (all of symnn's) are in that order when sorted by name: ``Basic.compare``
    compares their classes, then (name, *assumptions), and only the name differs.
    """
    if type(a) is type(b) is sp.Symbol and a.name != b.name and a._assumptions0 == b._assumptions0:
        # What Mul._from_args(pair, commutative) builds, without its two calls (200,000 edges).
        obj = object.__new__(sp.Mul)
        obj._assumptions = _MUL_ASSUMPTIONS
        obj._mhash = None
        obj._args = (a, b) if a.name < b.name else (b, a)
        obj.is_commutative = a.is_commutative  # both alike: no fuzzy_and
        return obj
    if a.is_Symbol and b.is_Symbol and a != b:
        return sp.Mul._from_args(tuple(sorted((a, b), key=_CANONICAL)))
    return a * b


def symbol_array(flat: list[sp.Symbol], shape: tuple[int, ...]) -> sp.Array:
    """``sp.Array`` of ``flat`` (row-major) with ``shape``, built without re-reading the entries.

    SymPy's constructor walks nested lists, flattens and sympifies every entry (~40 µs an entry
    at 784 × 128); the result here is the same immutable array, equal and alike in every field.
    """
    cls = sp.ImmutableDenseNDimArray
    dims = sp.Tuple(*[sp.Integer(n) for n in shape])
    array = sp.Basic.__new__(cls, sp.Basic.__new__(sp.Tuple, *flat), dims)
    array._shape = dims
    array._array = list(flat)
    array._rank = len(shape)
    array._loop_size = math.prod(shape)
    return array


def symbols_read(expr: sp.Expr, positions: dict[sp.Symbol, int]) -> tuple[sp.Symbol, ...]:
    """The symbols of ``positions`` that ``expr`` reads, in their order there (its parents).

    The same as sorting ``expr.free_symbols & positions.keys()`` by position, but a sum of
    products of plain symbols is read in one pass, one lookup per factor: a symbol's hash is a
    Python call in SymPy, and the set, the membership test and the sort key each paid one (a
    weighted sum of 785 terms, 128 of them, at 784-128-10). Anything else goes to SymPy.
    """
    found: dict[int, sp.Symbol] = {}
    for term in expr.args if type(expr) is sp.Add else (expr,):
        if type(term) is sp.Symbol:
            factors = (term,)
        elif type(term) is sp.Mul and all(type(f) is sp.Symbol for f in term.args):
            factors = term.args
        elif term.is_Number:
            continue
        else:
            factors = term.free_symbols
        for f in factors:
            if (i := positions.get(f)) is not None:
                found[i] = f
    return tuple(found[i] for i in sorted(found))


def _plain(symbols: list[sp.Expr], assumptions: tuple) -> bool:
    return all(type(s) is sp.Symbol and s._assumptions0 == assumptions for s in symbols)


def weighted_sum(products: list[sp.Expr], extra: list[sp.Symbol]) -> sp.Expr:
    """``Add(*products, *extra)``, built directly for distinct products of two plain symbols.

    Add sorts its terms with ``Basic.compare`` (most of ``build_graph``'s time at 784 inputs);
    for such products that order is by the factors' names (see ``product``), so they are sorted
    by name and only the ``extra`` symbols (a bias) are placed with ``Basic.compare``.
    """
    factors = [f for t in products if t.is_Mul and len(t.args) == 2 for f in t.args]
    first = (factors or [sp.Dummy()])[0]
    if len(factors) != 2 * len(products) or not _plain(
        factors + list(extra), getattr(first, "_assumptions0", None)
    ):
        return sp.Add(*products, *extra)
    # Plain symbols alike are equal exactly when their names are: compare names, not products.
    keys = list(zip(factors[::2], factors[1::2], strict=True))
    keys = [(u.name, v.name) for u, v in keys]
    names = {s.name for s in extra}
    if len(set(keys)) != len(keys) or len(names) != len(extra):
        return sp.Add(*products, *extra)
    terms = [products[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]
    for s in extra:
        bisect.insort(terms, s, key=_CANONICAL)
    return terms[0] if len(terms) == 1 else sp.Add._from_args(tuple(terms), first.is_commutative)


@dataclass(frozen=True)
class NodeKind:
    """What a node is: how its adjoint is named and typeset, and which rule its local step cites.

    ``adjoint(block, unit)`` is the symbol of ∂L/∂node (δ for a weighted input, ∂L/∂a for a
    block's output); ``local_rule`` is the RULES key a child's local step of this kind cites;
    ``array`` is the family of the node's symbol ("z" or "a"), whose adjoint family is
    ``adjoint_array``; ``order`` sorts a block's nodes for reading (outputs first).
    """

    name: str
    adjoint: Callable[[int, int], sp.Expr]
    local_rule: str
    heading: str
    array: str = "a"
    adjoint_array: str = "dL_da"
    order: int = 0
    # The node's expression appears in its children's local derivatives as the node's name
    # (σ'(z) = a(1 − a), exp'(d) = e): activations and a program's values.
    names_expression: bool = False
    # The adjoint's symbol from the node's own symbol (a time-indexed state h_{t,j} names
    # ∂L/∂h_{t,j}); without it, ``adjoint(block, unit)`` names it.
    adjoint_of_symbol: Callable[[sp.Symbol], sp.Expr] | None = None


def _loss_adjoint(block: int, unit: int) -> sp.Expr:
    return sp.S.One  # ∂L/∂L, stated by the kind, not a default


NODE_KINDS: Registry[NodeKind] = Registry("node kind")
WEIGHTED_INPUT = NODE_KINDS.add(
    "weighted_input",
    NodeKind("weighted_input", nt.delta, "linear", "weighted input", "z", "delta", 1),
)
ACTIVATION = NODE_KINDS.add(
    "activation",
    NodeKind("activation", nt.grad_a, "activation_derivative", "activation", names_expression=True),
)
LOSS_NODE = NODE_KINDS.add(
    "loss", NodeKind("loss", _loss_adjoint, "loss_derivative", "loss", "L", "")
)


def node_kind(kind: object) -> NodeKind:
    """``kind`` if it is a registered node kind; anything else is an error naming it."""
    name = getattr(kind, "name", kind)
    if isinstance(name, str) and name in NODE_KINDS and NODE_KINDS[name] == kind:
        return kind
    known = ", ".join(NODE_KINDS.names())
    raise SymnnError(f"unknown node kind {name!r}; known: {known}")


@dataclass(frozen=True)
class Definition:
    """``symbol := expr``; ``kind`` is its NodeKind; ``block`` (0 is the input, l the output of
    layer l) and ``index`` (its entry in the block's flat row-major vector) locate it, 1-based."""

    symbol: sp.Symbol
    expr: sp.Expr
    kind: NodeKind
    block: int
    index: int

    @property
    def layer(self) -> int:
        """The block (an older name, from when every block was a dense layer)."""
        return self.block

    @property
    def unit(self) -> int:
        """The index within the block (an older name: a dense layer's unit)."""
        return self.index

    @property
    def role(self) -> str:
        """The kind's name ("weighted_input", "activation", "sum", …, "loss")."""
        return self.kind.name


@dataclass(frozen=True)
class Parameter:
    """A named parameter array (``W1``, ``b1``) and the scalar symbol of each entry."""

    name: str
    symbols: sp.Array
    block: int
    trainable: bool

    @property
    def layer(self) -> int:
        """The block of the layer that owns it (an older name)."""
        return self.block

    @property
    def shape(self) -> tuple[int, ...]:
        return self.symbols.shape

    def entries(self) -> list[tuple[tuple[int, ...], sp.Symbol]]:
        """(0-based index, symbol) for every entry, row by row."""
        return list(self._entries)

    @cached_property
    def _entries(self) -> tuple[tuple[tuple[int, ...], sp.Symbol], ...]:
        # The array's flat storage, read once: indexing (and tolist) parse each index at ~15 µs.
        flat = self.symbols._array
        shape = tuple(int(n) for n in self.shape)  # the shape holds SymPy Integers
        if len(shape) == 1:
            return tuple(((i,), s) for i, s in enumerate(flat))
        if len(shape) == 2:
            cols = shape[1]
            return tuple(((i // cols, i % cols), s) for i, s in enumerate(flat))
        return tuple(zip(itertools.product(*map(range, shape)), flat, strict=True))


@dataclass(frozen=True)
class Graph:
    """Inputs, targets, parameters and the ordered definitions ending in the loss."""

    network: Any  # the spec it was built from (symnn.spec.network.Network)
    inputs: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    parameters: tuple[Parameter, ...]
    definitions: tuple[Definition, ...]

    @property
    def loss(self) -> sp.Symbol:
        return self.definitions[-1].symbol

    @property
    def outputs(self) -> tuple[sp.Symbol, ...]:
        """The last block's entries, in order: what the loss reads of the last layer."""
        depth = len(self.network.layers)
        read = self.definitions[-1].expr.free_symbols
        return tuple(d.symbol for d in self.definitions if d.block == depth and d.symbol in read)

    @property
    def shape(self) -> nt.Shape:
        return nt.Shape(self.network.widths)

    @cached_property
    def _by_symbol(self) -> dict[sp.Symbol, Definition]:
        return {d.symbol: d for d in self.definitions}

    @cached_property
    @bulk
    def _positions(self) -> dict[sp.Symbol, int]:
        order = [*self.inputs, *self.targets]
        order += [s for p in self.parameters for _, s in p.entries()]
        order += [d.symbol for d in self.definitions]
        return {s: i for i, s in enumerate(order)}

    @cached_property
    @bulk
    def _children(self) -> dict[sp.Symbol, tuple[Definition, ...]]:
        children: dict[sp.Symbol, list[Definition]] = {s: [] for s in self._positions}
        parents = self._parents
        for d in self.definitions:
            for parent in parents[d.symbol]:
                children[parent].append(d)
        return {s: tuple(c) for s, c in children.items()}

    @cached_property
    def _parameter_entries(self) -> dict[sp.Symbol, tuple[Parameter, tuple[int, ...]]]:
        return {s: (p, index) for p in self.parameters for index, s in p.entries()}

    def definition(self, symbol: sp.Symbol) -> Definition:
        try:
            return self._by_symbol[symbol]
        except KeyError:
            raise SymnnError(f"{symbol} is not defined in this graph") from None

    def is_defined(self, symbol: sp.Symbol) -> bool:
        return symbol in self._by_symbol

    def parents(self, d: Definition) -> list[sp.Symbol]:
        """The graph symbols ``d`` reads, in graph order (never set order)."""
        return list(self._parents[d.symbol])

    @cached_property
    @bulk
    def _parents(self) -> dict[sp.Symbol, tuple[sp.Symbol, ...]]:
        positions = self._positions
        return {d.symbol: symbols_read(d.expr, positions) for d in self.definitions}

    def children(self, symbol: sp.Symbol) -> tuple[Definition, ...]:
        """The definitions that read ``symbol``, in graph order."""
        return self._children[symbol]

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters)
        raise SymnnError(f"unknown parameter {name!r}; known: {known}")

    def locate(self, symbol: sp.Symbol) -> tuple[Parameter, tuple[int, ...]]:
        """The parameter array a scalar parameter symbol belongs to, and its 0-based index."""
        return self._parameter_entries[symbol]

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """Substitute every definition into ``expr``: the result is in x, y and parameters only."""
        for d in reversed(self.definitions):
            if expr.has(d.symbol):
                expr = expr.xreplace({d.symbol: d.expr})
        return expr

    def composed_loss(self) -> sp.Expr:
        """The loss written out in inputs, targets and parameters (for checks on small nets)."""
        return self.expand(self.loss)


def _constant(value: float) -> sp.Expr:
    # Hyperparameters print as written: 0.01 stays 0.01, 1.0 becomes 1.
    return sp.Integer(int(value)) if float(value).is_integer() else sp.Float(value, 15)

"""The graph of named quantities: ordered definitions x → z¹ → a¹ → … → L, built from a spec.

A general directed acyclic graph: each definition names a symbol and gives its expression in
earlier symbols; a node may feed several others, and the reverse walk sums over its children.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, cmp_to_key

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Network

# A program's nodes (symnn.core.program) are "program_value": a named scalar whose adjoint is
# ∂output/∂node.
ROLES = ("weighted_input", "activation", "loss", "program_value")
_CANONICAL = cmp_to_key(sp.Basic.compare)


def product(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """``a*b``, built directly when both are distinct symbols (w·a, δ·x: every edge has one).

    SymPy's Mul spends ~30 µs flattening a product of two symbols; the result here is the same
    object, arguments in SymPy's canonical order, in a tenth of the time.
    """
    if a.is_Symbol and b.is_Symbol and a != b:
        return sp.Mul._from_args(tuple(sorted((a, b), key=_CANONICAL)))
    return a * b


@dataclass(frozen=True)
class Definition:
    """``symbol := expr``; ``role`` is one of ROLES, ``layer``/``unit`` locate it (1-based)."""

    symbol: sp.Symbol
    expr: sp.Expr
    role: str
    layer: int
    unit: int


@dataclass(frozen=True)
class Parameter:
    """A named parameter array (``W1``, ``b1``) and the scalar symbol of each entry."""

    name: str
    symbols: sp.Array
    layer: int
    trainable: bool

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
        if len(self.shape) == 1:
            return tuple(((i,), s) for i, s in enumerate(flat))
        cols = int(self.shape[1])  # the shape holds SymPy Integers; indices are ints
        return tuple(((i // cols, i % cols), s) for i, s in enumerate(flat))


@dataclass(frozen=True)
class Graph:
    """Inputs, targets, parameters and the ordered definitions ending in the loss."""

    network: Network
    inputs: tuple[sp.Symbol, ...]
    targets: tuple[sp.Symbol, ...]
    parameters: tuple[Parameter, ...]
    definitions: tuple[Definition, ...]

    @property
    def loss(self) -> sp.Symbol:
        return self.definitions[-1].symbol

    @property
    def outputs(self) -> tuple[sp.Symbol, ...]:
        depth = len(self.network.layers)
        return tuple(
            d.symbol for d in self.definitions if d.role == "activation" and d.layer == depth
        )

    @property
    def shape(self) -> nt.Shape:
        return nt.Shape(self.network.widths)

    @cached_property
    def _by_symbol(self) -> dict[sp.Symbol, Definition]:
        return {d.symbol: d for d in self.definitions}

    @cached_property
    def _positions(self) -> dict[sp.Symbol, int]:
        order = [*self.inputs, *self.targets]
        order += [s for p in self.parameters for _, s in p.entries()]
        order += [d.symbol for d in self.definitions]
        return {s: i for i, s in enumerate(order)}

    @cached_property
    def _children(self) -> dict[sp.Symbol, tuple[Definition, ...]]:
        children: dict[sp.Symbol, list[Definition]] = {s: [] for s in self._positions}
        for d in self.definitions:
            for parent in self.parents(d):
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
        found = [s for s in d.expr.free_symbols if s in self._positions]
        return sorted(found, key=self._positions.__getitem__)

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


def build_graph(network: Network) -> Graph:
    """Turn a network spec into its graph of definitions.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> g = build_graph(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> [str(d.symbol) for d in g.definitions]
        ['z_1_1', 'a_1_1', 'L']
        >>> g.definitions[0].expr
        b_1_1 + w_1_1_1*x_1
    """
    inputs = tuple(nt.x(k) for k in range(1, network.inputs + 1))
    targets = tuple(nt.y(k) for k in range(1, network.outputs + 1))
    parameters: list[Parameter] = []
    definitions: list[Definition] = []
    previous: list[sp.Expr] = list(inputs)
    for l, layer in enumerate(network.layers, start=1):
        units = range(1, layer.units + 1)
        rows = [[nt.w(l, j, k) for k in range(1, len(previous) + 1)] for j in units]
        W = sp.Array(rows)
        parameters.append(Parameter(f"W{l}", W, l, True))
        if layer.has_bias:
            parameters.append(
                Parameter(f"b{l}", sp.Array([nt.b(l, j) for j in units]), l, layer.trainable_bias)
            )
        zs = []
        for j in units:
            weighted = sp.Add(
                *[product(w, a_k) for w, a_k in zip(rows[j - 1], previous, strict=True)]
            )
            expr = weighted + nt.b(l, j) if layer.has_bias else weighted
            definitions.append(Definition(nt.z(l, j), expr, "weighted_input", l, j))
            zs.append(nt.z(l, j))
        hyper = {k: _constant(v) for k, v in layer.activation_params.items()}
        activations = ACTIVATIONS[layer.activation].apply(zs, hyper)
        for j, expr in zip(units, activations, strict=True):
            definitions.append(Definition(nt.a(l, j), expr, "activation", l, j))
        previous = [nt.a(l, j) for j in units]
    loss = LOSSES[network.loss]
    hyper = {k: _constant(v) for k, v in network.loss_params.items()}
    definitions.append(Definition(nt.LOSS, loss.build(previous, targets, hyper), "loss", 0, 0))
    return Graph(network, inputs, targets, tuple(parameters), tuple(definitions))

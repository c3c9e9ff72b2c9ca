"""The reverse walk: every node's adjoint (∂L/∂node) computed once, as backprop computes it.

Each definition's local partials are taken term by term, so a weighted sum of n terms costs O(n),
and each adjoint is a sum over the node's children of (child's named adjoint) × (local partial).
The whole walk costs about as much as the network has edges.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import sympy as sp

from symnn.core.bulk import bulk
from symnn.core.errors import SymnnError
from symnn.core.graph import LOSS_NODE, Definition, Graph, node_kind, product


class Local(NamedTuple):
    """∂child/∂parent: as SymPy differentiates it (``raw``) and in named quantities (``named``).

    A named tuple, not a frozen dataclass: one is made per edge (101,770 at 784-128-10), and a
    frozen dataclass's ``__init__`` costs several times a tuple's.
    """

    raw: sp.Expr
    named: sp.Expr


def adjoint_symbol(d: Definition) -> sp.Expr:
    """The named adjoint of a definition, as its node kind names it (δ, ∂L/∂a, … ; ∂L/∂L = 1)."""
    named = d.kind.adjoint_of_symbol
    return d.kind.adjoint(d.block, d.index) if named is None else named(d.symbol)


def _terms(expr: sp.Expr) -> tuple[sp.Expr, ...]:
    return expr.args if isinstance(expr, sp.Add) else (expr,)


def _symbols(pair: tuple[sp.Expr, ...]) -> bool:
    """Two distinct plain symbols."""
    u, v = pair
    return type(u) is sp.Symbol and type(v) is sp.Symbol and (u.name != v.name or u != v)


def _term_partial(term: sp.Expr, p: sp.Symbol) -> sp.Expr:
    """∂term/∂p; a product holding p once as a plain factor (w·a) is read off without diff."""
    if term == p:
        return sp.S.One
    if isinstance(term, sp.Mul):
        others = [f for f in term.args if f != p]
        # sp.diff costs ~100 µs per product; every weighted sum in a network is such products.
        if len(others) == len(term.args) - 1 and not any(
            not f.is_Symbol and f.has(p) for f in others
        ):
            return others[0] if len(others) == 1 else sp.Mul(*others)
    return term.diff(p)


class Backprop:
    """Local partials, adjoints and parameter gradients of a graph, each computed once."""

    def __init__(self, graph: Graph) -> None:
        for d in graph.definitions:
            try:
                node_kind(d.kind)
            except SymnnError as error:
                raise SymnnError(f"{d.symbol}: {error}") from None
        self.graph = graph
        # A node's expression written back as its name: σ(z) -> a. Bare symbols (identity) stay.
        self._names = {
            d.expr: d.symbol
            for d in graph.definitions
            if d.kind.names_expression
            and not isinstance(d.expr, sp.Symbol)
            and not d.expr.is_number
        }

    @cached_property
    @bulk
    def _locals(self) -> dict[sp.Symbol, dict[sp.Symbol, Local]]:
        return {d.symbol: self._partials(d) for d in self.graph.definitions}

    def _partials(self, d: Definition) -> dict[sp.Symbol, Local]:
        # The terms found for each parent, in graph order; the dict doubles as the set of parents.
        raw: dict[sp.Symbol, list[sp.Expr]] = {p: [] for p in self.graph.parents(d)}
        for term in _terms(d.expr):
            args = term.args
            if type(term) is sp.Mul and len(args) == 2 and _symbols(args):
                # w·a (every edge of a weighted sum): each factor's partial is the other one
                u, v = args
                if (found := raw.get(u)) is not None:
                    found.append(v)
                if (found := raw.get(v)) is not None:
                    found.append(u)
                continue
            for p in term.free_symbols & raw.keys():
                raw[p].append(_term_partial(term, p))
        partials = {}
        for p, found in raw.items():
            derivative = found[0] if len(found) == 1 else sp.Add(*found)
            if type(derivative) is sp.Symbol:
                named = derivative  # the names replace expressions, never a plain symbol
            elif derivative.is_Atom:
                named = self._names.get(derivative, derivative)
            else:
                named = derivative.xreplace(self._names)
            partials[p] = Local(derivative, named)
        return partials

    def local(self, child: Definition, parent: sp.Symbol) -> Local:
        """∂child/∂parent."""
        return self._locals[child.symbol][parent]

    def _sum_over_children(self, symbol: sp.Symbol) -> sp.Expr:
        terms = [
            product(adjoint_symbol(c), self.local(c, symbol).named)
            for c in self.graph.children(symbol)
        ]
        return terms[0] if len(terms) == 1 else sp.Add(*terms)

    @cached_property
    @bulk
    def adjoints(self) -> dict[sp.Symbol, sp.Expr]:
        """∂L/∂node for every node but the loss, in children's adjoints and named quantities."""
        return {
            d.symbol: self._sum_over_children(d.symbol)
            for d in reversed(self.graph.definitions[:-1])
        }

    @cached_property
    @bulk
    def gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """∂L/∂θ for every trainable scalar parameter θ, in named quantities."""
        return {
            s: self._sum_over_children(s)
            for p in self.graph.parameters
            if p.trainable
            for _, s in p.entries()
        }

    def needed(self, symbols: list[sp.Symbol]) -> list[Definition]:
        """The definitions whose adjoints the gradients of ``symbols`` rest on, output first."""
        seen: set[sp.Symbol] = set()
        stack = [c for s in symbols for c in self.graph.children(s)]
        while stack:
            d = stack.pop()
            if d.kind is LOSS_NODE or d.symbol in seen:
                continue
            seen.add(d.symbol)
            stack.extend(self.graph.children(d.symbol))
        # Reading order: the output layer first; in a layer the ∂L/∂a terms before the δ terms.
        found = [d for d in self.graph.definitions if d.symbol in seen]
        return sorted(found, key=lambda d: (-d.block, d.kind.order, d.index))

    def without_adjoints(self, expr: sp.Expr) -> sp.Expr:
        """Replace every named adjoint in ``expr`` by what it stands for, down to the loss."""
        for d in self.graph.definitions[:-1]:  # forward: each adjoint names later ones
            name = adjoint_symbol(d)
            if expr.has(name):
                expr = expr.xreplace({name: self.adjoints[d.symbol]})
        return expr

    def expanded(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` written out in inputs, targets and parameters only."""
        return self.graph.expand(self.without_adjoints(expr))

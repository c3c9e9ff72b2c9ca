"""Worked numbers: the engine's own expressions evaluated at given inputs, targets and weights.

The one worked-numbers pipeline, for ``derive --numeric`` and ``train --worked-step`` alike. Every
number comes from evaluating a recorded expression (a definition, a step's right-hand side, an
adjoint, a gradient) with symnn's stable NumPy rules, never from a second calculation. What comes
out is data: each expression with the value of every quantity in it and its own value
(``Evaluated``), which ``symnn.output.numbers`` lays out the way a hand-worked example does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.core.steps import Derivation, Step
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.engine.element import backprop_for
from symnn.engine.stable import stable_backward, stable_forward, textbook_value
from symnn.numerics import NAMESPACE
from symnn.printing.code import CodePrinter
from symnn.spec.network import Network


@lru_cache(maxsize=4096)
def _compiled(expr: sp.Basic, atoms: tuple[sp.Basic, ...]) -> Callable[..., float]:
    """``expr`` as a function of its ``atoms`` (quantities and partials, in this order).

    Keyed by the expression itself, so every sample of a batch (and every document showing the
    same step) reuses one function: lambdify costs milliseconds, the call microseconds.
    """
    names = {a: sp.Dummy(f"v{i}") for i, a in enumerate(atoms)}
    plain = expr.xreplace(names) if names else expr
    symbols = tuple(names[a] for a in atoms)
    return sp.lambdify(
        symbols, plain, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter(), cse=False
    )


def point(
    graph: Graph, params: Mapping[str, object], x: Iterable[float], y: Iterable[float]
) -> dict[sp.Symbol, float]:
    """Inputs, targets and every parameter entry of one sample, by symbol.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> graph = backprop_for(Network(1, [Dense(1, "sigmoid")])).graph
        >>> point(graph, {"W1": [[2.0]], "b1": [0.5]}, [1.0], [0.0])
        {x_1: 1.0, y_1: 0.0, w_1_1_1: 2.0, b_1_1: 0.5}
    """
    values = {s: float(v) for s, v in zip(graph.inputs, x, strict=True)}
    values |= {s: float(v) for s, v in zip(graph.targets, y, strict=True)}
    for p in graph.parameters:
        array = np.asarray(params[p.name], dtype=float)
        values |= {s: float(array[index]) for index, s in p.entries()}
    return values


@dataclass(frozen=True)
class Evaluated:
    """``lhs = expr`` at one sample: the value of every quantity and partial in ``expr`` (in a
    fixed order), and the value of ``expr`` itself. ``expr`` None means the lhs stands alone."""

    lhs: sp.Basic
    expr: sp.Basic | None
    atoms: dict[sp.Basic, float]
    value: float


class Values:
    """Every named quantity of one sample: forward values, adjoints, gradients, local partials.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> bp = backprop_for(Network(1, [Dense(1, "sigmoid")], "squared_error"))
        >>> v = Values(bp, point(bp.graph, {"W1": [[0.0]], "b1": [0.0]}, [1.0], [1.0]))
        >>> v.values[nt.a(1, 1)], v.values[nt.LOSS], v.gradient(nt.w(1, 1, 1))
        (0.5, 0.125, -0.125)
    """

    def __init__(
        self,
        bp: Backprop,
        point: dict[sp.Symbol, float],
        partials: Mapping[sp.Derivative, sp.Expr] | None = None,
        loss_terms: tuple[tuple[sp.Symbol, sp.Expr], ...] = (),
    ) -> None:
        self.bp = bp
        self.values = dict(point)
        # What a derivation names beyond the graph (Mazur's E_o1 and ∂E_o1/∂out_h1), each as an
        # expression in the graph's quantities: evaluated like them, never computed apart.
        self.partials = dict(partials or {})
        self.loss_terms = loss_terms
        # The loss and output δ as the generated code evaluates them: fused and stable where the
        # output activation and loss form a textbook pair (symnn.engine.stable).
        for symbol, expr in stable_forward(bp):
            self.values[symbol] = self.of(expr)
        for symbol, expr in stable_backward(bp):  # children's adjoints come first
            self.values[symbol] = self.of(expr)
        for d in bp.graph.definitions[:-1]:
            name = adjoint_symbol(d)
            if name not in self.values:  # an output ∂L/∂a: shown as written, ∞ where it is
                self.values[name] = textbook_value(
                    bp.adjoints[d.symbol], self.values, bp.graph, self.of
                )
        for symbol, expr in loss_terms:
            self.values[symbol] = self.of(expr)

    def gradient(self, theta: sp.Symbol) -> float:
        return self.of(self.bp.gradients[theta])

    def derivative(self, d: sp.Derivative) -> float:
        """The number a ∂f/∂v in a step stands for."""
        if d in self.partials:
            return self.of(self.partials[d])
        (v, _), f = d.variable_count[0], d.expr
        graph = self.bp.graph
        if f == nt.LOSS:
            if graph.is_defined(v):
                return self.values[adjoint_symbol(graph.definition(v))]
            return self.gradient(v)
        if graph.is_defined(f) and v in graph.parents(graph.definition(f)):
            return self.of(self.bp.local(graph.definition(f), v).named)
        raise SymnnError(f"no value for {d}: not a partial of the graph")

    def atoms(self, expr: sp.Basic) -> dict[sp.Basic, float]:
        """The value of every quantity and partial in ``expr``, in a fixed order."""
        found = sorted(expr.atoms(sp.Derivative), key=sp.default_sort_key)
        result = {d: self.derivative(d) for d in found}
        symbols = sorted(expr.free_symbols - set(result), key=sp.default_sort_key)
        for s in symbols:
            if s not in self.values:
                raise SymnnError(f"no value for {s} in the worked example")
            result[s] = self.values[s]
        return result

    def of(self, expr: sp.Basic) -> float:
        """``expr`` evaluated at this sample."""
        # Display-only forms (a fraction kept as written, −y/a) evaluate as what they stand for.
        expr = expr.replace(lambda e: getattr(type(e), "display_only", False), lambda e: e.doit())
        values = self.atoms(expr)
        # numpy floats: a textbook factor at a saturated output is ±inf (or a nan the caller
        # replaces), never a ZeroDivisionError.
        arguments = [np.float64(values[a]) for a in values]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return float(_compiled(expr, tuple(values))(*arguments))

    def evaluated(self, lhs: sp.Basic, expr: sp.Basic | None = None) -> Evaluated:
        """``lhs = expr`` (or ``lhs`` alone) with its numbers."""
        shown = lhs if expr is None else expr
        value = self.of(shown)
        if not np.isfinite(value) and expr is not None:
            # ∞ · 0 in a textbook product at a saturated output: the quantity itself is the
            # stable, finite value the code computes.
            value = self.of(lhs)
        return Evaluated(lhs, expr, self.atoms(shown), value)

    def forward(self) -> list[Evaluated]:
        """Each definition of the forward pass and the loss, in graph order.

        With loss terms, each term comes before the loss, which is then their sum.
        """
        *layers, loss = self.bp.graph.definitions
        lines = [self.evaluated(d.symbol, d.expr) for d in layers]
        if not self.loss_terms:
            return [*lines, self.evaluated(loss.symbol, loss.expr)]
        lines += [self.evaluated(symbol, expr) for symbol, expr in self.loss_terms]
        total = sp.Add(*(symbol for symbol, _ in self.loss_terms), evaluate=False)
        return [*lines, self.evaluated(loss.symbol, total)]

    def adjoints(self) -> list[Evaluated]:
        """Each adjoint from the adjoints of the quantities that use it, output first."""
        bp = self.bp
        return [
            self.evaluated(adjoint_symbol(d), bp.adjoints[d.symbol])
            for d in reversed(bp.graph.definitions[:-1])
        ]

    def gradients(self, thetas: Iterable[sp.Symbol]) -> list[Evaluated]:
        """∂L/∂θ = its recorded expression, for each θ."""
        return [
            self.evaluated(sp.Derivative(nt.LOSS, t, evaluate=False), self.bp.gradients[t])
            for t in thetas
        ]


@dataclass(frozen=True)
class Update:
    """θ⁺ = θ − η ∂L/∂θ: the parameter, its value, the (mean) gradient and the new value."""

    theta: sp.Symbol
    old: float
    gradient: float
    new: float


def update(theta: sp.Symbol, old: float, gradient: float, rate: float) -> Update:
    """One gradient-descent step of ``theta``."""
    return Update(theta, old, gradient, old - rate * gradient)


@dataclass(frozen=True)
class WorkedNumbers:
    """The numbers of a derivation's worked example: the given values (first sample), the
    forward pass and each section's steps at the first sample, per-sample and mean gradients,
    and one update of every chosen parameter."""

    given: tuple[tuple[sp.Symbol, float], ...]
    learning_rate: float
    forward: tuple[Evaluated, ...]
    backward: tuple[tuple[sp.Basic, tuple[Evaluated, ...]], ...]
    gradients: tuple[tuple[sp.Symbol, tuple[float, ...], float], ...]
    updates: tuple[Update, ...]
    samples: int
    sample: int = 0  # which sample the steps are worked for (0-based)


def worked_numbers(
    derivation: Derivation, network: Network | None = None, sample: int = 0
) -> WorkedNumbers:
    """The worked example of an element-level derivation at the spec's data, weights and rate.

    ``network`` (default: the derivation's own) carries the data, weights and learning rate; the
    reverse walk is the one the derivation recorded when it is the same network. ``sample``
    (0-based) is the sample whose forward and backward pass are worked; the gradients are the
    mean over all samples whichever is shown.

    Examples:
        >>> from symnn.engine.element import derive
        >>> from symnn.spec.specfile import load_spec
        >>> numbers = worked_numbers(derive(load_spec("examples/two_two_two.toml"), "W2[1,1]"))
        >>> round(numbers.forward[-1].value, 6), numbers.samples
        (0.298371, 1)
    """
    graph = derivation.context.get("graph")
    if network is None and graph is not None:
        network = graph.network
    if network is not None and network.data is None:
        raise SymnnError("data: expected inputs x and targets y in the spec, found none")
    if network is not None and network.learning_rate is None:
        raise SymnnError("learning_rate: expected a number in the spec, found none")
    if graph is None or derivation.context.get("level", "element") != "element":
        raise SymnnError("a worked example needs an element-level derivation with its graph")
    params = network.given_params()  # fails naming the first missing weight
    bp = derivation.context.get("backprop")
    if bp is None or network != graph.network:
        bp = backprop_for(network)
    X, Y = network.data.arrays()
    partials = derivation.context.get("partials", {})
    terms = derivation.context.get("loss_terms", ())
    samples = [
        Values(bp, point(bp.graph, params, x, y), partials, terms)
        for x, y in zip(X, Y, strict=True)
    ]
    if not 0 <= sample < len(samples):
        raise SymnnError(
            f"sample: expected a number from 1 to {len(samples)} (the spec's samples), "
            f"found {sample + 1}"
        )
    first, rate = samples[sample], network.learning_rate
    given = [*bp.graph.inputs, *bp.graph.targets]
    given += [s for p in bp.graph.parameters for _, s in p.entries()]
    backward = []
    # A convention may say which of a section's steps are worked (symnn.engine.conventions).
    chosen = derivation.context.get("numeric_steps", {})
    for section in derivation.sections:
        kept = chosen.get(section.subject) or _numeric_steps(section.steps)
        if kept:
            backward.append((section.subject, tuple(first.evaluated(s.lhs, s.rhs) for s in kept)))
    thetas = list(derivation.context.get("parameters", []))
    gradients = []
    for theta in thetas:
        per_sample = tuple(v.gradient(theta) for v in samples)
        gradients.append((theta, per_sample, float(np.mean(per_sample))))
    return WorkedNumbers(
        given=tuple((s, first.values[s]) for s in given),
        learning_rate=rate,
        forward=tuple(first.forward()),
        backward=tuple(backward),
        gradients=tuple(gradients),
        updates=tuple(update(t, first.values[t], g, rate) for t, _, g in gradients),
        samples=len(samples),
        sample=sample,
    )


CHAIN_RULES = ("chain_rule", "multivariate_chain_rule", "shared_weight")


def _numeric_steps(steps: tuple[Step, ...]) -> list[Step]:
    """Steps worth a number, in proof order: each factor first, then the chain rule once.

    The symbolic section states the chain rule, derives its factors and substitutes them; with
    numbers, a factor's value must come before the product that uses it, and the quantity is
    computed once (the chain rule with the factors' numbers), not again in substituted form.
    An activation's derivative shows once, in named quantities.
    """
    kept = []
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else None
        replaced = (
            following is not None
            and following.rule == "substitution"
            and following.lhs == step.lhs
            and step.rule == "activation_derivative"
        )
        if not replaced and step.rule != "definition":
            kept.append(step)
    chain = next((s for s in kept if s.rule in CHAIN_RULES), None)
    if chain is None:
        return kept
    factors = [s for s in kept if s.lhs != chain.lhs]
    return [*factors, chain]


__all__ = ["Evaluated", "Update", "Values", "WorkedNumbers", "point", "update", "worked_numbers"]

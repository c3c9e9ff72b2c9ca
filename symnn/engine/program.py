"""A program's backward pass: the network engine's reverse walk over the program's nodes, recorded.

``program_graph`` makes a program a ``Graph`` of "program_value" definitions (its inputs are the
leaves whose gradients are wanted), so ``Backprop`` computes every adjoint and local derivative
exactly as it does for a network. ``run_program`` adds the numbers: every node's forward value
and gradient, exactly (fractions, surds) and as decimals, and records the backward pass as steps
in reverse topological order: per node its upstream gradient (summed where the node feeds several
others: gradients add at forks), its local derivative with respect to each input, and the product.

Conventions: the output's upstream gradient is 1 unless a seed is given; relu'(0) = 0; step' = 0;
|x|'(0) = 0; max(x, y) routes the gradient to the larger input and, on a tie, all of it to the
first argument (min likewise to the smaller).

Examples:
    >>> from symnn.core.program import parse_program
    >>> run = run_program(parse_program("c = a*b; d = c + a", "a=2, b=3"))
    >>> run.values[run.program.output], run.gradient("a"), run.gradient("b")
    (8, 4, 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.functions import Maximum, Minimum, to_elementary
from symnn.core.graph import Definition, Graph, Parameter
from symnn.core.program import PROGRAM_VALUE, Program
from symnn.core.steps import Derivation, Section, Step
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.numerics import NAMESPACE
from symnn.printing.code import CodePrinter
from symnn.printing.numbers import format_number


class Times(sp.Function):
    """Numbers multiplied as shown (upstream × local), kept apart for display."""

    def _latex(self, printer, exp=None) -> str:
        return r" \cdot ".join(_factor(printer, a) for a in self.args)

    def _sympystr(self, printer) -> str:
        return " · ".join(
            f"({printer._print(a)})" if _needs_brackets(a) else printer._print(a) for a in self.args
        )


class Plus(sp.Function):
    """Numbers added as shown (the contributions summed at a fork), kept apart for display."""

    def _latex(self, printer, exp=None) -> str:
        parts = [printer._print(a) for a in self.args]
        text = parts[0]
        for part in parts[1:]:
            text += f" {part}" if part.startswith("-") else f" + {part}"
        return text

    def _sympystr(self, printer) -> str:
        parts = [printer._print(a) for a in self.args]
        text = parts[0]
        for part in parts[1:]:
            text += f" - {part[1:]}" if part.startswith("-") else f" + {part}"
        return text


class Approx(sp.Function):
    """An exact value and its decimal: ``e^{-1} ≈ 0.367879`` (just the value when an integer);
    arguments: the value, significant digits, least decimal places."""

    def _decimal(self) -> str:
        value, digits, places = self.args
        return format_number(sp.N(value, 20), int(digits), int(places))

    def _shows_exactly(self) -> bool:
        value = self.args[0]
        return value.is_Integer or (
            value.is_Rational and sp.Rational(sp.N(value, 20).__str__()) == value
        )

    def _latex(self, printer, exp=None) -> str:
        exact = printer._print(self.args[0])
        return exact if self.args[0].is_Integer else rf"{exact} \approx {self._decimal()}"

    def _sympystr(self, printer) -> str:
        exact = printer._print(self.args[0])
        if self.args[0].is_Integer:
            return exact
        decimal = self._decimal().replace(r" \cdot 10^{", "e").rstrip("}")
        return f"{exact} ≈ {decimal}"


def _float(expr: sp.Expr, values: dict[sp.Symbol, float]) -> float:
    """``expr`` in float64 through the stable NumPy rules (nan where it is undefined)."""
    symbols = sorted(expr.free_symbols, key=sp.default_sort_key)
    f = sp.lambdify(symbols, expr, modules=[{"numpy": np, **NAMESPACE}], printer=CodePrinter())
    with np.errstate(all="ignore"):
        return float(np.real(f(*[np.float64(values[s]) for s in symbols])))


def _needs_brackets(value: sp.Basic) -> bool:
    return bool(getattr(value, "is_negative", False)) or isinstance(value, sp.Add)


def _factor(printer, value: sp.Basic) -> str:
    text = printer._print(value)
    return rf"\left({text}\right)" if _needs_brackets(value) else text


def program_graph(program: Program) -> Graph:
    """The program as a graph of "program_value" definitions; its inputs are the leaves.

    Examples:
        >>> from symnn.core.program import parse_program
        >>> g = program_graph(parse_program("c = a + b; d = c*b", "a=1, b=2"))
        >>> [(str(d.symbol), d.role) for d in g.definitions]
        [('c', 'program_value'), ('d', 'program_value')]
    """
    leaves = tuple(Parameter(s.name, sp.Array([s]), 0, True) for s in program.inputs)
    definitions = tuple(
        Definition(n.symbol, n.expr, PROGRAM_VALUE, 0, i)
        for i, n in enumerate(program.nodes, start=1)
    )
    return Graph(None, (), (), leaves, definitions)  # type: ignore[arg-type]  # no network


def shown(expr: sp.Basic, graph: Graph) -> sp.Basic:
    """``expr`` with each named adjoint written ∂output/∂node, as documents show it."""
    output = graph.loss
    return expr.xreplace(
        {
            adjoint_symbol(d): sp.Derivative(output, d.symbol, evaluate=False)
            for d in graph.definitions
        }
    )


@dataclass(frozen=True)
class Contribution:
    """What flows back along one wire: ∂out/∂child · ∂child/∂parent, as symbols and numbers."""

    child: sp.Symbol
    parent: sp.Symbol
    local: sp.Expr  # ∂child/∂parent in named quantities
    local_value: sp.Expr
    value: sp.Expr  # upstream gradient of the child times local_value


class ProgramRun:
    """A program's forward values and gradients, and its backward pass as recorded steps."""

    def __init__(
        self,
        program: Program,
        seed: object = 1,
        digits: int = 6,
        simplify: bool = True,
        places: int = 4,
    ):
        from symnn.core.expressions import as_number

        if not isinstance(digits, int) or not 1 <= digits <= 15:
            raise SymnnError(f"digits: expected a whole number from 1 to 15, found {digits!r}")
        if not isinstance(places, int) or not 0 <= places <= 15:
            raise SymnnError(f"places: expected a whole number from 0 to 15, found {places!r}")
        self.places = places
        self.program = program
        self.seed = as_number(seed)
        if not self.seed.is_real or not self.seed.is_finite:
            raise SymnnError(f"seed gradient: expected a finite real number, found {seed!r}")
        self.digits = digits
        self.simplify = simplify
        self.graph = program_graph(program)
        self.backprop = Backprop(self.graph)
        self._floats: dict[sp.Symbol, float] = {}

    # -- numbers ---------------------------------------------------------------------------
    def _number(self, expr: sp.Expr, known: dict[sp.Symbol, sp.Expr], what: str) -> sp.Expr:
        value = to_elementary(expr.xreplace(known))
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise SymnnError(f"{what}: not a finite real number at these inputs ({value})")
        # In float64 before any decimal: exp(exp(exp(10))) has none that SymPy could reach.
        if math.isinf(_float(expr, self._floats)):
            raise SymnnError(f"{what}: beyond floating point at these inputs ({expr})")
        if self.simplify and not value.is_Rational and sp.count_ops(value) < 60:
            value = sp.simplify(value)
        if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo, sp.I):
            raise SymnnError(f"{what}: not a finite real number at these inputs ({value})")
        number = sp.N(value, 30)
        if not number.is_real or not number.is_finite:
            raise SymnnError(f"{what}: not a finite real number at these inputs ({value})")
        return value

    @cached_property
    def values(self) -> dict[sp.Symbol, sp.Expr]:
        """Every input's and node's forward value, exactly, in program order."""
        known = dict(self.program.input_values)
        self._floats.update({s: float(v) for s, v in known.items()})
        for n in self.program.nodes:
            where = f"line {n.line}, node {n.symbol.name}"
            known[n.symbol] = self._number(n.expr, known, where)
            self._floats[n.symbol] = float(sp.N(known[n.symbol], 17))
        return known

    @cached_property
    def _backward(self) -> tuple[dict[sp.Symbol, sp.Expr], list[Contribution]]:
        grads: dict[sp.Symbol, sp.Expr] = {self.program.output: self.seed}
        flows: list[Contribution] = []
        for d in reversed(self.graph.definitions):
            upstream = grads.get(d.symbol)
            if upstream is None:  # every consumer came later in program order, so it is known
                upstream = sum((f.value for f in flows if f.parent == d.symbol), start=sp.S.Zero)
                grads[d.symbol] = upstream
            for p in self.graph.parents(d):
                local = self.backprop.local(d, p).named
                where = f"∂{d.symbol.name}/∂{p.name}"
                local_value = self._number(local, self.values, where)
                flows.append(Contribution(d.symbol, p, local, local_value, upstream * local_value))
        for s in self.program.inputs:
            grads[s] = sum((f.value for f in flows if f.parent == s), start=sp.S.Zero)
        # Reading order: by consumer in program order, as the symbolic sums are written.
        order = {n.symbol: i for i, n in enumerate(self.program.nodes)}
        flows.sort(key=lambda f: order[f.child])
        return grads, flows

    @property
    def gradients(self) -> dict[sp.Symbol, sp.Expr]:
        """∂output/∂v for every input and node v (times the seed), exactly."""
        grads = self._backward[0]
        return {
            s: grads[s] for s in [*self.program.inputs, *(n.symbol for n in self.program.nodes)]
        }

    @property
    def flows(self) -> list[Contribution]:
        """Every wire's contribution, in the order the backward pass computes them."""
        return self._backward[1]

    def gradient(self, name: str | sp.Symbol) -> sp.Expr:
        return self.gradients[nt_symbol(name, self)]

    def value(self, name: str | sp.Symbol) -> sp.Expr:
        return self.values[nt_symbol(name, self)]

    def decimal(self, value: sp.Expr) -> float:
        return float(sp.N(value, 17))

    # -- steps -----------------------------------------------------------------------------
    @property
    def symbols(self) -> list[sp.Symbol]:
        return [*self.program.inputs, *(n.symbol for n in self.program.nodes)]

    def show(self, expr: sp.Basic) -> sp.Basic:
        return shown(expr, self.graph)

    def approx(self, value: sp.Expr) -> sp.Expr:
        return Approx(value, self.digits, self.places)

    def ties(self, d: Definition) -> list[str]:
        """The max/min gates of ``d`` whose inputs are equal here, and where the gradient goes."""
        notes = []
        for gate in d.expr.atoms(Maximum, Minimum):
            x, y = (to_elementary(a.xreplace(self.values)) for a in gate.args)
            if sp.simplify(x - y) == 0:
                kind = "max" if isinstance(gate, Maximum) else "min"
                notes.append(f"tie: both inputs of {kind} equal {x}, so all goes to {gate.args[0]}")
        return notes

    def node_steps(self, d: Definition) -> list[Step]:
        """Upstream gradient, then per input the local derivative and the product."""
        output = self.program.output
        adjoint = adjoint_symbol(d)
        grad = self.gradients[d.symbol]
        steps: list[Step] = []
        if d.symbol == output:
            note = "given upstream gradient" if self.seed != 1 else "∂out/∂out = 1"
            steps.append(Step(self.show(adjoint), self.approx(self.seed), "seed_gradient", note))
        else:
            steps += self.sum_steps(d.symbol, adjoint)
        for p in self.graph.parents(d):
            flow = next(f for f in self.flows if f.child == d.symbol and f.parent == p)
            lhs = sp.Derivative(d.symbol, p, evaluate=False)
            rule = "max_gate" if d.expr.has(Maximum, Minimum) else "local_gradient"
            notes = self.ties(d) if rule == "max_gate" else []
            rule = "max_gate_tie" if notes else rule
            steps.append(Step(lhs, flow.local, rule, "; ".join(notes).removeprefix("tie: ")))
            if flow.local != flow.local_value:
                steps.append(Step(lhs, self.approx(flow.local_value), "evaluate_at_point"))
            product = sp.Mul(self.show(adjoint), lhs, evaluate=False)
            steps.append(Step(product, Times(grad, flow.local_value), "upstream_times_local"))
            steps.append(Step(product, self.approx(flow.value), "evaluate_at_point"))
        return steps

    def sum_steps(self, symbol: sp.Symbol, adjoint: sp.Expr) -> list[Step]:
        flows = [f for f in self.flows if f.parent == symbol]
        lhs = self.show(adjoint)
        if not flows:
            return [Step(lhs, sp.S.Zero, "unused_input", "the output does not read it")]
        rule = "fork_sum" if len(flows) > 1 else "upstream_gradient"
        symbolic = (
            self.backprop.adjoints.get(symbol)
            if symbol in self.backprop.adjoints
            else self.backprop.gradients[symbol]
        )
        steps = [Step(lhs, self.show(symbolic), rule)]
        if len(flows) > 1:
            steps.append(
                Step(lhs, Plus(*(f.value for f in flows)), "evaluate_at_point", "sum of the wires")
            )
        steps.append(Step(lhs, self.approx(self.gradients[symbol]), "evaluate_at_point"))
        return steps

    @cached_property
    def derivation(self) -> Derivation:
        """Sections in reverse topological order: the output first, the inputs last."""
        sections = [
            Section(self.show(adjoint_symbol(d)), tuple(self.node_steps(d)))
            for d in reversed(self.graph.definitions)
        ]
        output = self.program.output
        sections += [
            Section(_partial(output, s), tuple(self.sum_steps(s, _partial(output, s))))
            for s in self.program.inputs
        ]
        results = tuple(
            Step(_partial(output, s), self.approx(self.gradients[s]), "result")
            for s in self.program.inputs
        )
        results = (Step(output, self.approx(self.values[output]), "result"), *results)
        return Derivation(
            f"Backward pass through the graph of {output}",
            tuple(sections),
            results,
            {"program": self.program, "run": self},
        )


def _partial(output: sp.Symbol, s: sp.Symbol) -> sp.Derivative:
    return sp.Derivative(output, s, evaluate=False)


def nt_symbol(name: str | sp.Symbol, run: ProgramRun) -> sp.Symbol:
    for s in run.symbols:
        if s == name or s.name == str(name):
            return s
    raise SymnnError(f"no input or node {str(name)!r} in the program")


def run_program(
    program: Program,
    seed: object = 1,
    digits: int = 6,
    simplify: bool = True,
    places: int = 4,
) -> ProgramRun:
    """Forward values, gradients and the recorded backward pass of ``program``: decimals shown to
    ``digits`` significant digits and at least ``places`` decimal places (micrograd prints 4)."""
    return ProgramRun(program, seed, digits, simplify, places)

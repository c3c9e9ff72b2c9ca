"""Derivation steps as pure data: ``Step(lhs, rhs, rule, note)`` and the ``Derivation`` of them.

No LaTeX lives here; templates and printers decide how a step looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from symnn.core import display

RULES = {
    "definition": "definition",
    "chain_rule": "chain rule",
    "multivariate_chain_rule": "multivariate chain rule (sum over every path)",
    "linear": "derivative of a weighted sum",
    "activation_derivative": "derivative of the activation",
    "loss_derivative": "derivative of the loss",
    "substitution": "substitution of named quantities",
    "reuse": "δ computed once and reused",
    "result": "result",
    "expanded": "fully expanded in inputs and parameters",
    "jacobian": "Jacobian",
    # Matrix-level and calculus rules join this set with the engines that record them.
    "vector_chain_rule": "vector chain rule: ∂L/∂v = (∂u/∂v)ᵀ ∂L/∂u (numerator layout)",
    "jacobian_linear": "Jacobian of z = W a + b: ∂z/∂a = W, ∂z/∂b = I",
    "jacobian_elementwise": "Jacobian of an elementwise activation: diag(f'(z))",
    "jacobian_softmax": "Jacobian of softmax: diag(s) − s sᵀ",
    "jacobian_chain_rule": "Jacobians of a composition multiply",
    "residual_jacobian": "a skip connection: ∂/∂a (a + F(a)) = I + J_F",
    "sum_jacobian": "the Jacobian of a sum by one of its terms is the identity",
    "shared_weight": "a shared weight: its gradient is the sum over its uses",
    "jacobian_weights": "∂z_i/∂w_jk = [i = j] a_k",
    # A rule note names the indices of the step it sits beside: the dense layer's weight
    # gradient sums over i with [i = j], BP1 over the outputs k with [j = k].
    "kronecker_sum": "the bracket [i = j] picks one term of the sum",
    "kronecker_sum_outputs": "the bracket [j = k] picks the term k = j of the sum",
    "outer_product": "∂L/∂w_jk = δ_j a_k for all j, k is the outer product δ aᵀ",
    "identity_jacobian": "the Jacobian is the identity",
    "symmetric_jacobian": "the Jacobian is symmetric",
    "diag_hadamard": "diag(v) u = u ⊙ v",
    "softmax_jacobian_product": "(diag(s) − s sᵀ) g = s ⊙ (g − (sᵀ g) 𝟏)",
    "loss_gradient_vector": "derivative of the loss, as a vector",
    "logsumexp_gradient": "the gradient of log Σ e^{z_k} is softmax(z)",
    "distribute": "distributive law",
    "softmax_cross_entropy": "softmax and cross-entropy cancel",
    "targets_sum_to_one": "the targets sum to one",
    "index_recursion": "the δ recursion in index form",
    "batch_rows": "one sample per row",
    "batch_mean": "the batch gradient is the mean of the per-sample gradients",
}
# The four fundamental equations of backpropagation (symnn.engine.fundamental).
RULES.update(
    {
        "elementwise_jacobian": "an elementwise activation: each output reads its own input only",
        "bp_vector_form": "the same equation for every unit, as vectors",
        "bp_instance": "for this network",
    }
)
# Programs as computational graphs (symnn.engine.program).
RULES.update(
    {
        "seed_gradient": "upstream gradient at the output (the seed)",
        "upstream_gradient": "upstream gradient: what the consumer sends back",
        "fork_sum": "gradients add at forks (the node feeds several others)",
        "local_gradient": "local gradient of the gate",
        "max_gate": "max/min route the gradient to the larger/smaller input (a tie: to the first)",
        "max_gate_tie": "a tie at max/min: the whole gradient goes to the first argument",
        "upstream_times_local": "chain rule: upstream gradient times local gradient",
        "unused_input": "the output does not depend on it",
    }
)
# The calculus refresher, gradient descent and the perceptron (symnn.calculus.calculus, …).
RULES.update(
    {
        "partial_derivative": "partial derivative",
        "derivative": "derivative (one variable: d, nothing held fixed)",
        "sum_rule": "sum rule",
        "constant_rule": "derivative of a constant is 0",
        "constant_multiple": "constant-multiple rule",
        "power_rule": "power rule",
        "product_rule": "product rule",
        "elementary_derivative": "derivative of an elementary function",
        "substitute_point": "substitute the point",
        "evaluate_at_point": "evaluate at the point",
        "gradient": "gradient (the vector of partial derivatives)",
        "magnitude": "magnitude (Euclidean length)",
        "normalise": "direction normalised to unit length",
        "directional_derivative": "directional derivative (gradient · unit direction)",
        "linear_approximation": "first-order (linear) prediction: gradient · move",
        "linear_approximation_1d": "first-order (linear) prediction: f′(a)·Δx",
        "tangent": "tangent-plane prediction: value + predicted change",
        "tangent_line": "tangent line: value + slope × move",
        "exact_change": "exact change",
        "approximation_error": "error of the linear prediction",
        "second_order": "second-order Taylor term",
        "second_partial": "second partial derivative",
        "hessian": "Hessian (matrix of second partial derivatives)",
        "taylor_term": "Taylor term (derivatives at the point / α!, times powers of the move)",
        "taylor": "Taylor polynomial (sum of the terms)",
        "first_derivative": "derivative (one variable: nothing held fixed)",
        "second_derivative": "second derivative (the derivative of the derivative)",
        "higher_derivative": "higher derivative (the derivative of the one before)",
        "higher_partial": "higher partial derivative",
        "taylor_term_1d": "Taylor term (k-th derivative at the point / k!, times (x − a) to the k)",
        "descent_update": "gradient-descent update: x ← x − η ∇f",
        "momentum_update": "momentum: v ← μ v − η ∇f, then x ← x + v",
        "descent_update_1d": "gradient-descent update: x ← x − η f′(x)",
        "momentum_update_1d": "momentum: v ← μ v − η f′(x), then x ← x + v",
        "dot_product": "dot product w · x + b",
        "weighted_sum": "weighted sum of the inputs, the bias's constant input among them",
        "angle": "angle between w and x: its cosine is w·x / (|w| |x|)",
        "hyperplane": "hyperplane w · x + b = 0",
        "bias_angle": "the bias moves the firing angle",
        "step_activation": "step activation",
        "perceptron_rule": "Rosenblatt rule: w ← w + η (y − ŷ) x",
    }
)
# Mazur's conventions (symnn.engine.conventions): the error as one term per output.
RULES.update(
    {
        "loss_terms": "sum rule over the outputs' errors",
        "own_loss_term": "no other output's error reads it",
    }
)
# An activation's derivative derived from its definition (symnn.engine.activation_proofs).
RULES.update(
    {
        "rewrite_power": "written as a power",
        "signs_cancel": "the two minus signs cancel",
        "split_fraction": "the fraction split in two",
        "add_and_subtract_one": "e^(−z)/(1 + e^(−z)) = 1 − 1/(1 + e^(−z))",
        "quotient_rule": "quotient rule (u/v)′ = (u′v − u v′)/v², here u′ = v and v′ = u",
        "cancel_activation": "a_k · 1/a_k = 1",
    }
)


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs = rhs`` by ``rule`` (a key of RULES), with a short note."""

    lhs: sp.Basic
    rhs: sp.Basic
    rule: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}; known: {', '.join(RULES)}")

    @property
    def rule_text(self) -> str:
        return RULES[self.rule]

    def __repr__(self) -> str:
        return f"Step({display.show(self, 'text')}  [{self.rule_text}])"

    def _repr_latex_(self) -> str | None:
        """Jupyter's view: the step typeset in the layered notation, its rule beside it."""
        return display.show(self, "latex")


@dataclass(frozen=True)
class Section:
    """A group of steps about one quantity (δ^{(2)}_1, ∂L/∂w^{(1)}_{11}, …), in reading order."""

    subject: sp.Basic
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Derivation:
    """Ordered sections of steps, and the results they lead to (lhs -> expression)."""

    title: str
    sections: tuple[Section, ...]
    results: tuple[Step, ...]
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def steps(self) -> list[Step]:
        return [step for section in self.sections for step in section.steps]

    def written_results(self) -> list[Step]:
        """The results as the sections end them: the same factors in the same order.

        A result's expression is SymPy's canonical product (its factors sorted); a reader
        should see it exactly as the last line of its section wrote it.
        """
        written = {
            section.subject: section.steps[-1].rhs
            for section in self.sections
            if section.steps and section.steps[-1].rule == "result"
        }
        return [
            Step(s.lhs, written[s.lhs], s.rule, s.note)
            if s.rule == "result" and s.lhs in written
            else s
            for s in self.results
        ]

    def result(self, lhs: sp.Basic) -> sp.Basic:
        for step in self.results:
            if step.lhs == lhs:
                return step.rhs
        raise KeyError(lhs)

    def __repr__(self) -> str:
        counts = f"{len(self.sections)} sections, {len(self.steps)} steps"
        return f"<Derivation {self.title!r}: {counts}, {len(self.results)} results>"

    def _repr_latex_(self) -> str | None:
        """Jupyter's LaTeX view: the steps in one ``aligned`` display."""
        return display.show(self, "latex")

    def _repr_markdown_(self) -> str | None:
        """Jupyter's Markdown view: the whole document, with ``$$`` blocks."""
        return display.show(self, "markdown")

    def __str__(self) -> str:
        return display.show(self, "text") or self.title


def sections(*pairs: tuple[sp.Basic, Sequence[Step]]) -> tuple[Section, ...]:
    """Sections from (subject, steps) pairs, leaving out empty ones."""
    return tuple(Section(subject, tuple(steps)) for subject, steps in pairs if steps)

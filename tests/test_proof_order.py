"""The proof-order rule (issue 18): nothing is used before the line that derives or computes it.

Symbolic: every δ or ∂L/∂(quantity) a step reads was derived in an earlier section (or earlier in
its own), each local factor a chain rule names is derived in the same section, and the results
come after their sections. Numeric: in the worked example, read top to bottom (given, forward,
backward), no quantity's number is used before the line that computes it, and none is computed
twice. Checked over the gallery's derivations and a seeded sweep of random networks.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symnn.core import notation as nt
from symnn.core.steps import Derivation
from symnn.engine.backprop import adjoint_symbol
from symnn.engine.element import derive
from symnn.engine.values import worked_numbers
from symnn.gallery.networks import bundled_spec
from symnn.spec.network import Data, Dense, Network
from symnn.spec.specfile import load_spec


def _key(q: sp.Basic, graph) -> sp.Basic:
    """A quantity as the engine names it: ∂L/∂z is δ, ∂L/∂a is the adjoint of a."""
    if isinstance(q, sp.Derivative) and q.expr == nt.LOSS:
        v = q.variables[0]
        if graph.is_defined(v):
            return adjoint_symbol(graph.definition(v))
    return q


def _named(q: sp.Basic, graph) -> bool:
    """Whether q is a derived quantity of the backward pass (δ, ∂L/∂a, ∂L/∂θ)."""
    if isinstance(q, sp.Derivative):
        return q.expr == nt.LOSS
    adjoints = {adjoint_symbol(d) for d in graph.definitions[:-1]}
    return q in adjoints


def symbolic_order_errors(derivation: Derivation) -> list[str]:
    graph = derivation.context["graph"]
    derived: set[sp.Basic] = set()
    errors = []
    for section in derivation.sections:
        local_lhs = {s.lhs for s in section.steps}
        for step in section.steps:
            used = step.rhs.atoms(sp.Derivative) | step.rhs.free_symbols
            for q in sorted(used, key=sp.default_sort_key):
                if _named(q, graph) and _key(q, graph) not in derived:
                    if _key(q, graph) != _key(step.lhs, graph):
                        errors.append(f"{step.lhs} reads {q} before it is derived")
                elif (
                    isinstance(q, sp.Derivative)
                    and q.expr != nt.LOSS
                    and q not in local_lhs | derived
                ):
                    errors.append(f"{step.lhs} reads the factor {q}, derived nowhere before")
            derived.add(_key(step.lhs, graph))
        derived.add(_key(section.subject, graph))
    for result in derivation.results:
        if _key(result.lhs, graph) not in derived:
            errors.append(f"result {result.lhs} stated without a derivation before it")
    return errors


def numeric_order_errors(derivation: Derivation) -> list[str]:
    graph = derivation.context["graph"]
    numbers = worked_numbers(derivation)
    computed: set[sp.Basic] = {s for s, _ in numbers.given}
    errors = []
    for line in numbers.forward:
        errors += [f"{line.lhs} uses {q} first" for q in line.atoms if q not in computed]
        computed.add(line.lhs)
    seen_backward: set[sp.Basic] = set()
    for _, lines in numbers.backward:
        for line in lines:
            for q in line.atoms:
                if _key(q, graph) not in computed:
                    errors.append(f"{line.lhs} uses the number of {q} before it is computed")
            key = _key(line.lhs, graph)
            if key in seen_backward:
                errors.append(f"{line.lhs} is computed twice")
            seen_backward.add(key)
            computed.add(key)
    return errors


def _gallery_derivations() -> list[tuple[str, Derivation]]:
    two = load_spec(bundled_spec("two_two_two.toml"))
    residual = load_spec(bundled_spec("residual.toml"))
    tied = load_spec(bundled_spec("tied_autoencoder.toml"))
    neuron = Network(
        1,
        [Dense(1, "sigmoid", weights=[[0.5]], bias=[0.1])],
        "squared_error",
        data=Data([[1.5]], [[1.0]]),
        learning_rate=0.5,
    )
    return [
        ("single-neuron", derive(neuron, "all", expand=True)),
        ("two-two-two chosen", derive(two, ["W1[1,1]", "W2[1,1]"])),
        ("two-two-two all", derive(two, "all")),
        ("two-two-two --wrt W1[1,1]", derive(two, "W1[1,1]")),
        ("residual", derive(residual, "all")),
        ("tied-autoencoder", derive(tied, "W1")),
    ]


@pytest.mark.parametrize(("name", "derivation"), _gallery_derivations())
def test_gallery_derivations_keep_proof_order(name, derivation):
    assert symbolic_order_errors(derivation) == [], name
    assert numeric_order_errors(derivation) == [], name


LOSSES_FOR = {
    "sigmoid": ["squared_error", "binary_cross_entropy"],
    "softmax": ["cross_entropy"],
    "identity": ["squared_error", "mse", "huber"],
    "tanh": ["squared_error"],
}
HIDDEN = ["sigmoid", "tanh", "relu", "softplus", "identity", "elu"]


def _random_network(seed: int) -> Network:
    rng = np.random.default_rng(seed)
    n_in = int(rng.integers(1, 4))
    depth = int(rng.integers(1, 4))
    widths = [int(rng.integers(1, 4)) for _ in range(depth - 1)]
    output = str(rng.choice(list(LOSSES_FOR)))
    out_width = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 3))
    loss = str(rng.choice(LOSSES_FOR[output]))
    layers, below = [], n_in
    for width, activation in [*((w, str(rng.choice(HIDDEN))) for w in widths)]:
        layers.append(_dense(rng, width, below, activation))
        below = width
    layers.append(_dense(rng, out_width, below, output))
    x = rng.normal(size=(2, n_in)).round(2).tolist()
    if output == "softmax":
        y = np.eye(out_width)[rng.integers(0, out_width, size=2)].tolist()
    else:
        y = rng.uniform(0.1, 0.9, size=(2, out_width)).round(2).tolist()
    return Network(n_in, layers, loss, data=Data(x, y), learning_rate=0.1)


def _dense(rng, width: int, below: int, activation: str) -> Dense:
    weights = rng.normal(size=(width, below)).round(2).tolist()
    return Dense(width, activation, weights=weights, bias=rng.normal(size=width).round(2).tolist())


@pytest.mark.parametrize("seed", range(12))
def test_random_networks_keep_proof_order(seed):
    net = _random_network(seed)
    rng = np.random.default_rng(1000 + seed)
    params = [f"W{i}" for i in range(1, len(net.layers) + 1)]
    one = f"{rng.choice(params)}[1,1]"
    for wrt in ("all", one):
        derivation = derive(net, wrt)
        assert symbolic_order_errors(derivation) == [], (seed, wrt)
        assert numeric_order_errors(derivation) == [], (seed, wrt)


def test_the_checker_catches_a_factor_used_before_it_is_computed():
    """The check can fail: the old order (gradient before its δ, product before its factor)."""
    net = load_spec(bundled_spec("two_two_two.toml"))
    d = derive(net, "W1[1,1]")
    reversed_sections = Derivation(d.title, d.sections[::-1], d.results, d.context)
    assert symbolic_order_errors(reversed_sections)
    assert numeric_order_errors(reversed_sections)


def test_results_repeat_the_factor_order_of_their_sections():
    from symnn.output.document import render_derivation

    net = load_spec(bundled_spec("two_two_two.toml"))
    text = render_derivation(derive(net, "W2[1,1]"), "md")
    section, results = text.split("## Results")[:2]
    line = r"\frac{\partial L}{\partial w^{(2)}_{11}} & = \delta^{(2)}_{1} a^{(1)}_{1}"
    assert line in section
    assert line in results

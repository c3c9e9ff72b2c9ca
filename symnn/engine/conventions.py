"""Mazur's conventions ("A Step by Step Backpropagation Example"): the derivation as written there.

The post writes the error as one term per output, E_total = E_o1 + E_o2, and reaches a hidden
unit's output along each path separately: ∂E_total/∂out_h1 = ∂E_o1/∂out_h1 + ∂E_o2/∂out_h1, each
term a chain rule of its own with its own number. It also shares one bias b_l among the units of
a layer; the "mazur" notation prints it so (``symnn.core.notation``), and this module checks that
the spec's biases can be read that way. The derivation is the engine's own, its sections for the
last hidden layer's outputs restated; every added partial is an expression in the engine's named
quantities, so the worked numbers evaluate it like any other (``symnn.engine.values``).
"""

from __future__ import annotations

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import Graph
from symnn.core.steps import Derivation, Section, Step
from symnn.engine.backprop import adjoint_symbol

CONVENTION = "mazur"


def _partial(f: sp.Expr, v: sp.Expr) -> sp.Derivative:
    return sp.Derivative(f, v, evaluate=False)


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def loss_terms(graph: Graph) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    """E_o = its term of the loss, for each output o, in output order.

    Examples:
        >>> from symnn.spec.specfile import load_spec
        >>> from symnn.spec.build import build_graph
        >>> loss_terms(build_graph(load_spec("examples/two_two_two.toml")))[0]
        (lossterm_2_1, (-a_2_1 + y_1)**2/2)
    """
    network = graph.network
    depth = len(network.layers)
    if network.layers[-1].activation == "softmax":
        raise SymnnError(
            "notation 'mazur': the error is one term per output only when each output reads its "
            "own weighted input alone; softmax couples them (use the 'neuron' notation)"
        )
    outputs = list(graph.outputs)
    grouped: dict[sp.Symbol, list[sp.Expr]] = {o: [] for o in outputs}
    for term in sp.Add.make_args(graph.definitions[-1].expr):
        found = [o for o in outputs if term.has(o)]
        if len(found) != 1:
            raise SymnnError(
                f"notation 'mazur': the loss {network.loss!r} is not a sum of one term per output "
                "(E_total = E_o1 + E_o2 + …); use squared_error, or the 'neuron' notation"
            )
        grouped[found[0]].append(term)
    return tuple(
        (nt.LOSS_TERM(depth, j), sp.Add(*grouped[o])) for j, o in enumerate(outputs, start=1)
    )


def check_biases(graph: Graph) -> None:
    """One bias per layer: each layer's bias values equal (when given) and not trained apart."""
    for block, layer in enumerate(graph.network.layers, start=1):
        if layer.bias is False:
            continue
        if layer.trainable_bias:
            raise SymnnError(
                f"notation 'mazur': layer {block} trains a bias per unit; Mazur's convention "
                "shares one bias per layer and keeps it fixed (set trainable_bias = false)"
            )
        values = [] if layer.bias is True else [float(v) for v in layer.bias]
        if len(set(values)) > 1:
            raise SymnnError(
                f"notation 'mazur': layer {block} has different biases {values}; one bias shared "
                "by the layer needs them all equal (or use the 'neuron' notation)"
            )


def _restated(
    section: Section, graph: Graph, terms, stated: set
) -> tuple[list[Step], list[Step], dict]:
    """A last-hidden-layer ∂E_total/∂out section as a sum over the outputs' error terms.

    Returns the symbolic steps, the steps worked with numbers, and each new partial's expression
    in named quantities (∂E_o/∂net_o = δ_o, ∂E_o/∂out_h = δ_o w). ∂E_o/∂net_o = δ_o is stated
    in the first section that needs it (``stated`` keeps them) and reused after.
    """
    subject = section.subject
    activation = next(d.symbol for d in graph.definitions[:-1] if adjoint_symbol(d) == subject)
    depth = len(graph.network.layers)
    symbolic, numeric, partials, paths = [], [], {}, []
    for j, (term, _) in enumerate(terms, start=1):
        z, delta = nt.z(depth, j), nt.delta(depth, j)
        local = graph.definition(z).expr.diff(activation)
        path, own, edge = _partial(term, activation), _partial(term, z), _partial(z, activation)
        partials[own] = delta
        partials[path] = _mul(delta, local)
        paths.append(path)
        first = [] if own in stated else [Step(own, delta, "own_loss_term")]
        stated.add(own)
        symbolic += [
            Step(path, _mul(own, edge), "chain_rule"),
            *first,
            Step(edge, local, "linear"),
            Step(path, _mul(delta, local), "substitution"),
        ]
        numeric += [*first, Step(edge, local, "linear"), Step(path, _mul(own, edge), "chain_rule")]
    total = Step(subject, sp.Add(*paths, evaluate=False), "loss_terms")
    last = section.steps[-1]
    return [total, *symbolic, last], [*numeric, total], partials


def with_convention(derivation: Derivation, notation: str | None) -> Derivation:
    """``derivation`` as Mazur writes it when ``notation`` is "mazur"; otherwise unchanged.

    The loss is split into its output terms (kept in ``context["loss_terms"]``), and each section
    deriving ∂E_total/∂out of the last hidden layer is restated path by path; its worked numbers
    (``context["numeric_steps"]``) compute each path term, then their sum. Applying it twice
    changes nothing.
    """
    graph: Graph | None = derivation.context.get("graph")
    if notation != CONVENTION or graph is None or derivation.context.get("convention"):
        return derivation
    if derivation.context.get("level", "element") != "element":
        return derivation
    depth = len(graph.network.layers)
    if depth < 2:
        raise SymnnError("notation 'mazur': expected a hidden layer, found none")
    check_biases(graph)
    terms = loss_terms(graph)
    hidden = {adjoint_symbol(graph.definition(nt.a(depth - 1, k))) for k in _units(graph)}
    sections, numeric, partials, stated = [], {}, {}, set()
    for section in derivation.sections:
        if section.subject in hidden:
            steps, worked, found = _restated(section, graph, terms, stated)
            section = Section(section.subject, tuple(steps))
            numeric[section.subject] = tuple(worked)
            partials |= found
        sections.append(section)
    context = dict(derivation.context)
    context |= {
        "convention": CONVENTION,
        "loss_terms": terms,
        "numeric_steps": numeric,
        "partials": partials,
    }
    return Derivation(derivation.title, tuple(sections), derivation.results, context)


def _units(graph: Graph) -> range:
    return range(1, graph.network.widths[-2] + 1)


def shared_bias_statement(graph: Graph) -> str:
    """The text saying that a shared bias's gradient sums over its layer's units (LaTeX maths)."""
    style, widths = nt.NOTATIONS[CONVENTION], graph.network.widths
    lines = []
    for layer in range(1, len(widths)):
        deltas = [nt.delta(layer, j) for j in range(1, widths[layer] + 1)]
        units = " + ".join(style.latex(d, graph.shape) for d in deltas)
        lines.append(rf"$\partial E_{{\mathrm{{total}}}}/\partial b_{{{layer}}} = {units}$")
    return (
        "One bias per layer: the same $b_l$ enters the weighted input of every unit of layer "
        "$l$ (times 1), so its gradient is the sum over the layer's units, "
        + " and ".join(lines)
        + ". Mazur keeps the biases fixed, and so does this example."
    )

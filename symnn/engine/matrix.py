"""Matrix-level backpropagation: Jacobians of each layer, the vector chain rule, the δ recursion.

Assembled from each layer's ``matrix_rule`` (``symnn/layers``; see ``MatrixRule`` in
``layers/base.py``), as the generated matrix NumPy is from ``numpy_forward``/``numpy_backward``.
Per sample, vectors are columns: z^{(l)} = W^{(l)} a^{(l−1)} + b^{(l)}. Jacobians are in numerator
layout (∂u/∂v has shape (len u, len v)); a gradient ∂L/∂V has the shape of V, so the chain rule
reads δ = Jᵀ ∂L/∂a. In batches the samples are the rows of X (N × n₀), as in the generated code.
The cost of the derivation does not depend on the widths: every rule is taken from one
representative unit (or from a matrix identity), never by expanding the network.
"""

from __future__ import annotations

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Apply, Grad, lift
from symnn.core.steps import Derivation, Section, Step
from symnn.layers.base import MatrixContext, MatrixRule, without_matrix_derivation
from symnn.layers.dense import (
    LayerSymbols,
    activation_jacobian,
    activation_of,
    jacobian_steps,
    weight_gradient_steps,
    weighted_input,
)
from symnn.rules.losses import LOSSES
from symnn.rules.unit import loss_parts
from symnn.spec.network import Dense, Network

CONVENTIONS = {
    "vectors": "Per sample, every quantity of a layer is a column vector.",
    "layout": (
        "Jacobians are in numerator layout: ∂u/∂v has shape (len u, len v), row i holding the "
        "partials of uᵢ. A gradient ∂L/∂V of the scalar loss has the shape of V, so the chain "
        "rule reads ∂L/∂v = (∂u/∂v)ᵀ ∂L/∂u."
    ),
    "weights": "W⁽ˡ⁾ has shape (nₗ, nₗ₋₁): row j holds the weights into unit j of layer l.",
    "samples": (
        "In a batch the samples are the rows: X is N × n₀, Z⁽ˡ⁾ and A⁽ˡ⁾ are N × nₗ, row n "
        "holding sample n's vector transposed (as in the generated code). The batch loss is the "
        "mean of the per-sample losses."
    ),
}
BATCH_LOSS = nt.BATCH_LOSS
_i, _j, _k, _n = sp.symbols("i j k n", integer=True, positive=True)


def _block(net: Network, b: int) -> sp.MatrixSymbol:
    return nt.vector("a", b, net.widths[b])


def _inputs(net: Network, l: int) -> tuple[sp.MatrixSymbol, ...]:
    return tuple(_block(net, b) for b in net.sources[l - 1])


def _context(net: Network, l: int, **given) -> MatrixContext:
    a = _block(net, l)
    given.setdefault("adjoint", Grad(nt.LOSS, a))
    return MatrixContext(net, l, _inputs(net, l), a, Grad(nt.LOSS, a), **given)


def layer_symbols(net: Network) -> list[LayerSymbols]:
    """Each layer's W, b, z, a, δ as MatrixSymbols of the network's widths (a chain of dense)."""
    if not net.is_chain:
        raise SymnnError(
            "layer by layer Jacobians need a chain of dense layers; this network has named "
            "inputs, sums or shared weights: use derive_matrix, or jacobian() on its quantities"
        )
    return [
        layer.matrix_symbols(_context(net, l, chain=True))
        for l, layer in enumerate(net.layers, start=1)
    ]


def _logits(net: Network) -> sp.MatrixSymbol:
    """What the output's log-sum-exp reads: z for an identity dense output (a = z), else a."""
    depth, out = len(net.layers), net.layers[-1]
    identity = isinstance(out, Dense) and out.activation == "identity"
    return nt.vector("z", depth, net.outputs) if identity else _block(net, depth)


def loss_gradient_steps(net: Network) -> tuple[list[Step], sp.MatrixExpr]:
    """∂L/∂a^{(L)}: entry k from the loss rule, and its vector form when it has one."""
    parts = loss_parts(net)
    depth = len(net.layers)
    a = _block(net, depth)
    y = nt.targets(a.shape[0])
    g = Grad(nt.LOSS, a)
    loss = LOSSES[net.loss]
    steps: list[Step] = []
    separable = parts.term_gradient
    vector = None
    if separable != 0:
        k_at = {parts.output: ix.a_at(depth, _k), parts.target: ix.y_at(_k)}
        lhs = sp.Derivative(nt.LOSS, ix.a_at(depth, _k), evaluate=False)
        if not parts.logsumexp:  # with log Σ e^{a} every entry involves all outputs
            steps.append(Step(lhs, separable.xreplace(k_at), "loss_derivative", loss.title))
        vector = _vector_form(separable, parts, a, y)
    if parts.logsumexp:
        if separable != 0 and vector is None:
            raise SymnnError(f"loss {net.loss!r}: no vector form for its per-output terms")
        # The loss takes logits: with the identity output a^{(L)} = z^{(L)}, so softmax(z) − y.
        softmax = Apply("softmax", _logits(net))
        vector = softmax if vector is None else sp.MatAdd(softmax, vector)
        note = "∂/∂a of log Σ_k e^{a_k} is softmax(a), and a = z for the identity output"
        steps.append(Step(g, vector, "logsumexp_gradient", note))
    elif vector is not None:
        steps.append(Step(g, vector, "loss_gradient_vector", loss.title))
    return steps, (g if vector is None else vector)


def _vector_form(gradient, parts, a, y) -> sp.MatrixExpr | None:
    """c (a − y) or −c y ⊘ a when entry k has that shape; None for other losses (kept as ∂L/∂a)."""
    residual = parts.output - parts.target
    c = sp.cancel(gradient / residual)
    if not c.free_symbols:
        diff = sp.MatAdd(a, sp.MatMul(-1, y))
        return diff if c == 1 else sp.MatMul(c, diff)
    c = sp.cancel(gradient / parts.target)
    if not c.free_symbols:
        return sp.MatMul(c, y)
    return lift(gradient, {parts.output: a, parts.target: y}, a.shape[0])


def derive_matrix(net: Network) -> Derivation:
    """The matrix-level derivation of every gradient of ``net``, per sample and over a batch.

    Examples:
        >>> from symnn.spec.network import Dense, Network
        >>> d = derive_matrix(Network(3, [Dense(4, "sigmoid"), Dense(2)], "squared_error"))
        >>> print(d.results[0].lhs, "=", d.results[0].rhs)
        deltavec_2 = avec_2 - yvec
        >>> d.results[1].rhs
        HadamardProduct(W_2.T*deltavec_2, sigmoid'(zvec_1))
    """
    from symnn.engine.batch import batch_sections
    from symnn.engine.element import MAX_LAYERS
    from symnn.engine.index_form import index_form_section

    if len(net.layers) > MAX_LAYERS:  # every step is printed and simplified: seconds per layer
        raise SymnnError(
            f"the matrix-level derivation would write out {len(net.layers):,} layers, over the "
            f"limit of {MAX_LAYERS}; derive a shorter network (the steps repeat layer by layer)"
        )
    if not net.is_chain:
        return derive_graph_matrix(net)
    # A plain stack, laid out the textbook way: δ^{(l)} reads δ^{(l+1)} through W^{(l+1)}.
    depth = len(net.layers)
    loss_steps, g = loss_gradient_steps(net)
    rules: dict[int, MatrixRule] = {}
    for l in range(depth, 0, -1):
        if l == depth:
            m = _context(net, l, adjoint=g, adjoint_steps=tuple(loss_steps), chain=True)
        else:
            (back,) = rules[l + 1].pullbacks
            m = _context(
                net,
                l,
                adjoint=back.value,
                adjoint_chain=back.chain,
                adjoint_note=back.note,
                chain=True,
            )
        rules[l] = net.layers[l - 1].matrix_rule(m)
    ordered = [rules[l] for l in range(1, depth + 1)]
    forward = [step for r in ordered for step in r.forward]
    sections = [Section(_block(net, depth), tuple(forward))]
    sections += [Section(r.jacobian_head, r.jacobians) for r in ordered if r.jacobians]
    sections += [Section(r.adjoints[0].lhs, r.backward) for r in reversed(ordered) if r.backward]
    results = [adjoint for r in reversed(ordered) for adjoint in r.adjoints]
    sections += [
        Section(r.gradients[0].lhs, r.gradient_steps or r.gradients) for r in ordered if r.gradients
    ]
    results += [Step(step.lhs, step.rhs, "result") for r in ordered for step in r.gradients]
    sections.append(index_form_section(net, [step for r in ordered for step in r.index]))
    batch_steps, batch_results = batch_sections(net, ordered)
    sections += batch_steps
    results += batch_results
    return _matrix_derivation(net, sections, results, [r.symbols for r in ordered])


# --- networks as graphs: blocks that several layers read, sums, shared weights ----------------
def derive_graph_matrix(net: Network) -> Derivation:
    """The matrix-level derivation of a network that is a graph (sums, shared weights), per sample.

    Each block's adjoint ∂L/∂a is the sum over the layers that read it of what each passes back
    (its ``Pullback``); a skip connection's Jacobian is I + J_F; a shared weight's gradient sums
    over its uses.
    """
    from symnn.engine.batch import graph_batch_sections
    from symnn.engine.index_form import graph_index_section

    missing = without_matrix_derivation(net)
    if missing:
        raise SymnnError(missing)
    depth = len(net.layers)
    loss_steps, g = loss_gradient_steps(net)
    rules: dict[int, MatrixRule] = {}

    def path_jacobian(later: int, earlier: int) -> sp.MatrixExpr | None:
        """∂a^{(later)}/∂a^{(earlier)} as a product of layer Jacobians, if one path joins them."""
        factors = []
        while later != earlier:
            rule = rules.get(later)
            if rule is None or len(rule.explicit) != 1 or rule.explicit[0] is None:
                return None
            factors.append(rule.explicit[0])
            (later,) = net.sources[later - 1]
        return factors[0] if len(factors) == 1 else sp.MatMul(*factors)

    # Every adjoint but the output's is read by name, so the rules are taken in forward order.
    for l in range(1, depth + 1):
        given = {"adjoint": g, "adjoint_steps": tuple(loss_steps)} if l == depth else {}
        m = _context(net, l, path_jacobian=path_jacobian, **given)
        rules[l] = net.layers[l - 1].matrix_rule(m)
    forward = [step for l in range(1, depth + 1) for step in rules[l].forward]
    sections = [Section(_block(net, depth), tuple(forward))]
    for l in range(1, depth + 1):
        r = rules[l]
        if r.jacobians:
            head = r.jacobian_head if r.jacobian_head is not None else _block(net, l)
            sections.append(Section(head, r.jacobians))
    pullbacks: dict[int, list] = {b: [] for b in range(depth + 1)}
    for l in range(1, depth + 1):
        for b, back in zip(net.sources[l - 1], rules[l].pullbacks, strict=True):
            pullbacks[b].append(back)
    results = []
    for l in range(depth, 0, -1):
        r, a = rules[l], _block(net, l)
        if l == depth:
            if not any(step in r.backward for step in loss_steps):
                sections.append(Section(Grad(nt.LOSS, a), tuple(loss_steps)))
                results.append(Step(Grad(nt.LOSS, a), g, "result"))
        else:
            total, steps = _adjoint(a, pullbacks[l])
            sections.append(Section(Grad(nt.LOSS, a), tuple(steps)))
            results.append(Step(Grad(nt.LOSS, a), total, "result"))
        if r.backward:
            sections.append(Section(r.adjoints[0].lhs, r.backward))
            results += list(r.adjoints)
    grads = _parameter_gradients(rules)
    sections += [Section(step.lhs, (step,)) for step in grads]
    adjoints = list(results)
    results += [Step(step.lhs, step.rhs, "result") for step in grads]
    index = graph_index_section(net)
    if index is not None:
        sections.append(index)
    ordered = [rules[l] for l in range(1, depth + 1)]
    batch_steps, batch_results = graph_batch_sections(net, ordered, adjoints, grads)
    sections += batch_steps
    results += batch_results
    symbols = [r.symbols for r in rules.values() if r.symbols is not None]
    return _matrix_derivation(net, sections, results, symbols)


def _adjoint(a: sp.MatrixSymbol, backs: list) -> tuple[sp.MatrixExpr, list[Step]]:
    """∂L/∂a = Σ over the layers reading a of (their local Jacobian)ᵀ × their adjoint.

    Local: a sum's Jacobian by one of its terms, the other terms held fixed, is I (the total
    Jacobian of a residual block, I + J_F, counts the path through F as well).
    """
    lhs = Grad(nt.LOSS, a)
    chain = [back.chain for back in backs]
    named = [back.value for back in backs]
    total = named[0] if len(named) == 1 else sp.MatAdd(*named)
    note = "; ".join(dict.fromkeys(back.note for back in backs if back.note))
    chained = chain[0] if len(chain) == 1 else sp.MatAdd(*chain)
    steps = [Step(lhs, chained, "vector_chain_rule")]
    if chained != total:
        steps.append(Step(lhs, total, "substitution", note))
    return total, steps


def _parameter_gradients(rules: dict[int, MatrixRule]) -> list[Step]:
    """∂L/∂P for every parameter: a layer's own step, or the sum over the layers that share P.

    Listed by each gradient's place in its layer's list (all first parameters, e.g. every W,
    then all second ones), then by the first layer that uses it.
    """
    uses: dict[sp.Basic, list[tuple[int, int, Step]]] = {}
    for l, rule in rules.items():
        for position, step in enumerate(rule.gradients):
            uses.setdefault(step.lhs, []).append((position, l, step))
    grads = []
    for lhs, found in sorted(uses.items(), key=lambda item: item[1][0][:2]):
        if len(found) == 1:
            grads.append(found[0][2])
            continue
        layers = " and ".join(str(l) for _, l, _ in found)
        note = f"{_name(lhs.args[1])} is used by layers {layers}: the gradient sums over the uses"
        total = sp.MatAdd(*(step.rhs for _, _, step in found))
        grads.append(Step(lhs, total, "shared_weight", note))
    return grads


def _name(parameter: sp.Basic) -> str:
    try:
        kind, layer = nt.parse_matrix(parameter)
    except SymnnError:
        return str(parameter)
    return f"{kind}^{{({layer})}}"


def _matrix_derivation(net, sections: list, results: list, layers: list) -> Derivation:
    """The matrix-level Derivation, with the context every document of it reads."""
    return Derivation(
        title="Backpropagation in matrix form",
        sections=tuple(sections),
        results=tuple(results),
        context={
            "level": "matrix",
            "network": net,
            "conventions": CONVENTIONS,
            "layout": "numerator",
            "samples": "rows",
            "layers": layers,
        },
    )


# The dense layer's rules, as engine.blocks and older callers import them from here.
__all__ = [
    "BATCH_LOSS",
    "CONVENTIONS",
    "LayerSymbols",
    "activation_jacobian",
    "activation_of",
    "derive_graph_matrix",
    "derive_matrix",
    "jacobian_steps",
    "layer_symbols",
    "loss_gradient_steps",
    "weight_gradient_steps",
    "weighted_input",
]

"""Element-level derivations: the chain rule for chosen parameters, recorded step by step."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import ACTIVATION, LOSS_NODE, WEIGHTED_INPUT, Definition, Graph
from symnn.core.steps import Derivation, Step, sections
from symnn.engine.activation_proofs import Frac
from symnn.engine.backprop import Backprop, adjoint_symbol
from symnn.engine.conventions import with_convention
from symnn.printing.text import latex_name, superscript
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.build import build_graph
from symnn.spec.network import Network

_ENTRY = re.compile(r"^\s*([A-Za-z]+)(\d+)\s*\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]\s*$")
_ARRAY = re.compile(r"^\s*([A-Za-z]+\d+)\s*$")
_LAYER = re.compile(r"^\s*layer\s*(\d+)\s*$")


@lru_cache(maxsize=32)
def _cached(network: Network) -> Backprop:
    return Backprop(build_graph(network))


DEFAULT_ELEMENT_LIMIT = 10_000  # parameters; about a minute of element-level work
MAX_LAYERS = 100  # depth of a symbolic derivation; 100 layers take a few seconds


def element_limit() -> int:
    """The most parameters an element-level request may have (env SYMNN_ELEMENT_LIMIT overrides)."""
    text = os.environ.get("SYMNN_ELEMENT_LIMIT")
    if text is None:
        return DEFAULT_ELEMENT_LIMIT
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12 or int(digits) < 1:
        raise SymnnError(f"SYMNN_ELEMENT_LIMIT: expected a positive whole number, found {text!r}")
    return int(text)


def guard_size(network: Network) -> None:
    """Stop an element-level request that would run for minutes, before any work is done.

    Both the parameters and the depth count: a chain of 500 layers of width 1 has few
    parameters, but every δ, printed and simplified, reaches back through all of them.
    """
    depth = len(network.layers)
    if depth > MAX_LAYERS:
        raise SymnnError(
            f"the element level would walk {depth:,} layers, over the limit of "
            f"{MAX_LAYERS}; use the matrix level (--level matrix, derive_matrix)"
        )
    count, limit = network.parameter_count, element_limit()
    if count > limit:
        raise SymnnError(
            f"the element level would expand {count:,} parameters, over the limit of {limit:,}; "
            "use the matrix level (--level matrix, derive_matrix), or raise the limit with the "
            "environment variable SYMNN_ELEMENT_LIMIT"
        )


def backprop_for(spec: Network | Graph) -> Backprop:
    """The (cached) reverse walk for a network spec, keyed on the spec, not on object identity."""
    guard_size(spec.network if isinstance(spec, Graph) else spec)
    if isinstance(spec, Graph):
        return Backprop(spec)
    return _cached(spec)


def select(graph: Graph, wrt: str | int | sp.Symbol | Sequence = "all") -> list[sp.Symbol]:
    """Trainable scalar parameters named by ``wrt``.

    ``wrt`` is "all", a layer number or "layer 2", an array name ("W1", "b2"), one entry with
    1-based indices as the maths writes them ("W1[1,2]" is w^{(1)}_{12}, "b2[1]"), a symbol, or a
    list of these.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> g = build_graph(Network(2, [Dense(2, "sigmoid"), Dense(1, "sigmoid")]))
        >>> select(g, "W2[1,2]")
        [w_2_1_2]
        >>> len(select(g, 1))
        6
    """
    if isinstance(wrt, list | tuple):
        return [s for item in wrt for s in select(graph, item)]
    trainable = [s for p in graph.parameters if p.trainable for _, s in p.entries()]
    if isinstance(wrt, sp.Symbol):
        chosen = [wrt]
    elif isinstance(wrt, int) or (isinstance(wrt, str) and _LAYER.match(wrt)):
        layer = wrt if isinstance(wrt, int) else int(_LAYER.match(wrt).group(1))
        chosen = [s for p in graph.parameters if p.block == layer for _, s in p.entries()]
        if not chosen:
            raise SymnnError(_no_parameters(graph, layer))
    elif wrt == "all":
        chosen = trainable
    elif isinstance(wrt, str) and _ARRAY.match(wrt):
        chosen = [s for _, s in graph.parameter(wrt.strip()).entries()]
    elif isinstance(wrt, str) and (m := _ENTRY.match(wrt)):
        chosen = [_entry(graph, m)]
    else:
        raise SymnnError(
            f"cannot read parameter choice {wrt!r}; expected 'all', a layer number, "
            "'W1', 'b2', or one entry such as 'W1[1,2]' or 'b2[1]'"
        )
    trained = set(trainable)  # membership in a list made "all" quadratic in the parameters
    frozen = [s for s in chosen if s not in trained]
    if frozen and frozen == chosen:
        raise SymnnError(f"{wrt!r} is frozen (trainable_bias = false), so it has no gradient")
    return [s for s in chosen if s in trained]


def _entry(graph: Graph, m: re.Match) -> sp.Symbol:
    kind, layer = m.group(1), m.group(2)
    parameter = graph.parameter(f"{kind}{layer}")
    # One index per axis, from 1: W1[1,2] in a dense layer, W1[1,1,2,2] in a conv kernel.
    index = tuple(int(i) - 1 for i in m.group(3).split(","))
    if len(index) != len(parameter.shape) or not all(
        0 <= i < n for i, n in zip(index, parameter.shape, strict=True)
    ):
        size = "×".join(map(str, parameter.shape))
        raise SymnnError(f"{m.group(0).strip()!r} is outside {parameter.name} ({size}, from 1)")
    return parameter.symbols[index]


def _partial(f: sp.Expr, v: sp.Expr) -> sp.Derivative:
    return sp.Derivative(f, v, evaluate=False)


def _product(*factors: sp.Expr) -> sp.Expr:
    factors = [f for f in factors if f != 1]
    if not factors:
        return sp.S.One
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def _sum(terms: list[sp.Expr]) -> sp.Expr:
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _chain_rule(lhs: sp.Expr, symbol: sp.Symbol, children: Sequence[Definition]) -> Step:
    terms = [
        _partial(nt.LOSS, symbol)
        if c.kind is LOSS_NODE
        else _product(_partial(nt.LOSS, c.symbol), _partial(c.symbol, symbol))
        for c in children
    ]
    rule = "chain_rule" if len(children) == 1 else "multivariate_chain_rule"
    return Step(lhs, _sum(terms), rule)


def _local_steps(bp: Backprop, child: Definition, symbol: sp.Symbol) -> list[Step]:
    local = bp.local(child, symbol)
    lhs = _partial(child.symbol, symbol)
    kind = child.kind
    if kind is LOSS_NODE:
        loss = LOSSES[bp.graph.network.loss]
        return [Step(_partial(nt.LOSS, symbol), local.raw, kind.local_rule, loss.title)]
    if kind is WEIGHTED_INPUT:
        return [Step(lhs, local.raw, kind.local_rule)]
    layer = bp.graph.network.layers[child.block - 1] if child.block else None
    note = getattr(layer, "local_note", "")  # a layer's own word on its rule (a pool's tie rule)
    if kind is ACTIVATION:
        note = ACTIVATIONS[layer.activation].derivative
    steps = [Step(lhs, local.raw, kind.local_rule, note)]
    if local.named != local.raw:
        steps.append(Step(lhs, local.named, "substitution"))
    return steps


def _named_sum(bp: Backprop, symbol: sp.Symbol, children: Sequence[Definition]) -> sp.Expr:
    return _sum([_product(adjoint_symbol(c), bp.local(c, symbol).named) for c in children])


def adjoint_steps(bp: Backprop, d: Definition) -> list[Step]:
    """How ∂L/∂(node) follows from the node's children: chain rule, local factors, substitution."""
    lhs = adjoint_symbol(d)
    children = bp.graph.children(d.symbol)
    if len(children) == 1 and children[0].kind is LOSS_NODE:
        return _local_steps(bp, children[0], d.symbol)
    steps = (
        # δ = ∂L/∂z is defined for every node whose adjoint is a δ (weighted input, convolution)
        [Step(lhs, _partial(nt.LOSS, d.symbol), "definition")]
        if d.kind.adjoint_array == "delta"
        else []
    )
    steps.append(_chain_rule(lhs, d.symbol, children))
    for child in children:
        steps += _local_steps(bp, child, d.symbol)
    steps.append(Step(lhs, _named_sum(bp, d.symbol, children), "substitution"))
    return steps + _softmax_cross_entropy_steps(bp, d, children)


def _softmax_cross_entropy_steps(
    bp: Backprop, d: Definition, children: Sequence[Definition]
) -> list[Step]:
    """δ_j of softmax with cross-entropy carried through to a_j − y_j, as a lecture does it.

    ∂L/∂a_k = −y_k/a_k goes in; each a_k cancels against its 1/a_k; the sum of the targets is 1.
    Only when the local factors are the softmax's a_j(1 − a_j) and −a_j a_k.
    """
    graph = bp.graph
    network = graph.network
    if network.loss != "cross_entropy" or d.kind is not WEIGHTED_INPUT:
        return []
    if any(c.kind is not ACTIVATION for c in children) or len(children) < 2:
        return []
    if network.layers[d.layer - 1].activation != "softmax" or d.layer != len(network.layers):
        return []
    j = d.unit - 1
    if not 0 <= j < len(children) or len(graph.targets) != len(children):
        return []
    a_j = children[j].symbol
    ys, substituted, cancelled = [], [], []
    for k, child in enumerate(children):
        a_k, y_k = child.symbol, graph.targets[k]
        ys.append(y_k)
        local = bp.local(child, d.symbol).named
        upstream = Frac(y_k, a_k)  # ∂L/∂a_k = −y_k/a_k, printed as the fraction it is
        if k == j:
            expected, term = a_k * (1 - a_k), sp.Mul(-1, y_k, _sum([1, -a_k]), evaluate=False)
        else:
            expected, term = -a_j * a_k, sp.Mul(y_k, a_j, evaluate=False)
        if sp.simplify(local - expected) != 0 or sp.simplify(bp.adjoints[a_k] - (-y_k / a_k)):
            return []
        substituted.append(sp.Mul(-1, upstream, local, evaluate=False))
        cancelled.append(term)
    lhs = adjoint_symbol(d)
    total = sp.Mul(a_j, sp.Add(*ys, evaluate=False), evaluate=False)
    collected = sp.Add(-ys[j], total, evaluate=False)
    return [
        Step(lhs, _sum(substituted), "substitution", "the derivative of the loss, −y_k/a_k"),
        Step(lhs, _sum(cancelled), "cancel_activation"),
        Step(lhs, collected, "distribute"),
        Step(lhs, sp.Add(a_j, -graph.targets[j], evaluate=False), "targets_sum_to_one"),
    ]


def _no_parameters(graph: Graph, layer: int) -> str:
    """Why a layer number selects nothing: no such layer, or a layer without parameters."""
    layers = graph.network.layers
    owners = sorted({p.block for p in graph.parameters if p.block > 0})
    with_params = ", ".join(map(str, owners)) or "none"
    if not 1 <= layer <= len(layers):
        return f"no layer {layer}; layers are 1 to {len(layers)} (with parameters: {with_params})"
    kind = getattr(layers[layer - 1], "kind", "dense")
    return (
        f"layer {layer} ({kind}) has no parameters of its own; layers with parameters: "
        f"{with_params}"
    )


def gradient_steps(bp: Backprop, theta: sp.Symbol) -> list[Step]:
    """∂L/∂θ by the chain rule through the definitions that read θ."""
    children = bp.graph.children(theta)
    lhs = _partial(nt.LOSS, theta)
    chain = _chain_rule(lhs, theta, children)
    layers = sorted({c.block for c in children})
    if len(layers) > 1:  # a shared (tied) weight: one term per use
        uses = " and ".join(map(str, layers))
        note = f"the weight is shared by layers {uses}: its gradient is the sum over its uses"
        chain = Step(chain.lhs, chain.rhs, "shared_weight", note)
    elif len(children) > 1 and layers[0] > 0:
        owner = bp.graph.network.layers[layers[0] - 1]
        if getattr(owner, "sums_over_positions", False):  # a kernel weight (or bias)
            note = (
                f"the parameter is used at {len(children)} positions of layer {layers[0]}: its "
                "gradient is the sum over every position that uses it"
            )
            chain = Step(chain.lhs, chain.rhs, "kernel_sum", note)
        elif getattr(owner, "sharing_note", ""):  # a recurrent weight, at every time step
            chain = Step(chain.lhs, chain.rhs, "shared_over_time", owner.sharing_note)
    steps = [chain]
    for child in children:
        steps += _local_steps(bp, child, theta)
    steps.append(Step(lhs, _named_sum(bp, theta, children), "result"))
    return steps


def title_items(wrt: str | int | sp.Symbol | Sequence, graph: Graph) -> tuple:
    """The parameter choice for a title: words, or the one entry's symbol (named by the
    document in its notation: w⁽¹⁾₁₁ in the layered one, not the spec's W1[1,1])."""
    if isinstance(wrt, list | tuple):
        return tuple(item for part in wrt for item in title_items(part, graph))
    if isinstance(wrt, int) or (isinstance(wrt, str) and _LAYER.match(wrt)):
        return (f"layer {wrt if isinstance(wrt, int) else int(_LAYER.match(wrt).group(1))}",)
    if wrt == "all":
        return ("all parameters",)
    if isinstance(wrt, str) and (m := _ARRAY.match(wrt)):
        kind, layer = m.group(1)[0], m.group(1)[1:]
        return (f"{kind}{superscript(f'({layer})')}",)
    return tuple(select(graph, wrt))


def describe(items: Sequence, notation: str, shape: nt.Shape) -> str:
    """``title_items`` in words, each entry named as ``notation`` typesets it."""
    style = nt.NOTATIONS[notation]
    words = []
    for item in items:
        if isinstance(item, sp.Symbol):
            try:
                item = latex_name(style.latex(item, shape))
            except SymnnError:
                item = str(item)
        words.append(item)
    return ", ".join(words)


def derive(
    spec: Network | Graph, wrt: str | int | sp.Symbol | Sequence = "all", *, expand: bool = False
) -> Derivation:
    """The element-level derivation of ∂L/∂θ for the parameters chosen by ``wrt``.

    The δ terms come first, output layer first, each derived once and reused by every gradient;
    the gradients follow, so nothing is used before the step that derives it (one parameter or
    many alike).
    ``expand`` adds each gradient written out in inputs, targets and parameters.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")
        >>> d = derive(net, "W1[1,1]")
        >>> d.results[0].rhs
        delta_1_1*x_1
    """
    bp = backprop_for(spec)
    graph = bp.graph
    thetas = select(graph, wrt)
    deltas = [(adjoint_symbol(d), adjoint_steps(bp, d)) for d in bp.needed(thetas)]
    grads = [(_partial(nt.LOSS, t), gradient_steps(bp, t)) for t in thetas]
    ordered = [*deltas, *grads]
    results = [Step(_partial(nt.LOSS, t), bp.gradients[t], "result") for t in thetas]
    if expand:
        results += [
            Step(_partial(nt.LOSS, t), bp.expanded(bp.gradients[t]), "expanded") for t in thetas
        ]
    items = title_items(wrt, graph)
    derivation = Derivation(
        title=f"Backpropagation: {describe(items, graph.network.notation, graph.shape)}",
        sections=sections(*ordered),
        results=tuple(results),
        context={
            "graph": graph,
            "parameters": thetas,
            "level": "element",
            "backprop": bp,
            "title_items": items,
        },
    )
    return with_convention(derivation, graph.network.notation)

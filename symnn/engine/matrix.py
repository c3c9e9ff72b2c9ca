"""Matrix-level backpropagation: Jacobians of each layer, the vector chain rule, the δ recursion.

Per sample, vectors are columns: z^{(l)} = W^{(l)} a^{(l−1)} + b^{(l)}. Jacobians are in numerator
layout (∂u/∂v has shape (len u, len v)); a gradient ∂L/∂V has the shape of V, so the chain rule
reads δ = Jᵀ ∂L/∂a. In batches the samples are the rows of X (N × n₀), as in the generated code.
The cost of the derivation does not depend on the widths: every rule is taken from one
representative unit (or from a matrix identity), never by expanding the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symnn.core import indexed as ix
from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.matexpr import Apply, Diag, Grad, HadamardDivide, Jac, lift
from symnn.core.steps import Derivation, Section, Step
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.rules.unit import hyperparameters, loss_parts, unit_derivative
from symnn.spec.network import Dense, Network

CONVENTIONS = {
    "vectors": "Per sample, every quantity of a layer is a column vector.",
    "layout": (
        "Jacobians are in numerator layout: ∂u/∂v has shape (len u, len v), row i holding the "
        "partials of u_i. A gradient ∂L/∂V of the scalar loss has the shape of V, so the chain "
        "rule reads ∂L/∂v = (∂u/∂v)ᵀ ∂L/∂u."
    ),
    "weights": "W^{(l)} has shape (n_l, n_{l−1}): row j holds the weights into unit j of layer l.",
    "samples": (
        "In a batch the samples are the rows: X is N × n₀, Z^{(l)} and A^{(l)} are N × n_l, row n "
        "holding sample n's vector transposed (as in the generated code). The batch loss is the "
        "mean of the per-sample losses."
    ),
}
BATCH_LOSS = sp.Symbol("Lbar", real=True)  # printed \bar{L}: the mean over the batch
_i, _j, _k, _n = sp.symbols("i j k n", integer=True, positive=True)


@dataclass(frozen=True)
class LayerSymbols:
    """The matrix-level quantities of one layer, and its activation rule."""

    index: int
    activation: str
    params: tuple
    W: sp.MatrixSymbol
    b: sp.MatrixSymbol | None
    z: sp.MatrixSymbol
    a: sp.MatrixSymbol
    a_prev: sp.MatrixSymbol
    delta: sp.MatrixSymbol
    trainable_bias: bool
    spec: Dense

    @property
    def identity(self) -> bool:
        return self.activation == "identity"

    @property
    def elementwise(self) -> bool:
        return ACTIVATIONS[self.activation].elementwise

    def derivative(self) -> Apply:
        """f'(z^{(l)}), entry by entry."""
        return Apply(self.activation, self.z, 1, self.params)


def layer_symbols(net: Network) -> list[LayerSymbols]:
    """Each layer's W, b, z, a, δ as MatrixSymbols of the network's widths (a chain of dense)."""
    if not net.is_chain:
        raise SymnnError(
            "layer by layer Jacobians need a chain of dense layers; this network has named "
            "inputs, sums or shared weights: use derive_matrix, or jacobian() on its quantities"
        )
    widths = net.widths
    result = []
    for l, layer in enumerate(net.layers, start=1):
        n, n_prev = widths[l], widths[l - 1]
        result.append(
            LayerSymbols(
                l,
                layer.activation,
                hyperparameters(layer.activation, layer.activation_params),
                nt.weights(l, n, n_prev),
                nt.vector("b", l, n) if layer.has_bias else None,
                nt.vector("z", l, n),
                nt.vector("a", l, n),
                nt.vector("a", l - 1, n_prev),
                nt.vector("delta", l, n),
                layer.trainable_bias,
                layer,
            )
        )
    return result


def weighted_input(s: LayerSymbols) -> sp.MatrixExpr:
    product = sp.MatMul(s.W, s.a_prev)
    return product if s.b is None else sp.MatAdd(product, s.b)


def activation_of(s: LayerSymbols) -> sp.MatrixExpr:
    return s.z if s.identity else Apply(s.activation, s.z, 0, s.params)


def activation_jacobian(s: LayerSymbols) -> sp.MatrixExpr:
    """∂a^{(l)}/∂z^{(l)}: I, diag(f'(z)), or diag(s) − s sᵀ for softmax."""
    if s.identity:
        return sp.Identity(s.z.shape[0])
    if s.elementwise:
        return Diag(s.derivative())
    return sp.MatAdd(Diag(s.a), sp.MatMul(-1, s.a, sp.Transpose(s.a)))


def _softmax_product(a: sp.MatrixExpr, g: sp.MatrixExpr) -> sp.MatrixExpr:
    """(diag(s) − s sᵀ) g = s ⊙ (g − 𝟏 sᵀ g)."""
    ones = sp.OneMatrix(a.shape[0], 1)
    return sp.HadamardProduct(a, sp.MatAdd(g, sp.MatMul(-1, ones, sp.Transpose(a), g)))


def _through_activation(s: LayerSymbols, g: sp.MatrixExpr) -> list[Step]:
    """δ = (∂a/∂z)ᵀ g simplified by the activation's rule, from the substituted Jacobian on."""
    J = activation_jacobian(s)
    if s.identity:
        return [Step(s.delta, g, "identity_jacobian", "∂a/∂z = I for the identity")]
    steps = [Step(s.delta, sp.MatMul(sp.Transpose(J), g), "substitution")]
    if s.elementwise:
        steps.append(Step(s.delta, sp.MatMul(J, g), "symmetric_jacobian", "diag(v)ᵀ = diag(v)"))
        steps.append(Step(s.delta, sp.HadamardProduct(g, s.derivative()), "diag_hadamard"))
    else:
        steps.append(Step(s.delta, sp.MatMul(J, g), "symmetric_jacobian", "(diag(s) − s sᵀ)ᵀ"))
        steps.append(Step(s.delta, _softmax_product(s.a, g), "softmax_jacobian_product"))
    return steps


def jacobian_steps(s: LayerSymbols) -> list[Step]:
    """The Jacobians of layer l: ∂z/∂a^{(l−1)}, ∂z/∂b, ∂a/∂z and the layer's ∂a/∂a^{(l−1)}."""
    rule = ACTIVATIONS[s.activation]
    steps = [Step(Jac(s.z, s.a_prev), s.W, "jacobian_linear", "∂z_j/∂a_k = w_jk")]
    if s.b is not None:
        steps.append(Step(Jac(s.z, s.b), sp.Identity(s.z.shape[0]), "jacobian_linear"))
    kind = "jacobian_softmax" if not rule.elementwise else "jacobian_elementwise"
    steps.append(Step(Jac(s.a, s.z), activation_jacobian(s), kind, rule.derivative))
    if rule.elementwise and not s.identity:
        z, a = ix.z_at(s.index, _j), ix.a_at(s.index, _j)
        entry = sp.Derivative(a, z, evaluate=False)
        steps.append(
            Step(entry, unit_derivative(s.spec, z, a), "activation_derivative", rule.derivative)
        )
    steps.append(
        Step(
            Jac(s.a, s.a_prev),
            sp.MatMul(Jac(s.a, s.z), Jac(s.z, s.a_prev)),
            "jacobian_chain_rule",
        )
    )
    if not s.identity:
        steps.append(
            Step(Jac(s.a, s.a_prev), sp.MatMul(activation_jacobian(s), s.W), "substitution")
        )
    return steps


def loss_gradient_steps(net: Network, out: LayerSymbols) -> tuple[list[Step], sp.MatrixExpr]:
    """∂L/∂a^{(L)}: entry k from the loss rule, and its vector form when it has one."""
    parts = loss_parts(net)
    y = nt.targets(out.a.shape[0])
    g = Grad(nt.LOSS, out.a)
    loss = LOSSES[net.loss]
    steps: list[Step] = []
    separable = parts.term_gradient
    vector = None
    if separable != 0:
        k_at = {parts.output: ix.a_at(out.index, _k), parts.target: ix.y_at(_k)}
        lhs = sp.Derivative(nt.LOSS, ix.a_at(out.index, _k), evaluate=False)
        if not parts.logsumexp:  # with log Σ e^{a} every entry involves all outputs
            steps.append(Step(lhs, separable.xreplace(k_at), "loss_derivative", loss.title))
        vector = _vector_form(separable, parts, out.a, y)
    if parts.logsumexp:
        if separable != 0 and vector is None:
            raise SymnnError(f"loss {net.loss!r}: no vector form for its per-output terms")
        # The loss takes logits: with the identity output a^{(L)} = z^{(L)}, so softmax(z) − y.
        softmax = Apply("softmax", out.z if out.identity else out.a)
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


def output_delta_steps(net: Network, out: LayerSymbols) -> list[Step]:
    """δ^{(L)} = (∂a/∂z)ᵀ ∂L/∂a, simplified; softmax with cross-entropy collapses to s − y."""
    steps = [
        Step(out.delta, Grad(nt.LOSS, out.z), "definition"),
        Step(
            out.delta,
            sp.MatMul(sp.Transpose(Jac(out.a, out.z)), Grad(nt.LOSS, out.a)),
            "vector_chain_rule",
        ),
    ]
    loss_steps, g = loss_gradient_steps(net, out)
    steps += loss_steps
    if out.activation == "softmax" and net.loss == "cross_entropy":
        return steps + _softmax_cross_entropy(out, g)
    return steps + _through_activation(out, g)


def _softmax_cross_entropy(out: LayerSymbols, g: sp.MatrixExpr) -> list[Step]:
    s, K = out.a, out.a.shape[0]
    y = nt.targets(K)
    ratio = HadamardDivide(y, s)
    return [
        Step(out.delta, sp.MatMul(activation_jacobian(out), g), "symmetric_jacobian"),
        Step(
            out.delta,
            sp.MatAdd(
                sp.MatMul(-1, Diag(s), ratio), sp.MatMul(s, sp.Transpose(s), ratio), evaluate=False
            ),
            "distribute",
        ),
        Step(
            out.delta,
            sp.MatAdd(sp.MatMul(s, sp.Transpose(sp.OneMatrix(K, 1)), y), sp.MatMul(-1, y)),
            "softmax_cross_entropy",
            "diag(s)(y ⊘ s) = y and sᵀ(y ⊘ s) = 𝟏ᵀy",
        ),
        Step(out.delta, sp.MatAdd(s, sp.MatMul(-1, y)), "targets_sum_to_one", "Σ_k y_k = 1"),
    ]


def hidden_delta_steps(s: LayerSymbols, nxt: LayerSymbols) -> list[Step]:
    """δ^{(l)} = (∂a/∂z)ᵀ (∂z^{(l+1)}/∂a^{(l)})ᵀ δ^{(l+1)}, simplified to ((W)ᵀ δ) ⊙ f'(z)."""
    chain = sp.MatMul(
        sp.Transpose(Jac(s.a, s.z)), sp.Transpose(Jac(nxt.z, s.a)), Grad(nt.LOSS, nxt.z)
    )
    back = sp.MatMul(sp.Transpose(nxt.W), nxt.delta)
    return [
        Step(s.delta, Grad(nt.LOSS, s.z), "definition"),
        Step(s.delta, chain, "vector_chain_rule"),
        Step(
            s.delta,
            sp.MatMul(sp.Transpose(Jac(s.a, s.z)), back),
            "substitution",
            "∂z^{(l+1)}/∂a^{(l)} = W^{(l+1)} and ∂L/∂z^{(l+1)} = δ^{(l+1)}",
        ),
        *_through_activation(s, back),
    ]


def _ordered(*factors: sp.Expr) -> sp.Expr:
    """A product kept in the order the textbook writes it (δ_j a_k, not a_k δ_j)."""
    return sp.Mul(*factors, evaluate=False)


def weight_gradient_steps(s: LayerSymbols) -> list[Step]:
    """∂L/∂W^{(l)} from the rule ∂z_i/∂w_jk = [i = j] a_k, and ∂L/∂b^{(l)} = δ^{(l)}."""
    n = s.z.shape[0]
    z_i, w_jk, a_k = ix.z_at(s.index, _i), ix.w_at(s.index, _j, _k), ix.a_at(s.index - 1, _k)
    dl_dw = sp.Derivative(nt.LOSS, w_jk, evaluate=False)
    steps = [
        Step(
            sp.Derivative(z_i, w_jk, evaluate=False),
            sp.KroneckerDelta(_i, _j) * a_k,
            "jacobian_weights",
            "z_i = Σ_k w_ik a_k + b_i reads w_jk only when i = j",
        ),
        Step(
            dl_dw,
            sp.Sum(_ordered(ix.delta_at(s.index, _i), sp.KroneckerDelta(_i, _j), a_k), (_i, 1, n)),
            "multivariate_chain_rule",
        ),
        Step(dl_dw, _ordered(ix.delta_at(s.index, _j), a_k), "kronecker_sum"),
        Step(Grad(nt.LOSS, s.W), sp.MatMul(s.delta, sp.Transpose(s.a_prev)), "outer_product"),
    ]
    if s.b is not None and s.trainable_bias:
        steps += [
            Step(
                Grad(nt.LOSS, s.b),
                sp.MatMul(sp.Transpose(Jac(s.z, s.b)), Grad(nt.LOSS, s.z)),
                "vector_chain_rule",
            ),
            Step(Grad(nt.LOSS, s.b), s.delta, "identity_jacobian", "∂z/∂b = I"),
        ]
    return steps


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
    layers = layer_symbols(net)
    out = layers[-1]
    forward = [
        step
        for s in layers
        for step in (
            Step(s.z, weighted_input(s), "definition"),
            Step(s.a, activation_of(s), "definition"),
        )
    ]
    sections = [Section(out.a, tuple(forward))]
    sections += [Section(Jac(s.a, s.a_prev), tuple(jacobian_steps(s))) for s in layers]
    deltas = {out.index: output_delta_steps(net, out)}
    for s, nxt in zip(reversed(layers[:-1]), reversed(layers[1:]), strict=True):
        deltas[s.index] = hidden_delta_steps(s, nxt)
    sections += [Section(layers[l - 1].delta, tuple(deltas[l])) for l in sorted(deltas)[::-1]]
    sections += [Section(Grad(nt.LOSS, s.W), tuple(weight_gradient_steps(s))) for s in layers]
    results = [Step(layers[l - 1].delta, deltas[l][-1].rhs, "result") for l in sorted(deltas)]
    results = results[::-1]
    for s in layers:
        results.append(
            Step(Grad(nt.LOSS, s.W), sp.MatMul(s.delta, sp.Transpose(s.a_prev)), "result")
        )
        if s.b is not None and s.trainable_bias:
            results.append(Step(Grad(nt.LOSS, s.b), s.delta, "result"))
    sections.append(index_form_section(net))
    batch_steps, batch_results = batch_sections(net, layers, {r.lhs: r.rhs for r in results})
    sections += batch_steps
    results += batch_results
    return _matrix_derivation(net, sections, results, layers)


# --- networks as graphs: blocks that several layers read, sums, shared weights ----------------
def _graph_symbols(net: Network) -> dict[int, LayerSymbols]:
    """The matrix quantities of every dense layer; a shared weight reads its owner's W (or Wᵀ)."""
    widths, shapes = net.widths, dict(net.parameter_shapes())
    found = {}
    for l, (layer, sources) in enumerate(zip(net.layers, net.sources, strict=True), start=1):
        if not isinstance(layer, Dense):
            continue
        (source,) = sources
        n, n_in = widths[l], widths[source]
        if layer.weights_from:
            owner = net.blocks[layer.weights_from]
            W = nt.weights(owner, *shapes[f"W{owner}"])
            W = sp.Transpose(W) if layer.transpose else W
        else:
            W = nt.weights(l, n, n_in)
        found[l] = LayerSymbols(
            l,
            layer.activation,
            hyperparameters(layer.activation, layer.activation_params),
            W,
            nt.vector("b", l, n) if layer.has_bias else None,
            nt.vector("z", l, n),
            nt.vector("a", l, n),
            nt.vector("a", source, n_in),
            nt.vector("delta", l, n),
            layer.trainable_bias,
            layer,
        )
    return found


def _reads(net: Network, block: int) -> list[int]:
    """The layers that read ``block``, in network order."""
    return [l for l, sources in enumerate(net.sources, start=1) if block in sources]


def _depends(net: Network, later: int, earlier: int) -> bool:
    """Whether block ``later`` is computed from block ``earlier``."""
    if later == earlier:
        return True
    return later > 0 and any(_depends(net, b, earlier) for b in net.sources[later - 1])


def _path_jacobian(net: Network, dense: dict, later: int, earlier: int) -> sp.MatrixExpr | None:
    """∂a^{(later)}/∂a^{(earlier)} as a product of dense layer Jacobians, if one path joins them."""
    factors = []
    while later != earlier:
        s = dense.get(later)
        if s is None:
            return None
        factors.append(sp.MatMul(activation_jacobian(s), s.W) if not s.identity else s.W)
        (later,) = net.sources[later - 1]
    return factors[0] if len(factors) == 1 else sp.MatMul(*factors)


def _sum_jacobian_steps(net: Network, dense: dict, l: int) -> list[Step]:
    """∂a^{(l)}/∂u for each input u of a sum: I, plus J_F where another input is F(u)."""
    a = nt.vector("a", l, net.widths[l])
    steps = []
    sources = net.sources[l - 1]
    for b in dict.fromkeys(sources):
        u = nt.vector("a", b, net.widths[b])
        others = [c for c in sources if c != b and _depends(net, c, b)]
        identity = sp.Identity(net.widths[l])
        if not others:
            steps.append(Step(Jac(a, u), identity, "sum_jacobian", "∂(u + v)/∂u = I"))
            continue
        terms = [Jac(nt.vector("a", c, net.widths[c]), u) for c in others]
        residual = sp.MatAdd(identity, *terms, evaluate=False)
        steps.append(Step(Jac(a, u), residual, "residual_jacobian"))
        paths = [_path_jacobian(net, dense, c, b) for c in others]
        if all(p is not None for p in paths):
            note = "J_F is the product of the Jacobians of the layers between"
            explicit = sp.MatAdd(identity, *paths, evaluate=False)
            steps.append(Step(Jac(a, u), explicit, "substitution", note))
    return steps


def _adjoint(net: Network, dense: dict, block: int) -> tuple[sp.MatrixExpr, list[Step]]:
    """∂L/∂a^{(block)} = Σ over the layers reading it of (their local Jacobian)ᵀ × their adjoint.

    Local: a sum's Jacobian by one of its terms, the other terms held fixed, is I (the total
    Jacobian of a residual block, I + J_F, counts the path through F as well).
    """
    a = nt.vector("a", block, net.widths[block])
    chain, named = [], []
    for c in _reads(net, block):
        if c in dense:
            s = dense[c]
            chain.append(sp.MatMul(sp.Transpose(Jac(s.z, a)), Grad(nt.LOSS, s.z)))
            named.append(sp.MatMul(s.W.T, s.delta))
        else:  # a sum hands its gradient to each term unchanged: its local Jacobian is I
            out = nt.vector("a", c, net.widths[c])
            chain.append(sp.MatMul(sp.Transpose(sp.Identity(net.widths[c])), Grad(nt.LOSS, out)))
            named.append(Grad(nt.LOSS, out))
    lhs = Grad(nt.LOSS, a)
    total = named[0] if len(named) == 1 else sp.MatAdd(*named)
    note = "∂z/∂a = W and ∂L/∂z = δ for a dense reader"
    steps = [
        Step(lhs, chain[0] if len(chain) == 1 else sp.MatAdd(*chain), "vector_chain_rule"),
        Step(lhs, total, "substitution", note),
    ]
    return total, steps


def _dense_delta(s: LayerSymbols) -> list[Step]:
    g = Grad(nt.LOSS, s.a)
    return [
        Step(s.delta, Grad(nt.LOSS, s.z), "definition"),
        Step(s.delta, sp.MatMul(sp.Transpose(Jac(s.a, s.z)), g), "vector_chain_rule"),
        *_through_activation(s, g),
    ]


def derive_graph_matrix(net: Network) -> Derivation:
    """The matrix-level derivation of a network that is a graph (sums, shared weights), per sample.

    Each block's adjoint ∂L/∂a is the sum over the layers that read it; a skip connection's
    Jacobian is I + J_F; a shared weight's gradient sums over its uses.
    """
    for index, layer in enumerate(net.layers, start=1):
        if layer.kind not in ("dense", "add"):
            raise SymnnError(
                f"layers[{index}]: the layer kind {layer.kind!r} has no matrix-level derivation "
                "rule; use the element level (its matrix-level code exists)"
            )
    dense = _graph_symbols(net)
    depth = len(net.layers)
    out_a = nt.vector("a", depth, net.widths[depth])
    forward = []
    for l in range(1, depth + 1):
        if l in dense:
            s = dense[l]
            forward += [
                Step(s.z, weighted_input(s), "definition"),
                Step(s.a, activation_of(s), "definition"),
            ]
        else:
            terms = [nt.vector("a", b, net.widths[b]) for b in net.sources[l - 1]]
            a = nt.vector("a", l, net.widths[l])
            forward.append(Step(a, sp.MatAdd(*terms), "definition", "a skip connection"))
    sections = [Section(out_a, tuple(forward))]
    for l in range(1, depth + 1):
        if l in dense:
            s = dense[l]
            sections.append(Section(Jac(s.a, s.a_prev), tuple(jacobian_steps(s))))
        else:
            a = nt.vector("a", l, net.widths[l])
            sections.append(Section(a, tuple(_sum_jacobian_steps(net, dense, l))))
    results = []
    if depth in dense:
        steps = output_delta_steps(net, dense[depth])
        sections.append(Section(dense[depth].delta, tuple(steps)))
        results.append(Step(dense[depth].delta, steps[-1].rhs, "result"))
    else:
        pseudo = LayerSymbols(
            depth, "identity", (), None, None, out_a, out_a, None, None, False, None
        )
        steps, g = loss_gradient_steps(net, pseudo)
        sections.append(Section(Grad(nt.LOSS, out_a), tuple(steps)))
        results.append(Step(Grad(nt.LOSS, out_a), g, "result"))
    for l in range(depth - 1, 0, -1):
        total, steps = _adjoint(net, dense, l)
        a = nt.vector("a", l, net.widths[l])
        sections.append(Section(Grad(nt.LOSS, a), tuple(steps)))
        results.append(Step(Grad(nt.LOSS, a), total, "result"))
        if l in dense:
            steps = _dense_delta(dense[l])
            sections.append(Section(dense[l].delta, tuple(steps)))
            results.append(Step(dense[l].delta, steps[-1].rhs, "result"))
    grads = []
    for l, s in dense.items():
        if s.spec.weights_from:
            continue
        uses = [s] + [t for t in dense.values() if t.spec.weights_from and _owner(net, t) == l]
        outer = [
            sp.MatMul(t.a_prev, sp.Transpose(t.delta))
            if t.spec.transpose
            else sp.MatMul(t.delta, sp.Transpose(t.a_prev))
            for t in uses
        ]
        if len(uses) == 1:
            step = Step(Grad(nt.LOSS, s.W), outer[0], "outer_product")
        else:
            layers = " and ".join(str(t.index) for t in uses)
            note = f"W^{{({l})}} is used by layers {layers}: the gradient sums over the uses"
            step = Step(Grad(nt.LOSS, s.W), sp.MatAdd(*outer), "shared_weight", note)
        grads.append(step)
    for s in dense.values():
        if s.b is not None and s.trainable_bias:
            grads.append(Step(Grad(nt.LOSS, s.b), s.delta, "identity_jacobian", "∂z/∂b = I"))
    sections += [Section(step.lhs, (step,)) for step in grads]
    results += [Step(step.lhs, step.rhs, "result") for step in grads]
    return _matrix_derivation(net, sections, results, list(dense.values()))


def _owner(net: Network, s: LayerSymbols) -> int:
    return net.blocks[s.spec.weights_from]


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

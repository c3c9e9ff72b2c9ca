"""Instantiation at concrete widths: a matrix-level expression as its explicit matrix.

``instantiate`` writes a matrix expression out in the element-level symbols of
``symnn.core.notation``, so every matrix rule can be checked against the element-level derivation
(the bridge from matrix level to element level).
"""

from __future__ import annotations

import math

import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import Softmax
from symnn.core.matexpr import (
    Apply,
    Diag,
    Grad,
    Grid,
    HadamardDivide,
    Jac,
    Map,
    Rows,
    RowSoftmax,
    Vec,
)
from symnn.engine.element import backprop_for
from symnn.engine.jacobian import jacobian
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import unit_activation, unit_derivative
from symnn.spec.network import Network


def _column(symbols) -> sp.Matrix:
    return sp.Matrix(list(symbols))


def _symbol_matrix(symbol: sp.MatrixSymbol, net: Network) -> sp.Matrix:
    registered = nt.find_matrix_quantity(symbol)
    if registered is not None:  # a layer's own matrix quantity (h_t, W_ih, Q, …) knows its entries
        quantity, indices = registered
        return quantity.explicit(symbol, net, indices)
    kind, layer = nt.parse_matrix(symbol)
    widths = net.widths
    if kind == "xvec":
        return _column(nt.x(k) for k in range(1, widths[0] + 1))
    if kind == "yvec":
        return _column(nt.y(k) for k in range(1, widths[-1] + 1))
    if kind in ("Xbatch", "Ybatch"):  # one sample: the batch is the transposed vector
        return _symbol_matrix(sp.MatrixSymbol(kind[0].lower() + "vec", 1, 1), net).T
    shapes = dict(net.parameter_shapes())
    if kind == "W":
        shape = shapes[f"W{layer}"]  # a layer may read any block
        if len(shape) > 2:  # a kernel (C_out, C_in, *k) as a C_out × C_in·k matrix, row-major
            entries = backprop_for(net).graph.parameter(f"W{layer}").entries()
            return sp.Matrix(shape[0], math.prod(shape[1:]), [s for _, s in entries])
        rows, cols = shape
        return sp.Matrix(rows, cols, lambda j, k: nt.w(layer, j + 1, k + 1))
    # A layer's own matrix quantities (an embedding's table, a dropout mask) it writes out itself.
    own = getattr(net.layers[layer - 1], "explicit_matrix", None) if layer else None
    if own is not None and (found := own(kind, layer, net)) is not None:
        return found
    units = range(1, widths[layer] + 1)
    if kind == "bvec":
        has_bias = net.layers[layer - 1].has_bias
        if has_bias:  # one bias per unit, or per channel of a convolution
            units = range(1, shapes[f"b{layer}"][0] + 1)
        return _column(nt.b(layer, j) if has_bias else sp.S.Zero for j in units)
    if kind.endswith("batch"):
        vector = {"Z": "zvec", "A": "avec", "Delta": "deltavec"}[kind[: -len("batch")]]
        return _symbol_matrix(sp.MatrixSymbol(f"{vector}_{layer}", 1, 1), net).T
    maker = {"zvec": nt.z, "avec": nt.a, "deltavec": nt.delta}[kind]
    return _column(maker(layer, j) for j in units)


def _layer_of(vector: sp.Matrix) -> int:
    kind, indices = nt.parse(vector[0])
    if kind not in ("z", "a"):
        raise SymnnError(f"an activation needs weighted inputs, found {vector[0]}")
    return indices[0]


def _apply(expr: Apply, arg: sp.Matrix, net: Network) -> sp.Matrix:
    if arg.rows == 1 and arg.cols > 1:  # a batch row (N = 1): apply to its transpose
        return _apply(expr, arg.T, net).T
    rule = ACTIVATIONS[expr.name]
    # A layer kind's own pre-activations (z_t of an RNN), or a sum of them (a GRU's q_r + p_r).
    if not isinstance(arg[0], sp.Symbol) or nt.parse(arg[0])[0] in nt.QUANTITIES:
        params = dict(zip(rule.defaults, expr.args[3], strict=True))
        u = sp.Dummy("u", real=True)
        f = rule.apply([u], params)[0]
        f = f.diff(u) if expr.order else f
        return arg.applyfunc(lambda zj: f.xreplace({u: zj}))
    if expr.order == 0 and not rule.elementwise:
        return _column(rule.apply(list(arg), dict(zip(rule.defaults, expr.args[3], strict=True))))
    layer_index = _layer_of(arg)
    layer = net.layers[layer_index - 1]
    if expr.order == 0:
        return arg.applyfunc(lambda zj: unit_activation(layer, zj))
    if not rule.elementwise:
        raise SymnnError(f"{expr.name} has a full Jacobian, not an entry-by-entry derivative")
    return _column(
        unit_derivative(layer, arg[j - 1], nt.a(layer_index, j)) for j in range(1, arg.rows + 1)
    )


def _element_symbols(vector: sp.MatrixExpr, net: Network) -> list[sp.Symbol]:
    return list(instantiate(vector, net))


def _grad(expr: Grad, net: Network) -> sp.Matrix:
    wrt = expr.args[1]
    target = instantiate(wrt, net)
    bp = backprop_for(net)

    def entry(s: sp.Expr) -> sp.Expr:
        if s == 0:
            return sp.S.Zero
        if s in bp.gradients:
            return bp.gradients[s]
        kind, (layer, *units) = nt.parse(s)
        if kind == "z":
            return nt.delta(layer, *units)
        if kind == "a":
            return nt.grad_a(layer, *units)
        if kind in nt.QUANTITIES:  # a layer kind's own node: its adjoint is named from it
            return nt.adjoint_quantity(s)
        return bp.gradients[s]

    return target.applyfunc(entry)


def instantiate(expr: sp.Basic, net: Network) -> sp.Matrix | sp.Expr:
    """The explicit matrix of a matrix-level expression, in element-level symbols (one sample).

    Batch quantities are instantiated for N = 1 (their single row is the sample's vector
    transposed); ∂L/∂z and ∂L/∂a become the named adjoints δ and ∂L/∂a of the element level.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> net = Network(2, [Dense(1, "sigmoid")])
        >>> W, x = nt.weights(1, 1, 2), nt.vector("a", 0, 2)
        >>> instantiate(sp.MatMul(W, x), net)
        Matrix([[w_1_1_1*x_1 + w_1_1_2*x_2]])
    """
    explicit = getattr(expr, "_explicit", None)
    if explicit is not None:  # a layer's own node (a convolution, a pooling) writes itself out
        return explicit(lambda arg: instantiate(arg, net))
    if isinstance(expr, sp.MatrixSymbol):
        return _symbol_matrix(expr, net)
    if isinstance(expr, sp.MatrixBase):  # written out already (a given initial state h_0)
        return sp.Matrix(expr)
    if not getattr(expr, "is_Matrix", False):
        return expr.xreplace({nt.N_SAMPLES: sp.S.One}) if isinstance(expr, sp.Basic) else expr
    if isinstance(expr, sp.MatAdd):
        return sp.Matrix(sp.Add(*[instantiate(arg, net) for arg in expr.args]))
    if isinstance(expr, sp.MatMul):
        result = sp.S.One
        for arg in expr.args:
            result = result * instantiate(arg, net)
        return sp.Matrix(result)
    if isinstance(expr, sp.Transpose):
        return instantiate(expr.arg, net).T
    if isinstance(expr, sp.HadamardProduct):
        parts = [instantiate(arg, net) for arg in expr.args]
        result = parts[0]
        for part in parts[1:]:
            result = result.multiply_elementwise(part)
        return result
    if isinstance(expr, HadamardDivide):
        u, v = (instantiate(arg, net) for arg in expr.args)
        return sp.Matrix(*u.shape, lambda i, j: u[i, j] / v[i, j])
    if isinstance(expr, Diag):
        return sp.diag(*instantiate(expr.args[0], net))
    if isinstance(expr, Map):
        return instantiate(expr.args[1], net).applyfunc(expr.entry)
    if isinstance(expr, sp.HadamardPower):
        return instantiate(expr.base, net).applyfunc(lambda e: e**expr.exp)
    if isinstance(expr, Apply):
        return _apply(expr, instantiate(expr.args[1], net), net)
    if isinstance(expr, Grad):
        return _grad(expr, net)
    if isinstance(expr, Jac):
        outs, ins = (_element_symbols(arg, net) for arg in expr.args)
        return jacobian(net, outs, ins)
    if isinstance(expr, Vec):
        matrix = instantiate(expr.args[0], net)
        return sp.Matrix([matrix[i, j] for i in range(matrix.rows) for j in range(matrix.cols)])
    if isinstance(expr, Grid):
        vector = instantiate(expr.args[0], net)
        return sp.Matrix(int(expr.args[1]), int(expr.args[2]), list(vector))
    if isinstance(expr, RowSoftmax):
        scores, mask = instantiate(expr.args[0], net), expr.args[1]
        return sp.Matrix(*scores.shape, lambda t, s: _masked_softmax(scores, mask, t, s))
    if isinstance(expr, Rows):
        first, last = expr.span
        return instantiate(expr.args[0], net)[first - 1 : last, :]
    if isinstance(expr, sp.BlockMatrix):
        rows = expr.blocks.tolist()
        return sp.Matrix.vstack(
            *(sp.Matrix.hstack(*(instantiate(block, net) for block in row)) for row in rows)
        )
    if isinstance(expr, sp.MatrixBase):  # an explicit constant matrix (a mask)
        return sp.Matrix(expr)
    if isinstance(expr, sp.Identity | sp.ZeroMatrix | sp.OneMatrix):
        return sp.Matrix(expr.xreplace({nt.N_SAMPLES: sp.S.One}).as_explicit())
    raise SymnnError(f"cannot instantiate {type(expr).__name__}: {expr}")


def _masked_softmax(scores: sp.Matrix, mask, t: int, s: int) -> sp.Expr:
    if mask[t, s] == 0:
        return sp.S.Zero
    kept = [scores[t, r] for r in range(scores.cols) if mask[t, r] != 0]
    return Softmax(sum(1 for r in range(s + 1) if mask[t, r] != 0), *kept)


__all__ = ["instantiate"]

"""Matrix-level building blocks, the rules they rest on, and their instantiation at given widths.

``Diag``, ``Apply`` (an activation applied to a vector, or its derivative), ``Jac`` (a Jacobian in
numerator layout: rows follow the output) and ``Grad`` (∂L/∂V, shaped like V) are our own
expressions: SymPy's ``MatrixSymbol.diff`` is never used (it drops terms). ``instantiate`` turns a
matrix expression into an explicit ``sp.Matrix`` of the element-level symbols of
``symnn.core.notation``, so every matrix rule can be checked against the element-level derivation.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.functions import LogSumExp
from symnn.core.graph import _constant
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES
from symnn.spec.network import Dense, Network


class Diag(sp.MatrixExpr):
    """diag(v): the square matrix with the column vector v on its diagonal."""

    def __new__(cls, vector: sp.MatrixExpr):
        return sp.Basic.__new__(cls, vector)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[0].shape[0])

    def _latex(self, printer) -> str:
        return rf"\operatorname{{diag}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer) -> str:
        return f"diag({printer._print(self.args[0])})"


class Apply(sp.MatrixExpr):
    """f(V) (``order`` 0) or f'(V) (``order`` 1) for the activation ``name``, entry by entry.

    ``params`` are the activation's hyperparameters in the order of its defaults. Softmax (order 0
    only) is applied to each column of V as a whole.
    """

    def __new__(cls, name: str | sp.Symbol, arg: sp.MatrixExpr, order=0, params=()):
        name = name if isinstance(name, sp.Symbol) else sp.Symbol(name)
        return sp.Basic.__new__(
            cls, name, arg, sp.Integer(order), sp.Tuple(*map(sp.sympify, params))
        )

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def order(self) -> int:
        return int(self.args[2])

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer) -> str:
        head = nt.activation_latex(self.name)
        if self.args[3]:  # hyperparameters as the element level writes them: LeakyReLU_{0.01}
            head += "_{" + ", ".join(printer._print(p) for p in self.args[3]) + "}"
        head += "'" if self.order else ""
        return rf"{head}\left({printer._print(self.args[1])}\right)"

    def _sympystr(self, printer) -> str:
        return f"{self.name}{chr(39) * self.order}({printer._print(self.args[1])})"


class HadamardDivide(sp.MatrixExpr):
    """u ⊘ v: entry-by-entry division."""

    def __new__(cls, numerator: sp.MatrixExpr, denominator: sp.MatrixExpr):
        return sp.Basic.__new__(cls, numerator, denominator)

    @property
    def shape(self):
        return self.args[0].shape

    def _latex(self, printer) -> str:
        u, v = (printer.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in self.args)
        return rf"\left({u} \oslash {v}\right)"

    def _sympystr(self, printer) -> str:
        u, v = (printer.parenthesize(arg, PRECEDENCE["Mul"], strict=True) for arg in self.args)
        return f"({u} ⊘ {v})"


def _partial_latex(printer, f: sp.Basic, v: sp.Basic) -> str:
    top, bottom = printer._print(f), printer._print(v)
    if getattr(printer, "_partial_style", "frac") == "slash":
        return rf"\partial {top} / \partial {bottom}"
    return rf"\frac{{\partial {top}}}{{\partial {bottom}}}"


_PLACEHOLDER = sp.Symbol("PLACEHOLDER")


class Map(sp.MatrixExpr):
    """g(V) entry by entry, for a scalar function g given as a Lambda: sign(a − y), σ(a), …"""

    def __new__(cls, function: sp.Lambda, arg: sp.MatrixExpr):
        return sp.Basic.__new__(cls, function, arg)

    @property
    def shape(self):
        return self.args[1].shape

    def entry(self, value: sp.Expr) -> sp.Expr:
        return self.args[0](value)

    def _latex(self, printer) -> str:
        text = printer._print(self.entry(_PLACEHOLDER))
        return text.replace(printer._print(_PLACEHOLDER), printer._print(self.args[1]))

    def _sympystr(self, printer) -> str:
        text = printer._print(self.entry(_PLACEHOLDER))
        return text.replace(_PLACEHOLDER.name, printer._print(self.args[1]))


class _NoVectorForm(Exception):
    pass


def lift(expr: sp.Expr, vectors: dict, size) -> sp.MatrixExpr | None:
    """The vector whose entry k is ``expr`` (in the symbols of entry k, mapped by ``vectors``).

    Sums, products, quotients and integer powers become their entrywise forms (⊙, ⊘, 𝟏 for a
    constant); a function of one entry becomes ``Map``. None when there is no such form
    (a Piecewise, say), and the vector stays named.

    Examples:
        >>> a, y = sp.symbols("a y")
        >>> A, Y = sp.MatrixSymbol("A", 3, 1), sp.MatrixSymbol("Y", 3, 1)
        >>> from symnn.printing.text import text
        >>> text(lift((1 - y) / (1 - a) - y / a, {a: A, y: Y}, 3))
        '((1 - Y) ⊘ (1 - A)) - (Y ⊘ A)'
    """
    try:
        return _lift(sp.factor_terms(expr), vectors, size)
    except _NoVectorForm:
        return None


def _lift(expr: sp.Expr, vectors: dict, size) -> sp.MatrixExpr:
    if expr in vectors:
        return vectors[expr]
    if expr.is_Number:
        ones = sp.OneMatrix(size, 1)
        return ones if expr == 1 else sp.MatMul(expr, ones)
    if isinstance(expr, sp.Add):
        return sp.MatAdd(*[_lift(term, vectors, size) for term in expr.args])
    if isinstance(expr, sp.Mul):
        coefficient, factors = expr.as_coeff_mul()
        above = [f for f in factors if not (f.is_Pow and f.exp.is_Integer and f.exp < 0)]
        below = [f.base ** (-f.exp) for f in factors if f not in above]
        vector = _product([_lift(f, vectors, size) for f in above], size)
        if below:
            vector = HadamardDivide(
                vector, _product([_lift(f, vectors, size) for f in below], size)
            )
        return vector if coefficient == 1 else sp.MatMul(coefficient, vector)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        return sp.HadamardPower(_lift(expr.base, vectors, size), expr.exp)
    if isinstance(expr, sp.Function) and expr.args and all(arg.is_Number for arg in expr.args[1:]):
        u = sp.Dummy("u")
        function = sp.Lambda(u, expr.func(u, *expr.args[1:]))
        return Map(function, _lift(expr.args[0], vectors, size))
    raise _NoVectorForm(expr)


def _product(vectors: list, size) -> sp.MatrixExpr:
    if not vectors:
        return sp.OneMatrix(size, 1)
    return vectors[0] if len(vectors) == 1 else sp.HadamardProduct(*vectors)


class Jac(sp.MatrixExpr):
    """∂u/∂v for column vectors u and v, numerator layout: shape (len u, len v)."""

    def __new__(cls, of: sp.MatrixExpr, wrt: sp.MatrixExpr):
        return sp.Basic.__new__(cls, of, wrt)

    @property
    def shape(self):
        return (self.args[0].shape[0], self.args[1].shape[0])

    def _latex(self, printer) -> str:
        return _partial_latex(printer, *self.args)

    def _sympystr(self, printer) -> str:
        return f"∂{printer._print(self.args[0])}/∂{printer._print(self.args[1])}"


class Grad(sp.MatrixExpr):
    """∂f/∂V for a scalar f, shaped like V (the transpose of the numerator-layout Jacobian)."""

    def __new__(cls, f: sp.Expr, wrt: sp.MatrixExpr):
        return sp.Basic.__new__(cls, f, wrt)

    @property
    def shape(self):
        return self.args[1].shape

    def _latex(self, printer) -> str:
        return _partial_latex(printer, *self.args)

    def _sympystr(self, printer) -> str:
        return Jac._sympystr(self, printer)


# --- the scalar rules a matrix formula is made of: one representative unit, never the whole net


def hyperparameters(activation: str, given: dict) -> tuple:
    """An activation's hyperparameters as SymPy numbers, in the order of its defaults."""
    return tuple(_constant(given[k]) for k in ACTIVATIONS[activation].defaults)


def unit_activation(layer: Dense, z: sp.Expr) -> sp.Expr:
    """f(z) for one unit of an elementwise layer."""
    rule = ACTIVATIONS[layer.activation]
    values = hyperparameters(layer.activation, layer.activation_params)
    params = dict(zip(rule.defaults, values, strict=True))
    return rule.apply([z], params)[0]


def unit_derivative(layer: Dense, z: sp.Expr, a: sp.Expr) -> sp.Expr:
    """f'(z) for one unit, f(z) written back as a (σ' = a(1 − a)), as the element level does."""
    f = unit_activation(layer, z)
    derivative = f.diff(z)
    return derivative if isinstance(f, sp.Symbol) else derivative.xreplace({f: a})


@dataclass(frozen=True)
class LossParts:
    """A per-sample loss split into Σ_k term(ŷ_k, y_k) and whole-vector parts (log Σ e^{ŷ})."""

    term: sp.Expr  # in nt.a(depth, 1) and nt.y(1): the k-th summand, shown for k = 1
    output: sp.Symbol
    target: sp.Symbol
    logsumexp: bool

    @property
    def term_gradient(self) -> sp.Expr:
        """∂term/∂ŷ_k, entry k of the separable part of ∂L/∂ŷ."""
        return self.term.diff(self.output)


def loss_parts(net: Network) -> LossParts:
    """Split the network's loss into its per-output terms and a log-sum-exp, or fail naming it.

    Examples:
        >>> from symnn.spec.network import Network, Dense
        >>> parts = loss_parts(Network(2, [Dense(3)], "softmax_cross_entropy"))
        >>> parts.term, parts.logsumexp
        (-a_1_1*y_1, True)
    """
    depth, k_out = len(net.layers), net.outputs
    outputs = [nt.a(depth, k) for k in range(1, k_out + 1)]
    targets = [nt.y(k) for k in range(1, k_out + 1)]
    hyper = {k: _constant(v) for k, v in net.loss_params.items()}
    expr = LOSSES[net.loss].build(outputs, targets, hyper)
    terms = list(expr.args) if isinstance(expr, sp.Add) else [expr]
    by_unit: dict[int, list[sp.Expr]] = {k: [] for k in range(1, k_out + 1)}
    logsumexp = False
    for term in terms:
        if isinstance(term, LogSumExp) and list(term.args) == outputs:
            logsumexp = True
            continue
        units = [k for k in by_unit if term.has(outputs[k - 1]) or term.has(targets[k - 1])]
        if len(units) != 1:
            raise SymnnError(
                f"loss {net.loss!r}: cannot write the term {term} as one per output "
                "(the matrix level knows per-output terms and log-sum-exp)"
            )
        by_unit[units[0]].append(term)
    term = sp.Add(*by_unit[1])
    for k in range(2, k_out + 1):
        renamed = term.xreplace({outputs[0]: outputs[k - 1], targets[0]: targets[k - 1]})
        if sp.expand(renamed - sp.Add(*by_unit[k])) != 0:
            raise SymnnError(f"loss {net.loss!r}: its terms differ between outputs 1 and {k}")
    return LossParts(term, outputs[0], targets[0], logsumexp)


# --- instantiation at concrete widths (element-level symbols), for checks and small explicit forms


def _column(symbols) -> sp.Matrix:
    return sp.Matrix(list(symbols))


def _symbol_matrix(symbol: sp.MatrixSymbol, net: Network) -> sp.Matrix:
    kind, layer = nt.parse_matrix(symbol)
    widths = net.widths
    if kind == "xvec":
        return _column(nt.x(k) for k in range(1, widths[0] + 1))
    if kind == "yvec":
        return _column(nt.y(k) for k in range(1, widths[-1] + 1))
    if kind in ("Xbatch", "Ybatch"):  # one sample: the batch is the transposed vector
        return _symbol_matrix(sp.MatrixSymbol(kind[0].lower() + "vec", 1, 1), net).T
    if kind == "W":
        return sp.Matrix(
            widths[layer],
            widths[layer - 1],
            lambda j, k: nt.w(layer, j + 1, k + 1),
        )
    units = range(1, widths[layer] + 1)
    if kind == "bvec":
        has_bias = net.layers[layer - 1].has_bias
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
    from symnn.engine.element import backprop_for

    target = instantiate(expr.args[1], net)
    bp = backprop_for(net)

    def entry(s: sp.Expr) -> sp.Expr:
        if s == 0:
            return sp.S.Zero
        kind, (layer, *units) = nt.parse(s)
        if kind == "z":
            return nt.delta(layer, *units)
        if kind == "a":
            return nt.grad_a(layer, *units)
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
    if isinstance(expr, sp.MatrixSymbol):
        return _symbol_matrix(expr, net)
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
        from symnn.engine.jacobian import jacobian

        outs, ins = (_element_symbols(arg, net) for arg in expr.args)
        return jacobian(net, outs, ins)
    if isinstance(expr, sp.Identity | sp.ZeroMatrix | sp.OneMatrix):
        return sp.Matrix(expr.xreplace({nt.N_SAMPLES: sp.S.One}).as_explicit())
    raise SymnnError(f"cannot instantiate {type(expr).__name__}: {expr}")


__all__ = [
    "Apply",
    "Diag",
    "Grad",
    "HadamardDivide",
    "Jac",
    "LossParts",
    "instantiate",
    "loss_parts",
    "unit_activation",
    "unit_derivative",
]

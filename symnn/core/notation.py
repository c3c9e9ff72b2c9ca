"""The only place that names and typesets quantities: symbols for x, y, w, b, z, a, δ and L.

Every scalar symbol carries a machine name that is a valid Python identifier (``w_2_1_3`` is
w^{(2)}_{13}); a notation preset turns those names into LaTeX. Index order for weights: the first
index is the unit of this layer (row), the second the unit of the previous layer (column).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import sympy as sp

from symnn.core.errors import SymnnError
from symnn.core.registry import Registry

LOSS = sp.Symbol("L", real=True)
_REAL = sp.Symbol("_real", real=True)  # every symnn symbol is real: its facts are the template's


def real_symbol(name: str) -> sp.Symbol:
    """``sp.Symbol(name, real=True)``, built without re-deducing the assumptions each time.

    SymPy's constructor deduces the facts of ``real=True`` for every new name (~6 µs; a
    784-128-10 network has 101,632 weights) and its cache holds only the last thousand. A symbol
    is its name and assumptions, so this one is equal to, and hashes as, SymPy's own.
    """
    symbol = sp.Expr.__new__(sp.Symbol)
    symbol.name = name
    facts = _REAL._assumptions
    copied = dict.__new__(type(facts))  # a copy of the deduced facts, without deducing again
    dict.update(copied, facts)
    copied.__dict__.update(facts.__dict__)
    symbol._assumptions = copied
    symbol._assumptions_orig = _REAL._assumptions_orig
    symbol._assumptions0 = _REAL._assumptions0
    return symbol


@cache
def x(k: int) -> sp.Symbol:
    """Input k (from 1)."""
    return sp.Symbol(f"x_{k}", real=True)


@cache
def y(k: int) -> sp.Symbol:
    """Target k (from 1)."""
    return sp.Symbol(f"y_{k}", real=True)


@cache
def w(layer: int, j: int, k: int) -> sp.Symbol:
    """Weight from unit k of layer ``layer - 1`` to unit j of ``layer``."""
    return real_symbol(f"w_{layer}_{j}_{k}")


@cache
def e(layer: int, v: int, j: int) -> sp.Symbol:
    """Entry j (from 1) of row v (the token, from 0) of the embedding table of ``layer``."""
    return sp.Symbol(f"e_{layer}_{v}_{j}", real=True)


@cache
def b(layer: int, j: int) -> sp.Symbol:
    """Bias of unit j of ``layer``."""
    return sp.Symbol(f"b_{layer}_{j}", real=True)


@cache
def z(layer: int, j: int) -> sp.Symbol:
    """Pre-activation (weighted input) of unit j of ``layer``."""
    return sp.Symbol(f"z_{layer}_{j}", real=True)


@cache
def a(layer: int, j: int) -> sp.Symbol:
    """Activation (output) of unit j of ``layer``."""
    return sp.Symbol(f"a_{layer}_{j}", real=True)


@cache
def delta(layer: int, j: int) -> sp.Symbol:
    """δ = ∂L/∂z of unit j of ``layer``."""
    return sp.Symbol(f"delta_{layer}_{j}", real=True)


@cache
def grad_a(layer: int, j: int) -> sp.Symbol:
    """∂L/∂a of unit j of ``layer``, named so it is computed once."""
    return sp.Symbol(f"dL_da_{layer}_{j}", real=True)


@cache
def program_adjoint(layer: int, unit: int) -> sp.Symbol:
    """∂(output)/∂node for node number ``unit`` of a program (layer 0); no name looks like it."""
    return sp.Symbol(f"grad(node {unit})", real=True)


_KINDS = ("dL_da", "delta", "w", "b", "z", "a", "x", "y", "e")


@dataclass(frozen=True)
class Quantity:
    """A quantity kind a layer adds (a recurrent state h, a gate i, μ, σ², x̂, q, …): how it prints.

    ``latex`` is a format string with ``{l}`` for the layer and ``{i}`` for the other indices,
    e.g. ``r"\\mu^{{({l})}}_{{{i}}}"``; ``comma`` joins those indices with commas (h_{t,j}),
    otherwise they run together while every one has a digit (w_{12}). ``braced`` wraps the whole in
    braces, so a power of it (σ²)^{3/2} does not read as a double superscript. Its adjoint ∂L/∂q
    has the prefix ``dL_d`` + name and prints as ∂L/∂(q), or with a head of its own (``adjoint``,
    a format string like ``latex``), as δ names ∂L/∂z. ``text`` and ``adjoint_text`` are the
    Unicode heads a terminal prints ("" : SymPy's own name).
    """

    name: str
    latex: str
    text: str = ""
    comma: bool = False
    adjoint_latex: str = ""
    adjoint_text: str = ""
    braced: bool = True

    def __call__(self, layer: int, *units: int) -> sp.Symbol:
        return _quantity_symbol(self.name, layer, units)

    def adjoint(self, layer: int, *units: int) -> sp.Symbol:
        """∂L/∂(this quantity) at ``layer``, ``units``: a named adjoint, computed once."""
        return _quantity_symbol(f"dL_d{self.name}", layer, units)

    def indices(self, indices: tuple[int, ...]) -> str:
        """The indices after the layer as they are printed: ``2,1`` or ``21``."""
        rest = indices[1:]
        return ",".join(map(str, rest)) if self.comma else _sub(*rest)

    def typeset(self, indices: tuple[int, ...], adjoint: bool = False) -> str:
        """LaTeX of the entry at ``indices`` (layer first), or of its adjoint ∂L/∂(entry)."""
        if adjoint and not self.adjoint_latex:
            return rf"\frac{{\partial L}}{{\partial {self.typeset(indices)}}}"
        form = self.adjoint_latex if adjoint else self.latex
        printed = form.format(l=indices[0], i=self.indices(indices))
        return "{" + printed + "}" if self.braced else printed


@cache
def _quantity_symbol(prefix: str, layer: int, units: tuple[int, ...]) -> sp.Symbol:
    return sp.Symbol("_".join([prefix, str(layer), *map(str, units)]), real=True)


QUANTITIES: Registry[Quantity] = Registry("quantity")


def register_quantity(
    name: str,
    latex: str,
    *,
    text: str = "",
    comma: bool = False,
    adjoint: tuple[str, str] = ("", ""),
    braced: bool = True,
) -> Quantity:
    """Register a quantity kind (a layer's named intermediate or parameter) and return it.

    The one registry of the quantities layer kinds add; see ``Quantity`` for the fields.

    Examples:
        >>> mu = Quantity("mu", r"\\mu^{{({l})}}_{{{i}}}")
        >>> mu(2, 1).name, mu.adjoint(2, 1).name, mu.typeset((2, 1))
        ('mu_2_1', 'dL_dmu_2_1', '{\\\\mu^{(2)}_{1}}')
    """
    if not name.isidentifier() or name in _KINDS or name.startswith("dL_d"):
        raise ValueError(f"quantity {name!r}: expected a new identifier")
    found = Quantity(name, latex, text, comma, adjoint[0], adjoint[1], braced)
    return QUANTITIES.add(name, found)


def layered(head: str) -> str:
    """The format string of a quantity printed like the dense ones: ``head^{(l)}_{indices}``."""
    return head.replace("{", "{{").replace("}", "}}") + "^{{({l})}}_{{{i}}}"


def family(
    prefix: str, latex: str, text: str, *, comma: bool = True, adjoint: tuple[str, str] = ("", "")
) -> Quantity:
    """Register a quantity printed like the dense ones (h^{(l)}_{t,j}), unbraced: a family.

    ``latex``/``text`` are its heads; ``adjoint`` the heads of ∂L/∂(it) (LaTeX, text), as δ names
    ∂L/∂z ("": printed ∂L/∂h).
    """
    own = layered(adjoint[0]) if adjoint[0] else ""
    return register_quantity(
        prefix, layered(latex), text=text, comma=comma, adjoint=(own, adjoint[1]), braced=False
    )


def adjoint_quantity(symbol: sp.Symbol) -> sp.Symbol:
    """∂L/∂(an entry of a registered quantity): ``h_1_2_1`` -> ``dL_dh_1_2_1``."""
    return sp.Symbol(f"dL_d{symbol.name}", real=True)


def quantity(prefix: str, layer: int, *indices: int) -> sp.Symbol:
    """The symbol of a registered quantity's entry: ``quantity("h", 1, 2, 1)`` is h^{(1)}_{2,1}."""
    return _quantity_symbol(prefix, layer, indices)


def find_quantity(kind: str) -> tuple[Quantity, bool] | None:
    """The registered quantity a parsed kind names and whether it is its adjoint; else None."""
    if kind in QUANTITIES:
        return QUANTITIES[kind], False
    if kind.startswith("dL_d") and kind[4:] in QUANTITIES:
        return QUANTITIES[kind[4:]], True
    return None


def parse(symbol: sp.Symbol) -> tuple[str, tuple[int, ...]]:
    """Split a symnn symbol into its kind and indices: ``w_2_1_3`` -> ("w", (2, 1, 3))."""
    if symbol == LOSS:
        return "L", ()
    for kind in _kinds_in_order(len(QUANTITIES)):
        prefix = kind + "_"
        if symbol.name.startswith(prefix):
            rest = symbol.name[len(prefix) :].split("_")
            if all(part.isascii() and part.isdigit() for part in rest):
                return kind, tuple(int(part) for part in rest)
    raise SymnnError(f"{symbol.name!r} is not a symnn quantity")


@lru_cache(maxsize=8)
def _kinds_in_order(registered: int) -> tuple[str, ...]:
    """The kinds ``parse`` tries: the dense ones, then the quantities layer kinds add and their
    adjoints, longest prefix first. Keyed by the registry's size, which only grows, so a layer
    registered later is seen (documents parse hundreds of thousands of symbols)."""
    added = {*QUANTITIES, *(f"dL_d{name}" for name in QUANTITIES)}
    return (*_KINDS, *sorted(added, key=lambda k: (-len(k), k)))


def _sub(*indices: int) -> str:
    # Indices of one digit read best run together (w_{12}); wider ones need a comma.
    sep = "," if any(i > 9 for i in indices) else ""
    return sep.join(str(i) for i in indices)


@dataclass(frozen=True)
class Shape:
    """What a notation needs to know about the network: units per layer, inputs first."""

    widths: tuple[int, ...]

    @property
    def depth(self) -> int:
        return len(self.widths) - 1


@dataclass(frozen=True)
class Notation:
    """A notation preset: how each kind of quantity is typeset, and the convention it states."""

    name: str
    description: str
    typeset: Callable[[str, tuple[int, ...], Shape], str]

    def latex(self, symbol: sp.Symbol, shape: Shape) -> str:
        kind, indices = parse(symbol)
        return self.typeset(kind, indices, shape)

    def symbol_names(self, symbols: Sequence[sp.Symbol], shape: Shape) -> dict[sp.Symbol, str]:
        """LaTeX for each symbol, to hand to the printer."""
        return {s: self.latex(s, shape) for s in symbols}

    def namer(self, shape: Shape) -> Callable[[sp.Symbol], str | None]:
        """A function naming symnn symbols for the printer, None for any other symbol."""

        def name(symbol: sp.Symbol) -> str | None:
            try:
                return self.latex(symbol, shape)
            except SymnnError:
                return None

        return name


def _layered(kind: str, idx: tuple[int, ...], shape: Shape) -> str:
    if kind == "L":
        return "L"
    if kind in ("x", "y"):
        return f"{kind}_{{{idx[0]}}}"
    layer, rest = idx[0], idx[1:]
    head = {"w": "w", "b": "b", "z": "z", "a": "a", "delta": r"\delta", "e": "E"}.get(kind)
    if head is not None:
        return f"{head}^{{({layer})}}_{{{_sub(*rest)}}}"
    if kind == "dL_da":
        return rf"\frac{{\partial L}}{{\partial a^{{({layer})}}_{{{_sub(*rest)}}}}}"
    found = find_quantity(kind)
    if found is not None:
        return found[0].typeset(idx, adjoint=found[1])
    raise SymnnError(f"no layered notation for {kind!r}")


def _unit(layer: int, j: int, shape: Shape) -> str:
    """The per-neuron name of a unit: i for inputs, h for hidden units, o for outputs."""
    if layer == 0:
        return f"i_{{{j}}}"
    if layer == shape.depth:
        return f"o_{{{j}}}"
    if shape.depth == 2:
        return f"h_{{{j}}}"
    return f"h^{{({layer})}}_{{{j}}}"


def _weight_number(layer: int, j: int, k: int, shape: Shape) -> int:
    """Weights numbered 1, 2, … through the layers, row by row (w1 joins i1 to h1, w2 i2 to h1)."""
    before = sum(shape.widths[l] * shape.widths[l - 1] for l in range(1, layer))
    return before + (j - 1) * shape.widths[layer - 1] + k


def _neuron(kind: str, idx: tuple[int, ...], shape: Shape) -> str:
    if kind == "L":
        return r"E_{\mathrm{total}}"
    if kind == "x":
        return _unit(0, idx[0], shape)
    if kind == "y":
        return rf"\mathrm{{target}}_{{{_unit(shape.depth, idx[0], shape)}}}"
    if kind == "w":
        return f"w_{{{_weight_number(*idx, shape)}}}"
    unit = _unit(idx[0], idx[1], shape)
    if kind == "b":
        return f"b_{{{unit}}}"
    if kind == "z":
        return rf"\mathrm{{net}}_{{{unit}}}"
    if kind == "a":
        return rf"\mathrm{{out}}_{{{unit}}}"
    if kind == "delta":
        return rf"\delta_{{{unit}}}"
    if kind == "dL_da":
        return rf"\frac{{\partial E_{{\mathrm{{total}}}}}}{{\partial \mathrm{{out}}_{{{unit}}}}}"
    raise SymnnError(f"no neuron notation for {kind!r}")


# One output's term of the loss (E_total = E_o1 + E_o2 in Mazur's post): layer, then the output.
LOSS_TERM = register_quantity("lossterm", layered("L"), text="L")


def _mazur(kind: str, idx: tuple[int, ...], shape: Shape) -> str:
    """The neuron notation with Mazur's conventions: one bias b_l per layer, loss terms E_{o_j}."""
    if kind == "b":
        return f"b_{{{idx[0]}}}"
    if kind == "lossterm":
        return f"E_{{{_unit(shape.depth, idx[1], shape)}}}"
    return _neuron(kind, idx, shape)


def _yhat(kind: str, idx: tuple[int, ...], shape: Shape) -> str:
    """The layered notation, with the network's outputs a^{(D)}_j written ŷ_j (the prediction)."""
    if kind in ("a", "dL_da") and idx and idx[0] == shape.depth:
        prediction = rf"\hat{{y}}_{{{_sub(*idx[1:])}}}"
        return prediction if kind == "a" else rf"\frac{{\partial L}}{{\partial {prediction}}}"
    return _layered(kind, idx, shape)


NOTATIONS: Registry[Notation] = Registry("notation")
NOTATIONS.add(
    "layered",
    Notation(
        "layered",
        r"$w^{(l)}_{jk}$ joins unit $k$ of layer $l-1$ to unit $j$ of layer $l$; "
        r"$z^{(l)}_j$ is the weighted input, $a^{(l)}_j$ the activation, "
        r"$\delta^{(l)}_j = \partial L / \partial z^{(l)}_j$.",
        _layered,
    ),
)
NOTATIONS.add(
    "yhat",
    Notation(
        "yhat",
        r"$w^{(l)}_{jk}$ joins unit $k$ of layer $l-1$ to unit $j$ of layer $l$; "
        r"$z^{(l)}_j$ is the weighted input, $a^{(l)}_j$ the activation, "
        r"$\delta^{(l)}_j = \partial L / \partial z^{(l)}_j$; the network's outputs, its "
        r"prediction, are written $\hat{y}_j$.",
        _yhat,
    ),
)
NOTATIONS.add(
    "neuron",
    Notation(
        "neuron",
        r"inputs $i_k$, hidden units $h_j$, outputs $o_j$; $\mathrm{net}$ is a unit's weighted "
        r"input and $\mathrm{out}$ its output; weights $w_1, w_2, \dots$ are numbered layer by "
        r"layer, row by row.",
        _neuron,
    ),
)
NOTATIONS.add(
    "mazur",
    Notation(
        "mazur",
        r"as in Mazur's step-by-step backpropagation example: inputs $i_k$, hidden units "
        r"$h_j$, outputs $o_j$; $\mathrm{net}$ is a unit's weighted input and $\mathrm{out}$ its "
        r"output; weights $w_1, w_2, \dots$ are numbered layer by layer, row by row; one bias "
        r"$b_l$ is shared by the units of layer $l$ (it enters each as $b_l \cdot 1$), and the "
        r"error is the sum of one term per output, $E_{\mathrm{total}} = \sum_j E_{o_j}$.",
        _mazur,
    ),
)


# Matrix level: vectors and matrices of a layer as MatrixSymbols. Their machine names (W_2,
# zvec_2, Zbatch_2, …) never start with a scalar prefix ("w_", "z_", …), so ``parse`` keeps
# telling scalars apart, and ``parse_matrix`` reads these.
N_SAMPLES = sp.Symbol("N", integer=True, positive=True)
BATCH_LOSS = sp.Symbol("Lbar", real=True)  # printed \bar{L}: the mean loss over a batch

_MATRIX_HEADS = {
    "W": "W",
    "bvec": "b",
    "zvec": "z",
    "avec": "a",
    "deltavec": r"\delta",
    "Zbatch": "Z",
    "Abatch": "A",
    "Deltabatch": r"\Delta",
    "E": "E",  # an embedding's table (symnn/layers/embedding.py)
    "S": "S",  # the one-hot rows of an embedding's tokens
    "mvec": "m",  # a dropout mask (symnn/layers/dropout.py)
}
_MATRIX_PLAIN = {"xvec": "x", "yvec": "y", "Xbatch": "X", "Ybatch": "Y"}


def weights(layer: int, rows, cols) -> sp.MatrixSymbol:
    """W^{(l)} of shape (units_l, units_{l−1})."""
    return sp.MatrixSymbol(f"W_{layer}", rows, cols)


def vector(kind: str, layer: int, size) -> sp.MatrixSymbol:
    """The column vector of one sample's ``kind`` ("b", "z", "a", "delta") at ``layer``.

    a^{(0)} is the input x.

    Examples:
        >>> vector("a", 0, 3).name, vector("delta", 2, 4).shape
        ('xvec', (4, 1))
    """
    if kind == "a" and layer == 0:
        return sp.MatrixSymbol("xvec", size, 1)
    return sp.MatrixSymbol(f"{kind}vec_{layer}", size, 1)


def batch(kind: str, layer: int, size) -> sp.MatrixSymbol:
    """The N × size matrix of ``kind`` ("Z", "A", "Delta") at ``layer``, one sample per row.

    A^{(0)} is the input batch X.
    """
    if kind == "A" and layer == 0:
        return sp.MatrixSymbol("Xbatch", N_SAMPLES, size)
    return sp.MatrixSymbol(f"{kind}batch_{layer}", N_SAMPLES, size)


def targets(size) -> sp.MatrixSymbol:
    return sp.MatrixSymbol("yvec", size, 1)


def target_batch(size) -> sp.MatrixSymbol:
    return sp.MatrixSymbol("Ybatch", N_SAMPLES, size)


def parse_matrix(symbol: sp.MatrixSymbol) -> tuple[str, int | None]:
    """Kind and layer of a matrix-level symbol: ``W_2`` -> ("W", 2), ``xvec`` -> ("xvec", None)."""
    name = symbol.name
    if name in _MATRIX_PLAIN:
        return name, None
    kind, _, layer = name.rpartition("_")
    if kind in _MATRIX_HEADS and layer.isascii() and layer.isdigit():
        return kind, int(layer)
    raise SymnnError(f"{name!r} is not a symnn matrix quantity")


@dataclass(frozen=True)
class MatrixQuantity:
    """A matrix quantity a layer adds (W_ih, h_t, Q, P, X̂, …): its machine prefix, LaTeX, entries.

    Its symbols are named ``{name}_{layer}`` or ``{name}_{layer}_{h}…`` (h: a time step, a head,
    a group); ``latex`` is a format string with ``{l}`` for the layer and ``{h}`` for the further
    indices (``_{}`` dropped when there are none), joined by commas when ``comma``, and wrapped in
    braces when ``braced``. Its explicit matrix of element-level symbols, so every matrix step can
    be checked entry by entry, comes from ``elements(network, indices)`` (the whole matrix) or
    ``entry(layer, further indices, i, j)`` (row i, column j, from 0, at the symbol's shape).
    """

    name: str
    latex: str
    elements: Callable | None = None
    entry: Callable[[int, tuple[int, ...], int, int], sp.Expr] | None = None
    comma: bool = False
    braced: bool = True

    def __call__(self, layer: int, rows, cols, *more: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("_".join([self.name, str(layer), *map(str, more)]), rows, cols)

    def typeset(self, indices: tuple[int, ...]) -> str:
        rest = indices[1:]
        below = ",".join(map(str, rest)) if self.comma else _sub(*rest)
        printed = self.latex.format(l=indices[0], h=below).replace("_{}", "")
        return "{" + printed + "}" if self.braced else printed

    def explicit(self, symbol: sp.MatrixSymbol, network, indices: tuple[int, ...]) -> sp.Matrix:
        """The matrix of element-level symbols ``symbol`` (named by ``indices``) stands for."""
        if self.entry is not None:
            entry, layer, rest = self.entry, indices[0], indices[1:]
            return sp.Matrix(*symbol.shape, lambda i, j: entry(layer, rest, i, j))
        return sp.Matrix(self.elements(network, indices))


MATRIX_QUANTITIES: Registry[MatrixQuantity] = Registry("matrix quantity")


def matrix_quantity(
    name: str,
    latex: str,
    elements: Callable | None = None,
    *,
    entry: Callable | None = None,
    comma: bool = False,
    braced: bool = True,
) -> MatrixQuantity:
    """Register a layer's matrix quantity (see ``MatrixQuantity``) and return it.

    The one registry of the matrix quantities layer kinds add.
    """
    if not name.isidentifier() or "_" in name or name in _MATRIX_HEADS or name in _MATRIX_PLAIN:
        raise ValueError(f"matrix quantity {name!r}: expected a new name without '_'")
    if (elements is None) == (entry is None):
        raise ValueError(f"matrix quantity {name!r}: give its elements or its entry, one of them")
    found = MatrixQuantity(name, latex, elements, entry, comma, braced)
    return MATRIX_QUANTITIES.add(name, found)


def matrix_family(prefix: str, latex: str, entry: Callable) -> MatrixQuantity:
    """Register a matrix quantity printed like the dense ones, ``head^{(l)}_{t}``, unbraced."""
    head = latex.replace("{", "{{").replace("}", "}}") + "^{{({l})}}_{{{h}}}"
    return matrix_quantity(prefix, head, entry=entry, comma=True, braced=False)


def family_matrix(prefix: str, layer: int, *indices: int, shape: tuple) -> sp.MatrixSymbol:
    """``family_matrix("hseq", 1, 2, shape=(H, 1))`` is h^{(1)}_2, a column of H entries."""
    return MATRIX_QUANTITIES[prefix](layer, *shape, *indices)


def find_matrix_quantity(symbol: sp.Basic) -> tuple[MatrixQuantity, tuple[int, ...]] | None:
    """The registered matrix quantity a MatrixSymbol names, and its indices; None otherwise."""
    if not isinstance(symbol, sp.MatrixSymbol):
        return None
    head, *rest = symbol.name.split("_")
    if head in MATRIX_QUANTITIES and rest and all(p.isascii() and p.isdigit() for p in rest):
        return MATRIX_QUANTITIES[head], tuple(int(p) for p in rest)
    return None


def matrix_latex(symbol: sp.MatrixSymbol) -> str | None:
    """LaTeX of a matrix-level symbol (W^{(2)}, δ^{(1)}, X), None for any other."""
    found = find_matrix_quantity(symbol)
    if found is not None:
        return found[0].typeset(found[1])
    try:
        kind, layer = parse_matrix(symbol)
    except SymnnError:
        return None
    if layer is None:
        return _MATRIX_PLAIN[kind]
    return f"{_MATRIX_HEADS[kind]}^{{({layer})}}"


_ACTIVATION_HEADS = {
    "identity": r"\operatorname{id}",
    "step": r"\operatorname{step}",
    "sigmoid": r"\sigma",
    "tanh": r"\tanh",
    "relu": r"\operatorname{ReLU}",
    "leaky_relu": r"\operatorname{LeakyReLU}",
    "softplus": r"\operatorname{softplus}",
    "elu": r"\operatorname{ELU}",
    "silu": r"\operatorname{SiLU}",
    "swish": r"\operatorname{SiLU}",
    "gelu": r"\operatorname{GELU}",
    "softmax": r"\operatorname{softmax}",
}


def activation_latex(name: str) -> str:
    """The LaTeX name of an activation applied to a vector (σ, ReLU, …); others by their name."""
    escaped = name.replace("_", r"\_")
    return _ACTIVATION_HEADS.get(name, rf"\operatorname{{{escaped}}}")

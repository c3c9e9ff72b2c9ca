"""The layer extension surface: a Layer protocol, the LAYERS registry and what layers build with.

A layer kind is one module (``symnn/layers/dense.py``, ``add.py``, …) holding its spec dataclass,
its shape checks, its parameters, its element-level definitions tagged by NodeKind, and an
independent forward for the autodiff oracle. ``@layer`` registers it, which enrols it in
``tests/test_layers.py``. A network is a graph: a layer reads the blocks named in ``inputs``
(earlier layers by ``name``, or ``"input"``); without them it reads the previous block.

The matrix-level derivation (``symnn.engine.matrix``) is assembled from an optional per-layer
hook, as the generated matrix NumPy is from ``numpy_forward``/``numpy_backward``: a layer kind
that can be written per sample with column vectors defines ``matrix_rule(self, m)``. It reads a
``MatrixContext`` (the block number, the vectors of the blocks it reads, its output vector, and
the adjoint ∂L/∂a of its output as a matrix expression) and returns a ``MatrixRule``: its forward
definitions, its local Jacobians, the typeset Steps of its backward step, what it passes back to
each input (``Pullback``: the chain-rule form (∂out/∂in)ᵀ ∂L/∂out and its simplified value) and
its parameter gradients. The engine sums the pullbacks of every reader of a block into that
block's adjoint and a shared parameter's gradient over its uses; a layer without the hook is
refused at the matrix level by name. Likewise ``index_rule(self, c: IndexContext) -> IndexRule``
gives a layer's part of a graph's index form (symbolic widths; see ``engine/index_form.py``);
a graph with a layer without it has none. A minimal example, a layer that scales its input by a
constant 2 (``a = 2 u``, no parameters)::

    from symnn.core.matexpr import Grad, Jac
    from symnn.layers.base import MatrixContext, MatrixRule, Pullback, Step

    def matrix_rule(self, m: MatrixContext) -> MatrixRule:
        (u,) = m.inputs
        a = m.output
        two_i = 2 * sp.Identity(a.shape[0])
        return MatrixRule(
            forward=(Step(a, 2 * u, "definition"),),
            jacobians=(Step(Jac(a, u), two_i, "jacobian_linear"),),
            pullbacks=(Pullback(sp.MatMul(two_i.T, m.adjoint_name), 2 * m.adjoint_name),),
        )

A layer with parameters or an inner quantity (a dense layer's z and δ) also returns ``backward``
(Steps from ``m.adjoint`` to its own named adjoint, e.g. δ = (∂a/∂z)ᵀ ∂L/∂a = …), ``adjoints``
(the results, e.g. δ = …) and ``gradients`` (∂L/∂W = δ uᵀ, one Step per parameter; see
``layers/dense.py``). ``m.adjoint`` is the adjoint's value: ∂L/∂a by name, except at the output,
where it is the loss's vector form and ``m.adjoint_steps`` are the loss's steps that establish it
(a layer whose ``backward`` reads them places them there; the engine shows them otherwise). Only
a plain stack of dense layers sets ``m.chain``. Rule names cited in Steps are keys of
``symnn.core.steps.RULES`` (add one with ``RULES.setdefault(name, text)``); the layer's
``examples`` are enrolled in ``tests/test_layers.py``, which checks every step against the element
level, so a wrong rule fails there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
import sympy as sp

from symnn.core.errors import SymnnError, short_repr
from symnn.core.graph import NODE_KINDS, Definition, NodeKind, Parameter, _constant, product
from symnn.core.registry import Registry
from symnn.core.steps import Step

__all__ = [
    "INPUT",
    "LAYERS",
    "Merge",
    "IndexContext",
    "IndexRule",
    "MatrixContext",
    "MatrixRule",
    "Pullback",
    "Step",
    "NODE_KINDS",
    "GraphBuilder",
    "Layer",
    "NodeKind",
    "OracleContext",
    "ParameterSpec",
    "SpecContext",
    "constant",
    "layer",
    "product",
]

INPUT = "input"  # the name by which a layer's ``inputs`` reads the network's input x
MAX_UNITS = 100_000  # a width beyond this is a typo, not a network to derive


# -- spec value checks (errors name the key, the expectation and what was found) ---------------
def fail(key: str, expected: str, found: object) -> SymnnError:
    return SymnnError(f"{key}: expected {expected}, found {short_repr(found)}")


def positive_int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise fail(key, "a positive integer", value)
    if value > MAX_UNITS:
        raise fail(key, f"at most {MAX_UNITS:,} units", value)
    return int(value)


def finite(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise fail(key, "a number", value)
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise fail(key, "a number within float range (about ±1.8e308)", value) from None
    if not math.isfinite(number):
        raise fail(key, "a finite number", value)
    return number


def vector(values: object, length: int, key: str) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise fail(key, f"a list of {length} numbers", values)
    if len(values) != length:
        raise fail(key, f"a list of {length} numbers", f"{len(values)} numbers")
    return tuple(finite(v, f"{key}[{i}]") for i, v in enumerate(values))


def matrix(rows: object, shape: tuple[int, int], key: str) -> tuple[tuple[float, ...], ...]:
    expected = f"{shape[0]} rows of {shape[1]} numbers"
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence | np.ndarray):
        raise fail(key, expected, rows)
    if len(rows) != shape[0]:
        raise fail(key, expected, f"{len(rows)} rows")
    return tuple(vector(row, shape[1], f"{key}[{i}]") for i, row in enumerate(rows))


def lookup(registry, name: object, key: str):
    """A registry entry, with the spec key named when the name is unknown."""
    try:
        return registry[name]
    except SymnnError as error:
        raise SymnnError(f"{key}: {error}") from None


def hyperparameters(given: Mapping[str, object], defaults: Mapping[str, float], key: str):
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(defaults) or "none"
        raise SymnnError(f"{key}: unknown parameter {unknown[0]!r}; known: {known}")
    merged = {**defaults, **given}
    values = tuple((name, finite(merged[name], f"{key}.{name}")) for name in defaults)
    for name, value in values:
        # slope, alpha and delta are all scales: zero or a negative one turns the rule inside out.
        if value <= 0:
            raise fail(f"{key}.{name}", "a positive number", value)
    return values


constant = _constant  # a hyperparameter as it prints: 0.01 stays 0.01, 1.0 becomes 1


# -- what a layer declares ------------------------------------------------------------------
@dataclass(frozen=True)
class ParameterSpec:
    """One parameter array a layer owns: its name, shape, and how it is initialised or given.

    ``init`` is "weights" (drawn with fan-in ``shape[1]`` and fan-out ``shape[0]``, each times
    ``prod(shape[2:])`` for a kernel) or "bias"
    (zeros unless given); ``given`` holds the values written in the spec, if any.
    """

    name: str
    shape: tuple[int, ...]
    init: str
    trainable: bool = True
    given: Any = None
    key: str = ""  # the spec key that gives the values, for the error when they are missing


@dataclass
class SpecContext:
    """What a layer's check sees of the network so far: names, widths and checked layers.

    ``shapes`` holds the parameter shapes by name; ``block_shapes`` each block's shape (a block is
    a flat vector of ``prod(shape)`` entries in row-major order: (C, H, W) for an image, (T, d)
    for a sequence). A layer that reads blocks as more than vectors declares ``output_shape``.
    """

    inputs: int
    names: dict[str, int] = field(default_factory=dict)
    widths: list[int] = field(default_factory=list)
    layers: list[Layer] = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None
    block_shapes: list[tuple[int, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.names = {INPUT: 0}
        self.widths = [self.inputs]
        self.block_shapes = [tuple(self.input_shape or (self.inputs,))]

    def output_shape(self, checked: Layer, blocks: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of the block ``checked`` writes: its ``output_shape``, else a vector."""
        width = self.widths[-1]
        declare = getattr(checked, "output_shape", None)
        if declare is None:
            return (width,)
        shape = tuple(declare(tuple(self.block_shapes[b] for b in blocks)))
        if math.prod(shape) != width:
            raise SymnnError(
                f"layer kind {checked.kind!r}: output_shape {shape} has not {width} entries"
            )
        return shape

    def block(self, name: object, key: str) -> int:
        """The block (0 = input, l = layer l) a name refers to; errors name the key."""
        if not isinstance(name, str):
            raise fail(key, "a layer name", name)
        if name not in self.names:
            known = ", ".join(self.names)
            raise SymnnError(
                f"{key}: unknown layer {name!r} (a layer reads only earlier layers, so a later "
                f"name would make a cycle); known: {known}"
            )
        return self.names[name]


class Layer(Protocol):
    """A layer kind: a frozen dataclass registered with ``@layer``.

    ``name`` lets later layers read it; ``inputs`` names the blocks it reads (empty: the previous
    block). ``activation`` is what its output passes through last (for the loss's checks).
    """

    kind: ClassVar[str]
    name: str
    inputs: tuple[str, ...]

    @property
    def activation(self) -> str: ...

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Layer:
        """The layer with its values validated; errors name ``key``."""

    def width(self, sizes: tuple[int, ...]) -> int:
        """The size of its output block, given the sizes of the blocks it reads."""

    # Optional: ``output_shape(shapes) -> tuple[int, ...]``, its output block's shape given the
    # shapes of the blocks it reads (``ctx.block_shapes`` in ``checked``); without it, a vector.

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        """The ParameterSpecs it owns (a shared weight is owned by the layer that names it)."""

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        """Its element-level definitions, written into ``g``; returns its output symbols."""

    def oracle(self, o: OracleContext, block: int, xs: list) -> Any:
        """Its forward in autograd.numpy, independent of the engine (batch rows are samples)."""


LAYERS: Registry[type] = Registry("layer kind")


@dataclass(frozen=True)
class Merge:
    """What add and concat share: two or more earlier blocks read, no parameters, no activation."""

    inputs: tuple[str, ...] = ()
    name: str = ""

    kind: ClassVar[str]
    joins: ClassVar[str]  # the verb its error uses: "add", "join"
    activation: ClassVar[str] = "identity"  # the merge passes through no activation

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext) -> Merge:
        if len(self.inputs) < 2:
            raise fail(
                f"{key}.inputs", f"at least two layer names to {self.joins}", list(self.inputs)
            )
        return self

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        return []


def layer(cls: type) -> type:
    """Register a layer kind under ``cls.kind`` (TOML ``kind = "…"``)."""
    LAYERS.add(cls.kind, cls)
    return cls


class GraphBuilder:
    """What layers write into: parameter arrays by name, and definitions in graph order."""

    def __init__(self, network) -> None:
        self.network = network
        self.parameters: list[Parameter] = []
        self.definitions: list[Definition] = []
        self._by_name: dict[str, Parameter] = {}

    def parameter(self, name: str, symbols: sp.Array, block: int, trainable: bool) -> Parameter:
        p = Parameter(name, symbols, block, trainable)
        self.parameters.append(p)
        self._by_name[name] = p
        return p

    def array(self, name: str) -> Parameter:
        """A parameter array defined earlier (a shared weight reads its owner's symbols)."""
        return self._by_name[name]

    def define(
        self,
        symbols: Sequence[sp.Symbol],
        exprs: Sequence[sp.Expr],
        kind: NodeKind,
        block: int,
        units: Sequence[int] | None = None,
    ) -> list[sp.Symbol]:
        """``symbols[j] := exprs[j]`` for every unit j of ``block``, all of one node kind.

        ``units`` numbers them (from 1; default 1, 2, …): the reverse walk reads a block's nodes
        of one kind in that order, so a recurrent layer numbers its last time step first.
        """
        if NODE_KINDS[kind.name] != kind:
            raise SymnnError(f"node kind {kind.name!r} is not the registered one")
        numbers = range(1, len(symbols) + 1) if units is None else units
        for j, s, e in zip(numbers, symbols, exprs, strict=True):
            self.definitions.append(Definition(s, e, kind, block, j))
        return list(symbols)


@dataclass(frozen=True)
class OracleContext:
    """What a layer's oracle forward reads: autograd.numpy, the oracle's activations, values."""

    anp: Any
    activations: Mapping[str, Callable]
    params: Mapping[str, Any]
    network: Any


# -- the batched NumPy rules (samples as rows) that codegen.matrix assembles ------------------
class ArrayCode:
    """Collects the lines of a generated function body and the numerics it calls.

    A layer's NumPy rule writes through it: ``numpy_forward(c, block, ins)`` emits the lines
    that compute ``A{block}`` from the arrays named ``ins``; ``numpy_backward(c, block, g, ins)``
    turns the code ``g`` of ∂L/∂A{block} (None: the fused loss already wrote Delta{block}) into
    the code of ∂L/∂(each input) and the per-sample-summed gradient term of each parameter.
    """

    def __init__(self, network: Any = None, keep_arrays: bool = False) -> None:
        self.network = network
        self.keep_arrays = keep_arrays  # NumPy writes into ``work``; JAX and PyTorch cannot
        self.lines: list[str] = []
        self.calls: set[str] = set()
        self.kept_names: set[str] = set()

    def emit(self, line: str) -> None:
        self.lines.append(f"    {line}")

    def expr(self, printer, expr: sp.Expr) -> str:
        self.calls |= {
            type(f).code_name for f in expr.atoms(sp.Function) if getattr(type(f), "code_name", "")
        }
        return printer.doprint(expr)

    def call(self, name: str, *args: str) -> str:
        self.calls.add(name)
        return f"{name}({', '.join(args)})"

    def kept(self, name: str, width: int) -> str:
        """The code of the array an N × width intermediate is written into (``out=``): kept in the
        caller's ``work`` dict between calls, or fresh when there is none (``numerics.kept``)."""
        self.calls.add("kept")
        self.kept_names.add(name)
        return f'kept(work, "{name}", (N, {width}))'

    def product(self, left: str, right: str, name: str, width: int) -> str:
        """The code of ``left @ right``, written into the kept array ``name`` if arrays are kept."""
        if not self.keep_arrays:
            return f"{left} @ {right}"
        return f"numpy.matmul({left}, {right}, out={self.kept(name, width)})"

    def into(self, call: str, name: str, width: int) -> str:
        """A one-argument call ``f(Z)`` given ``out=`` the kept array ``name`` (when kept)."""
        if not self.keep_arrays:
            return call
        return f"{call[:-1]}, out={self.kept(name, width)})"

    def named(self, text: str, name: str) -> str:
        """``text`` if it is a bare name, else a new line ``name = text`` and ``name``."""
        if text.isidentifier():
            return text
        self.emit(f"{name} = {text}")
        return name


def is_call(text: str) -> bool:
    """``name(...)`` whose first parenthesis closes at the very end."""
    head, paren, _ = text.partition("(")
    if not paren or not head.replace(".", "_").isidentifier() or not text.endswith(")"):
        return False
    depth = 0
    for position, char in enumerate(text[len(head) :], start=len(head)):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return position == len(text) - 1
    return False


def single_product(text: str) -> tuple[str, str] | None:
    """``("P", "Q")`` when the code ``text`` is one matrix product ``P @ Q`` of names, else None."""
    import ast

    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult)):
        return None
    operands = (node.left, node.right)
    if not all(isinstance(n, ast.Name | ast.Attribute) for n in operands):
        return None
    left, right = (ast.unparse(n) for n in operands)
    return left, right


def is_fresh(text: str) -> bool:
    """Whether the code ``text`` makes a new array (an operator's result) that no name shares.

    A layer may then scale it in place (``Delta1 *= …``): a bare name, a slice, an attribute or a
    call may share memory with another array (a view, an alias), an operator's result never does.
    """
    import ast

    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return False
    return isinstance(node, ast.BinOp | ast.UnaryOp)


def parenthesised(text: str) -> str:
    atomic = text.isidentifier() or is_call(text) or text.replace(".", "", 1).isdigit()
    return text if atomic else f"({text})"


def joined(terms: list[str]) -> str:
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


# -- the matrix-level derivation's per-layer hook ---------------------------------------------
@dataclass(frozen=True)
class MatrixContext:
    """What a layer's ``matrix_rule`` sees: its block's vectors and the adjoint of its output.

    ``inputs`` are the column vectors a^{(b)} (x for the input) of the blocks it reads, in order;
    ``output`` is a^{(block)}. ``adjoint`` is ∂L/∂a^{(block)} as the steps should read it: the
    named ∂L/∂a, or at the output the loss's vector form (``adjoint_steps`` derive it there).
    ``chain`` is True when the network is a plain stack of dense layers, which the engine lays out
    the textbook way: a hidden layer's adjoint is then the reader's ``chain`` form, substituted
    into ``adjoint`` (with ``adjoint_note``) inside the layer's own steps. ``path_jacobian(c, b)``
    is ∂a^{(c)}/∂a^{(b)} along earlier layers' ``explicit`` Jacobians (None where one is missing).
    """

    network: Any
    block: int
    inputs: tuple[sp.MatrixExpr, ...]
    output: sp.MatrixSymbol
    adjoint_name: sp.MatrixExpr
    adjoint: sp.MatrixExpr
    adjoint_steps: tuple = ()
    adjoint_chain: sp.MatrixExpr | None = None
    adjoint_note: str = ""
    chain: bool = False
    path_jacobian: Callable[[int, int], sp.MatrixExpr | None] = lambda later, earlier: None

    def depends(self, later: int, earlier: int) -> bool:
        """Whether block ``later`` is computed from block ``earlier``."""
        if later == earlier:
            return True
        sources = self.network.sources
        return later > 0 and any(self.depends(b, earlier) for b in sources[later - 1])

    @property
    def is_output(self) -> bool:
        return self.block == len(self.network.layers)

    @property
    def sources(self) -> tuple[int, ...]:
        return self.network.sources[self.block - 1]


@dataclass(frozen=True)
class Pullback:
    """What a layer passes back to one input u: (∂a/∂u)ᵀ ∂L/∂a as the chain rule writes it, and
    simplified (``value``); ``note`` says what was substituted."""

    chain: sp.MatrixExpr
    value: sp.MatrixExpr
    note: str = ""


@dataclass(frozen=True)
class MatrixRule:
    """One layer's part of the matrix-level derivation (every field is typeset data).

    ``forward``: its definitions in forward order (z = W a + b, a = f(z)). ``jacobians``: its local
    Jacobians, a section headed ``jacobian_head`` (default ∂a/∂u for its first input u).
    ``backward``: the steps from the adjoint of its output to its own named adjoints, whose final
    values are ``adjoints`` (e.g. δ = …). ``pullbacks``: one per input, in the order it reads
    them. ``gradients``: ∂L/∂P = … for each parameter it uses (a shared one: this use's term),
    and ``gradient_steps`` the worked steps to them (default: ``gradients``). For a plain stack
    (``m.chain``), ``batch`` holds its forward over a batch (samples as rows),
    ``batch_gradients`` its gradients of the batch mean and ``index`` its δ in index form.
    ``explicit``: per input u, ∂a/∂u as a product of named quantities, or None, which
    ``MatrixContext.path_jacobian`` chains (a residual's J_F); ``symbols``: the layer's own
    matrix quantities, for documents and tests.
    """

    forward: tuple = ()
    jacobians: tuple = ()
    jacobian_head: Any = None
    backward: tuple = ()
    adjoints: tuple = ()
    pullbacks: tuple[Pullback, ...] = ()
    gradients: tuple = ()
    gradient_steps: tuple | None = None
    batch: tuple = ()
    batch_gradients: tuple = ()
    index: tuple = ()
    explicit: tuple = ()
    symbols: Any = None


# -- the index form of a network that is a graph (symbolic widths n^{(l)}, units j and k) ------
@dataclass(frozen=True)
class IndexContext:
    """What a layer's ``index_rule`` sees: its block, the unit symbols and its output's adjoint.

    ``adjoint`` is ∂L/∂a^{(block)}_j as the engine assembled it from the block's readers (a sum of
    their terms), or None at the output, whose adjoint the loss gives. Widths stay symbolic
    (``indexed.width(b)``), so the formulas read as in a textbook and tests substitute numbers.
    """

    network: Any
    block: int
    j: sp.Symbol
    k: sp.Symbol
    adjoint: sp.Expr | None = None

    @property
    def sources(self) -> tuple[int, ...]:
        return self.network.sources[self.block - 1]


@dataclass(frozen=True)
class IndexRule:
    """One layer's part of the index form.

    ``pullbacks``: per input, the term unit j of that input receives (e.g. Σ_k w_kj δ_k), with
    ``passes`` saying why in words and ``rule`` the rule cited where it is the only reader;
    ``backward``: steps from ∂L/∂a_j to its own adjoints (δ_j); ``gradients``: per parameter use,
    its name, ∂L/∂p_{jk} and this use's term.
    """

    pullbacks: tuple[sp.Expr, ...] = ()
    passes: str = ""  # how it passes an adjoint back, for the step that reads it
    rule: str = "multivariate_chain_rule"  # the rule cited where it is a block's only reader
    backward: tuple = ()
    gradients: tuple[tuple[str, sp.Expr, sp.Expr], ...] = ()


def without_matrix_derivation(network: Any) -> str | None:
    """The first layer with no ``matrix_rule``, as a message naming it (None: all have one)."""
    for index, found in enumerate(network.layers, start=1):
        if not hasattr(found, "matrix_rule"):
            return (
                f"layers[{index}]: the layer kind {found.kind!r} has no matrix-level derivation "
                "rule; use the element level"
                + (" (its matrix-level code exists)" if hasattr(found, "numpy_forward") else "")
            )
    return None


def without_matrix_rule(network: Any) -> str | None:
    """The first layer with no matrix-level rule, as a message naming it (None: all have one)."""
    for index, found in enumerate(network.layers, start=1):
        if not hasattr(found, "numpy_forward"):
            return (
                f"layers[{index}]: the layer kind {found.kind!r} has no matrix-level rule; "
                "use the element level"
            )
    return None


# -- inputs that are not plain numbers (token indices): a layer reading the input says so ------
def _input_readers(network: Any) -> list[tuple[int, Any]]:
    """(layer number, layer) for each layer that reads the network's input block."""
    pairs = zip(network.layers, network.sources, strict=True)
    return [(index, found) for index, (found, blocks) in enumerate(pairs, start=1) if 0 in blocks]


def sample_inputs(network: Any, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random input rows of the kind the network reads (token indices for an embedding).

    A layer reading the input may declare ``sample_inputs(rng, n, width)``; otherwise the
    entries are standard normal.
    """
    for _, found in _input_readers(network):
        draw = getattr(found, "sample_inputs", None)
        if draw is not None:
            return draw(rng, n, network.inputs)
    return rng.normal(0.0, 1.0, (n, network.inputs))


def check_inputs(network: Any, X: Any, key: str) -> None:
    """Every layer reading the input checks the rows ``X`` (``check_inputs(X, key, where)``)."""
    for index, found in _input_readers(network):
        check = getattr(found, "check_inputs", None)
        if check is not None:
            check(np.asarray(X, dtype=float), key, layer_key(network, index))


def input_code(network: Any) -> list[str]:
    """Lines that check X at run time in generated code (``input_code(where)`` of each reader)."""
    lines: list[str] = []
    for index, found in _input_readers(network):
        code = getattr(found, "input_code", None)
        if code is not None:
            lines += code(layer_key(network, index))
    return lines


def layer_key(network: Any, index: int) -> str:
    """``layers[2] (embedding)``: the key and kind of a layer, for messages."""
    found = network.layers[index - 1]
    named = f" {found.name!r}" if getattr(found, "name", "") else ""
    return f"layers[{index}] ({found.kind}{named})"

"""Network specs as frozen dataclasses (plain data, no SymPy) and their validation.

Parameters are named ``W1, b1, W2, b2, …`` (layers counted from 1); ``W_l`` has shape
(units_l, units_{l−1}): row j holds the weights into unit j of layer l.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

import symnn.layers  # noqa: F401  (registers every layer kind)
from symnn.core.errors import SymnnError
from symnn.core.notation import NOTATIONS
from symnn.layers.base import (
    LAYERS,
    MAX_UNITS,
    ParameterSpec,
    SpecContext,
    check_inputs,
    fail,
    finite,
    hyperparameters,
    lookup,
    matrix,
    positive_int,
    vector,
)
from symnn.layers.dense import Dense
from symnn.rules.losses import LOSSES

__all__ = ["MAX_UNITS", "PROBABILITY_OUTPUTS", "Data", "Dense", "Network"]

PROBABILITY_OUTPUTS = ("sigmoid", "softmax")  # activations whose values lie in (0, 1)

# The value checks live with the layers, which use them too; these names are the old ones.
_fail, _positive_int, _finite = fail, positive_int, finite
_vector, _matrix, _lookup, _hyperparameters = vector, matrix, lookup, hyperparameters


@dataclass(frozen=True)
class Data:
    """Samples as rows: ``x`` is N × inputs, ``y`` is N × outputs."""

    x: Sequence[Sequence[float]]
    y: Sequence[Sequence[float]]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.x, dtype=float), np.asarray(self.y, dtype=float)


@dataclass(frozen=True)
class Network:
    """A feed-forward network: input width, layers, a loss, and optional data.

    Layers are any registered layer kind (``symnn.layers.LAYERS``); a layer reads the blocks its
    ``inputs`` name (earlier layers, or "input"), by default the previous one, so the network is
    a graph whose last layer is the output.

    Examples:
        >>> net = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")
        >>> net.widths
        (2, 2, 2)
        >>> [name for name, _ in net.parameter_shapes()]
        ['W1', 'b1', 'W2', 'b2']
    """

    inputs: int
    layers: Sequence[Dense]  # or any registered layer kind
    loss: str = "squared_error"
    loss_params: Mapping[str, float] = field(default_factory=dict)
    name: str = ""
    data: Data | None = None
    learning_rate: float | None = None
    notation: str = "layered"
    # The input block's shape when it is not a plain vector (channels × height × width, steps ×
    # features, …): entries are flattened in row-major (C) order, so its product is ``inputs``.
    input_shape: Sequence[int] | None = None

    def __post_init__(self) -> None:
        _positive_int(self.inputs, "inputs")
        if self.input_shape is not None:
            object.__setattr__(self, "input_shape", self._checked_input_shape())
        if isinstance(self.layers, tuple(LAYERS[k] for k in LAYERS)) or not isinstance(
            self.layers, Sequence
        ):
            raise _fail("layers", "a list of layers", self.layers)
        if not self.layers:
            raise _fail("layers", "at least one layer", "none")
        self._check_graph()
        loss = _lookup(LOSSES, self.loss, "loss")
        params = _hyperparameters(self.loss_params, loss.defaults, "loss_params")
        object.__setattr__(self, "loss_params", dict(params))
        self._check_loss_fits(loss)
        if self.data is not None:
            object.__setattr__(self, "data", self._checked_data(self.data))
        if self.learning_rate is not None:
            rate = _finite(self.learning_rate, "learning_rate")
            if rate <= 0:
                raise _fail("learning_rate", "a positive number", self.learning_rate)
        if not isinstance(self.name, str):
            raise _fail("name", "a string", self.name)
        _lookup(NOTATIONS, self.notation, "notation")

    def __hash__(self) -> int:
        # Computed once: caches look specs up every training step, and repr walks all the data.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(self.key())
            object.__setattr__(self, "_hash", cached)
        return cached

    def key(self) -> str:
        """A stable text key for caches (the spec's repr is deterministic once validated)."""
        return repr(self)

    def _checked_input_shape(self) -> tuple[int, ...]:
        shape = self.input_shape
        if isinstance(shape, str | bytes) or not isinstance(shape, Sequence) or not shape:
            raise _fail("input_shape", "a list of positive integers", shape)
        checked = tuple(_positive_int(n, f"input_shape[{i}]") for i, n in enumerate(shape))
        if math.prod(checked) != self.inputs:
            expected = f"a shape whose sizes multiply to inputs = {self.inputs}"
            raise _fail("input_shape", expected, list(checked))
        return checked

    def _check_graph(self) -> None:
        """Check every layer against the blocks it reads; record widths, sources, parameters."""
        ctx = SpecContext(self.inputs, input_shape=self.input_shape)
        kinds = tuple(LAYERS[k] for k in LAYERS)
        sources: list[tuple[int, ...]] = []
        params: list[ParameterSpec] = []
        for index, layer in enumerate(self.layers, start=1):
            key = f"layers[{index}]"
            if not isinstance(layer, kinds):
                raise _fail(key, f"a layer ({', '.join(LAYERS)})", layer)
            if not isinstance(layer.name, str):
                raise _fail(f"{key}.name", "a string", layer.name)
            if layer.name:
                key = f"{key} ({layer.name!r})"
            names = layer.inputs
            if isinstance(names, str) or not isinstance(names, Sequence):
                raise _fail(f"{key}.inputs", "a list of layer names", names)
            blocks = tuple(ctx.block(n, f"{key}.inputs") for n in names) or (index - 1,)
            sizes = tuple(ctx.widths[b] for b in blocks)
            checked = layer.checked(key, sizes, ctx)
            object.__setattr__(checked, "inputs", tuple(names))  # TOML gives a list
            owned = checked.parameters(index, sizes, ctx)
            params += owned
            ctx.shapes |= {p.name: p.shape for p in owned}
            if checked.name:
                if checked.name in ctx.names:
                    raise SymnnError(f"{key}.name: {checked.name!r} names two blocks")
                ctx.names[checked.name] = index
            ctx.layers.append(checked)
            ctx.widths.append(checked.width(sizes))
            ctx.block_shapes.append(ctx.output_shape(checked, blocks))
            sources.append(blocks)
        read = {b for blocks in sources for b in blocks}
        for index, layer in enumerate(ctx.layers[:-1], start=1):
            if index not in read:
                named = f" ({layer.name!r})" if layer.name else ""
                raise SymnnError(
                    f"layers[{index}]{named}: no later layer reads it, but only the last layer "
                    "is the network's output; name it in a later layer's inputs"
                )
        object.__setattr__(self, "layers", tuple(ctx.layers))
        # Derived from the fields, so not fields themselves: repr and equality stay the spec's.
        object.__setattr__(self, "_widths", tuple(ctx.widths))
        object.__setattr__(self, "_sources", tuple(sources))
        object.__setattr__(self, "_parameters", tuple(params))
        object.__setattr__(self, "_blocks", dict(ctx.names))
        object.__setattr__(self, "_block_shapes", tuple(ctx.block_shapes))
        if self.notation in ("neuron", "mazur") and not self.is_chain:
            raise _fail(
                "notation",
                "'layered' for a network that is not a chain of dense layers",
                self.notation,
            )

    @property
    def is_chain(self) -> bool:
        """Whether the network is a plain stack of dense layers (no named inputs, no sharing)."""
        return all(
            type(layer) is Dense and not layer.inputs and not layer.weights_from
            for layer in self.layers
        )

    @property
    def sources(self) -> tuple[tuple[int, ...], ...]:
        """For each layer, the blocks it reads (0 is the input, l is layer l's output)."""
        return self._sources

    @property
    def blocks(self) -> dict[str, int]:
        """Block number by layer name ("input" is 0)."""
        return self._blocks

    @property
    def output_activation(self) -> str:
        """The activation the network's output passes through last."""
        return self.layers[-1].activation

    def _check_loss_fits(self, loss) -> None:
        last = self.output_activation
        if loss.output_activation and last != loss.output_activation:
            hint = "; for probabilities from a softmax use loss 'cross_entropy'"
            raise SymnnError(
                f"loss {loss.name!r} takes logits, so the last layer's activation must be "
                f"{loss.output_activation!r}, found {last!r}" + (hint if last == "softmax" else "")
            )
        if self.outputs < loss.min_outputs:
            raise _fail(
                f"layers[{len(self.layers)}].units",
                f"at least {loss.min_outputs} outputs for loss {loss.name!r}",
                self.outputs,
            )
        if loss.probabilities and last not in PROBABILITY_OUTPUTS:
            fused = (
                "softmax_cross_entropy" if loss.name == "cross_entropy" else f"{loss.name}_logits"
            )
            raise SymnnError(
                f"loss {loss.name!r} takes probabilities, so the last layer's activation must be "
                f"sigmoid or softmax, found {last!r}; on logits use loss {fused!r}"
            )

    def _checked_data(self, data: Data) -> Data:
        if not isinstance(data, Data):
            raise _fail("data", "a Data(x, y) table", data)
        for name, rows in (("x", data.x), ("y", data.y)):
            if isinstance(rows, str | bytes) or not isinstance(rows, Sequence | np.ndarray):
                raise _fail(f"data.{name}", "a list of rows (samples as rows)", rows)
        x = _matrix(data.x, (len(data.x), self.inputs), "data.x") if len(data.x) else ()
        y = _matrix(data.y, (len(data.y), self.outputs), "data.y") if len(data.y) else ()
        if len(x) == 0 or len(x) != len(y):
            raise _fail("data", "as many rows of y as of x, at least one", f"{len(x)} and {len(y)}")
        check_inputs(self, x, "data.x")  # token indices for an embedding
        loss = LOSSES[self.loss]
        if not loss.check_targets(np.asarray(y, dtype=float)):
            raise _fail("data.y", f"targets for {loss.name}: {loss.targets}", y)
        return Data(x, y)

    @property
    def block_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Each block's shape (input first); a block is stored flat, in row-major order."""
        return self._block_shapes

    @property
    def widths(self) -> tuple[int, ...]:
        """The width of every block: the input, then each layer's output."""
        return self._widths

    @property
    def outputs(self) -> int:
        return self._widths[-1]

    def parameter_specs(self) -> tuple[ParameterSpec, ...]:
        """Every parameter array in order (W1, b1, W2, b2, …): shape, init and given values."""
        return self._parameters

    def parameter_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """Each parameter's name and shape in order: W1, b1, W2, b2, … (no b without bias)."""
        return [(p.name, p.shape) for p in self._parameters]

    def trainable(self, name: str) -> bool:
        """Whether a parameter is trained (a bias can be frozen with trainable_bias = false)."""
        for p in self._parameters:
            if p.name == name:
                return p.trainable
        known = ", ".join(p.name for p in self._parameters)
        raise SymnnError(f"unknown parameter {name!r}; known: {known}")

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(shape) for _, shape in self.parameter_shapes())

    @property
    def has_given_weights(self) -> bool:
        """Whether the spec writes out every weight array (biases default to zero)."""
        return all(p.given is not None for p in self._parameters if p.init == "weights")

    def given_params(self) -> dict[str, np.ndarray]:
        """The weights and biases written in the spec; fails naming the first one missing."""
        params: dict[str, np.ndarray] = {}
        for p in self._parameters:
            if p.given is not None:
                params[p.name] = np.array(p.given, dtype=float)
            elif p.init == "weights":
                raise SymnnError(f"{p.key}.weights: expected the weights in the spec, found none")
            else:
                params[p.name] = np.zeros(p.shape)
        return params

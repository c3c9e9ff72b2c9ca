"""Network specs as frozen dataclasses (plain data, no SymPy) and their validation.

Parameters are named ``W1, b1, W2, b2, …`` (layers counted from 1); ``W_l`` has shape
(units_l, units_{l−1}): row j holds the weights into unit j of layer l.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from symnn.core.errors import SymnnError, short_repr
from symnn.core.notation import NOTATIONS
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.losses import LOSSES

MAX_UNITS = 100_000  # a width beyond this is a typo, not a network to derive
PROBABILITY_OUTPUTS = ("sigmoid", "softmax")  # activations whose values lie in (0, 1)


def _fail(key: str, expected: str, found: object) -> SymnnError:
    return SymnnError(f"{key}: expected {expected}, found {short_repr(found)}")


def _positive_int(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise _fail(key, "a positive integer", value)
    if value > MAX_UNITS:
        raise _fail(key, f"at most {MAX_UNITS:,} units", value)
    return int(value)


def _finite(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise _fail(key, "a number", value)
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        raise _fail(key, "a number within float range (about ±1.8e308)", value) from None
    if not math.isfinite(number):
        raise _fail(key, "a finite number", value)
    return number


def _vector(values: object, length: int, key: str) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise _fail(key, f"a list of {length} numbers", values)
    if len(values) != length:
        raise _fail(key, f"a list of {length} numbers", f"{len(values)} numbers")
    return tuple(_finite(v, f"{key}[{i}]") for i, v in enumerate(values))


def _matrix(rows: object, shape: tuple[int, int], key: str) -> tuple[tuple[float, ...], ...]:
    expected = f"{shape[0]} rows of {shape[1]} numbers"
    if isinstance(rows, str | bytes) or not isinstance(rows, Sequence | np.ndarray):
        raise _fail(key, expected, rows)
    if len(rows) != shape[0]:
        raise _fail(key, expected, f"{len(rows)} rows")
    return tuple(_vector(row, shape[1], f"{key}[{i}]") for i, row in enumerate(rows))


def _lookup(registry, name: object, key: str):
    """A registry entry, with the spec key named when the name is unknown."""
    try:
        return registry[name]
    except SymnnError as error:
        raise SymnnError(f"{key}: {error}") from None


def _hyperparameters(given: Mapping[str, object], defaults: Mapping[str, float], key: str):
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        known = ", ".join(defaults) or "none"
        raise SymnnError(f"{key}: unknown parameter {unknown[0]!r}; known: {known}")
    merged = {**defaults, **given}
    values = tuple((name, _finite(merged[name], f"{key}.{name}")) for name in defaults)
    for name, value in values:
        # slope, alpha and delta are all scales: zero or a negative one turns the rule inside out.
        if value <= 0:
            raise _fail(f"{key}.{name}", "a positive number", value)
    return values


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: z = W a_prev + b, a = f(z).

    ``bias`` is True, False (no bias term) or the bias values; ``weights`` optionally gives W.

    Examples:
        >>> Dense(2, "sigmoid").units
        2
    """

    units: int
    activation: str = "identity"
    bias: bool | Sequence[float] = True
    weights: Sequence[Sequence[float]] | None = None
    trainable_bias: bool = True
    activation_params: Mapping[str, float] = field(default_factory=dict)

    def __hash__(self) -> int:  # the mapping field is not hashable; the repr is stable
        return hash(repr(self))

    @property
    def has_bias(self) -> bool:
        return self.bias is not False

    @property
    def bias_values(self) -> tuple[float, ...] | None:
        return None if isinstance(self.bias, bool) else tuple(self.bias)


@dataclass(frozen=True)
class Data:
    """Samples as rows: ``x`` is N × inputs, ``y`` is N × outputs."""

    x: Sequence[Sequence[float]]
    y: Sequence[Sequence[float]]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.x, dtype=float), np.asarray(self.y, dtype=float)


@dataclass(frozen=True)
class Network:
    """A feed-forward network: input width, dense layers, a loss, and optional data.

    Examples:
        >>> net = Network(2, [Dense(2, "sigmoid"), Dense(2, "sigmoid")], "squared_error")
        >>> net.widths
        (2, 2, 2)
        >>> [name for name, _ in net.parameter_shapes()]
        ['W1', 'b1', 'W2', 'b2']
    """

    inputs: int
    layers: Sequence[Dense]
    loss: str = "squared_error"
    loss_params: Mapping[str, float] = field(default_factory=dict)
    name: str = ""
    data: Data | None = None
    learning_rate: float | None = None
    notation: str = "layered"

    def __post_init__(self) -> None:
        _positive_int(self.inputs, "inputs")
        if isinstance(self.layers, Dense) or not isinstance(self.layers, Sequence):
            raise _fail("layers", "a list of layers", self.layers)
        if not self.layers:
            raise _fail("layers", "at least one layer", "none")
        object.__setattr__(self, "layers", tuple(self._checked_layers()))
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

    def _checked_layers(self):
        previous = self.inputs
        for index, layer in enumerate(self.layers, start=1):
            key = f"layers[{index}]"
            if not isinstance(layer, Dense):
                raise _fail(key, "a Dense layer", layer)
            units = _positive_int(layer.units, f"{key}.units")
            activation = _lookup(ACTIVATIONS, layer.activation, f"{key}.activation")
            if not activation.elementwise and units < 2:
                raise _fail(f"{key}.units", "at least 2 units for softmax over a layer", units)
            params = _hyperparameters(
                layer.activation_params, activation.defaults, f"{key}.activation_params"
            )
            bias = layer.bias
            if not isinstance(bias, bool):
                bias = _vector(bias, units, f"{key}.bias")
            weights = layer.weights
            if weights is not None:
                weights = _matrix(weights, (units, previous), f"{key}.weights")
            if not isinstance(layer.trainable_bias, bool):
                raise _fail(f"{key}.trainable_bias", "true or false", layer.trainable_bias)
            yield Dense(units, layer.activation, bias, weights, layer.trainable_bias, dict(params))
            previous = units

    def _check_loss_fits(self, loss) -> None:
        last = self.layers[-1].activation
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
        loss = LOSSES[self.loss]
        if not loss.check_targets(np.asarray(y, dtype=float)):
            raise _fail("data.y", f"targets for {loss.name}: {loss.targets}", y)
        return Data(x, y)

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.inputs, *(layer.units for layer in self.layers))

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    def parameter_shapes(self) -> list[tuple[str, tuple[int, ...]]]:
        """Each parameter's name and shape in order: W1, b1, W2, b2, … (no b without bias)."""
        shapes: list[tuple[str, tuple[int, ...]]] = []
        for l, (fan_in, layer) in enumerate(zip(self.widths, self.layers, strict=False), start=1):
            shapes.append((f"W{l}", (layer.units, fan_in)))
            if layer.has_bias:
                shapes.append((f"b{l}", (layer.units,)))
        return shapes

    def trainable(self, name: str) -> bool:
        """Whether a parameter is trained (a bias can be frozen with trainable_bias = false)."""
        return not name.startswith("b") or self.layers[int(name[1:]) - 1].trainable_bias

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(shape) for _, shape in self.parameter_shapes())

    def given_params(self) -> dict[str, np.ndarray]:
        """The weights and biases written in the spec; fails naming the first one missing."""
        params: dict[str, np.ndarray] = {}
        for l, layer in enumerate(self.layers, start=1):
            if layer.weights is None:
                raise SymnnError(
                    f"layers[{l}].weights: expected the weights in the spec, found none"
                )
            params[f"W{l}"] = np.array(layer.weights, dtype=float)
            if layer.has_bias:
                values = layer.bias_values
                params[f"b{l}"] = np.zeros(layer.units) if values is None else np.array(values)
        return params

"""Convolution: ``conv1d`` and ``conv2d`` layers, z = K ⋆ x + b, a = f(z), in one file.

As in every deep-learning library, the "convolution" is a cross-correlation (the kernel is not
flipped in the forward pass): for an image block x of shape (C, H, W) and a kernel W{l} of shape
(C_out, C, k_h, k_w),

    z[o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x[c, s·i + d·p − P, s·j + d·q − P]

with stride s, dilation d and zero padding P (an index outside the input reads a zero, so its
term is left out). A 1-D layer reads a (C, L) block the same way along its one axis. Blocks are
flat vectors in row-major order: output unit j (from 1) is entry (o, i, j) of the (C_out, H', W')
output, H' = ⌊(H + 2P − d(k_h − 1) − 1)/s⌋ + 1.

Every kernel weight is used at every output position of its channel, so its gradient is the sum
over all of them (the derivation says so); the output's node kind is ``convolution``, whose
adjoint is δ = ∂L/∂z and whose local step cites the convolution rule.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import sympy as sp

from symnn.core import notation as nt
from symnn.core.errors import SymnnError
from symnn.core.graph import ACTIVATION, weighted_sum
from symnn.core.steps import RULES, Step
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    ParameterSpec,
    SpecContext,
    constant,
    fail,
    hyperparameters,
    layer,
    lookup,
    positive_int,
    product,
    vector,
)
from symnn.rules.activations import ACTIVATIONS
from symnn.rules.unit import unit_activation

RULES.setdefault(
    "convolution",
    "derivative of a convolution output: the kernel weight over that input, or the input under "
    "that weight",
)
RULES.setdefault(
    "kernel_sum",
    "a kernel weight (and a channel's bias) is used at every output position: its gradient is "
    "the sum over every position that uses it",
)
CONVENTION = (
    r"A convolution layer's kernel entry $w^{(l)}_{ocpq}$ joins input channel $c$ to output "
    r"channel $o$ at kernel row $p$ and column $q$ ($w^{(l)}_{ocp}$ in 1-D; a cross-correlation: "
    r"the kernel is not flipped), "
    r"and $b^{(l)}_{o}$ is channel $o$'s bias. Image blocks $(C, H, W)$ are numbered in "
    r"row-major order: unit $j$ of a block is entry $(c, i, k)$ with "
    r"$j = (c - 1) H W + (i - 1) W + k$ (all from 1). In matrix form $W^{(l)}$ is the kernel "
    r"as a $C_{\mathrm{out}} \times C_{\mathrm{in}} k_h k_w$ matrix (row $o$ holds channel $o$'s "
    r"kernel, "
    r"$(c, p, q)$ in row-major order), $\star$ is this correlation, and the input's gradient "
    r"$\operatorname{rot}_{180}(W) \ast_{\mathrm{full}} \delta$ is the full convolution of "
    r"$\delta$ with the kernel turned by 180 degrees (a stride puts $s - 1$ zeros between the "
    r"entries of $\delta$; the padding is cropped)."
)
CONVOLUTION = NODE_KINDS.add(
    "convolution",
    NodeKind("convolution", nt.delta, "convolution", "convolution output", "z", "delta", 1),
)


def _size(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape))


def source_block(layer: Any, ctx: SpecContext, key: str) -> int:
    """The block a one-input layer reads: the one its ``inputs`` name, else the previous one."""
    if layer.inputs:
        return ctx.block(layer.inputs[0], f"{key}.inputs")
    return len(ctx.widths) - 1


def per_axis(value: object, dims: int, key: str, minimum: int) -> tuple[int, ...]:
    """An int for every spatial axis, or a list of ``dims`` ints; each at least ``minimum``."""
    values = value if isinstance(value, list | tuple) else [value]
    if len(values) == 1:
        values = list(values) * dims
    if len(values) != dims:
        what = "an integer" if dims == 1 else f"an integer or a list of {dims} integers"
        raise fail(key, what, value)
    checked = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < minimum:
            kind = "a positive integer" if minimum == 1 else "a non-negative integer"
            raise fail(key, kind if dims == 1 else f"{kind} per axis", value)
        checked.append(int(v))
    return tuple(checked)


def spatial_shape(
    kind: str, dims: int, shape: tuple[int, ...], key: str, block: str
) -> tuple[int, ...]:
    """The (channels, *spatial) shape a ``dims``-D layer reads, or an error naming the shapes."""
    if dims == 1 and len(shape) == 1:
        return (1, *shape)  # a plain vector is one channel
    if len(shape) != dims + 1:
        expected = "(channels, length)" if dims == 1 else "(channels, height, width)"
        hint = "; give the network's input_shape" if len(shape) == 1 else ""
        raise SymnnError(
            f"{key}: a {kind} layer reads {expected} blocks, but {block} has shape "
            f"{tuple(shape)}{hint}"
        )
    return tuple(shape)


def nested(values: object, shape: tuple[int, ...], key: str) -> tuple:
    """A nested list of numbers of exactly ``shape``, as nested tuples; errors name the key."""
    if len(shape) == 1:
        return vector(values, shape[0], key)
    expected = f"{shape[0]} lists ({_size(shape)} in all)"
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        raise fail(key, expected, values)
    if len(values) != shape[0]:
        raise fail(key, expected, f"{len(values)} lists")
    return tuple(nested(v, shape[1:], f"{key}[{i}]") for i, v in enumerate(values))


@dataclass(frozen=True)
class Geometry:
    """Where a kernel sits: the input and output shapes, kernel, stride, padding, dilation."""

    channels: int
    size: tuple[int, ...]  # the input's spatial size
    out_channels: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]

    @property
    def extent(self) -> tuple[int, ...]:
        """The dilated kernel's reach along each axis: d(k − 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))

    @property
    def padded(self) -> tuple[int, ...]:
        return tuple(n + 2 * p for n, p in zip(self.size, self.padding, strict=True))

    @property
    def out(self) -> tuple[int, ...]:
        return tuple(
            (n - e) // s + 1 for n, e, s in zip(self.padded, self.extent, self.stride, strict=True)
        )

    def reads(self, position: tuple[int, ...], offset: tuple[int, ...]) -> tuple[int, ...] | None:
        """The input index under kernel ``offset`` at output ``position`` (None: padding)."""
        index = tuple(
            s * i + d * p - pad
            for i, p, s, d, pad in zip(
                position, offset, self.stride, self.dilation, self.padding, strict=True
            )
        )
        inside = all(0 <= i < n for i, n in zip(index, self.size, strict=True))
        return index if inside else None


@dataclass(frozen=True, eq=True)
class ConvBase:
    """What conv1d and conv2d share; ``dims`` is the number of spatial axes.

    ``out_channels`` and ``kernel_size`` are required; ``stride``, ``padding`` (zeros on every
    side) and ``dilation`` are an integer or one per axis; ``in_channels`` (optional) must match
    the channels of the block read. ``bias`` is true, false or the C_out values; ``weights``
    optionally gives the kernel, shape (C_out, C_in, *kernel_size); ``activation`` is elementwise.
    """

    out_channels: int
    kernel_size: int | Sequence[int]
    stride: int | Sequence[int] = 1
    padding: int | Sequence[int] = 0
    dilation: int | Sequence[int] = 1
    in_channels: int = 0
    activation: str = "identity"
    bias: bool | Sequence[float] = True
    weights: Any = None
    trainable_bias: bool = True
    activation_params: Mapping[str, float] = field(default_factory=dict)
    name: str = ""
    inputs: tuple[str, ...] = ()

    dims: ClassVar[int]
    kind: ClassVar[str]
    sums_over_positions: ClassVar[bool] = True  # a kernel weight's chain rule cites kernel_sum

    def convention(self, block: int) -> str:
        """The kernel's index order and the block numbering, stated in every document."""
        return CONVENTION

    # -- the spec ----------------------------------------------------------------------------
    def __hash__(self) -> int:  # lists and a mapping among the fields; the repr is stable
        return hash(repr(self))

    @property
    def has_bias(self) -> bool:
        return self.bias is not False

    @property
    def bias_values(self) -> tuple[float, ...] | None:
        return None if isinstance(self.bias, bool) else tuple(self.bias)

    def width(self, sizes: tuple[int, ...]) -> int:
        return self.out_channels * math.prod(self._geometry.out)

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return (self.out_channels, *self._geometry.out)

    @property
    def _geometry(self) -> Geometry:
        geometry = self.__dict__.get("_checked_geometry")
        if geometry is None:
            raise SymnnError(f"a {self.kind} layer is used before its spec is checked")
        return geometry

    def geometry(self) -> Geometry:
        """The checked layer's geometry (input and output shapes, kernel, stride, …)."""
        return self._geometry

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext):
        if len(sizes) != 1:
            raise fail(f"{key}.inputs", f"one block for a {self.kind} layer", list(self.inputs))
        block = source_block(self, ctx, key)
        name = "the input" if block == 0 else f"block {block} (layers[{block}])"
        shape = spatial_shape(self.kind, self.dims, ctx.block_shapes[block], key, name)
        channels, *size = shape
        out_channels = positive_int(self.out_channels, f"{key}.out_channels")
        if self.in_channels not in (0, None):
            given = positive_int(self.in_channels, f"{key}.in_channels")
            if given != channels:
                raise SymnnError(
                    f"{key}.in_channels: expected {channels} (the channels of {name}, shape "
                    f"{tuple(shape)}), found {given}"
                )
        kernel = per_axis(self.kernel_size, self.dims, f"{key}.kernel_size", 1)
        stride = per_axis(self.stride, self.dims, f"{key}.stride", 1)
        padding = per_axis(self.padding, self.dims, f"{key}.padding", 0)
        dilation = per_axis(self.dilation, self.dims, f"{key}.dilation", 1)
        geometry = Geometry(channels, tuple(size), out_channels, kernel, stride, padding, dilation)
        extent, padded = geometry.extent, geometry.padded
        if any(e > n for e, n in zip(extent, padded, strict=True)):
            dilated = f" (dilated to {_size(extent)})" if extent != kernel else ""
            raise SymnnError(
                f"{key}.kernel_size: a {_size(kernel)} kernel{dilated} is larger than the padded "
                f"input {_size(padded)} ({name}: {_size(size)}, padding {_size(padding)})"
            )
        if any(p >= e for p, e in zip(padding, extent, strict=True)):
            raise SymnnError(
                f"{key}.padding: padding {_size(padding)} must be smaller than the kernel's "
                f"extent {_size(extent)}, else an output reads only padding"
            )
        activation = lookup(ACTIVATIONS, self.activation, f"{key}.activation")
        if not activation.elementwise:
            raise fail(f"{key}.activation", "an elementwise activation", self.activation)
        params = hyperparameters(
            self.activation_params, activation.defaults, f"{key}.activation_params"
        )
        bias = self.bias
        if not isinstance(bias, bool):
            bias = vector(bias, out_channels, f"{key}.bias")
        weights = self.weights
        if weights is not None:
            weights = nested(weights, (out_channels, channels, *kernel), f"{key}.weights")
        if not isinstance(self.trainable_bias, bool):
            raise fail(f"{key}.trainable_bias", "true or false", self.trainable_bias)
        checked = type(self)(
            out_channels=out_channels,
            kernel_size=kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            in_channels=channels,
            activation=self.activation,
            bias=bias,
            weights=weights,
            trainable_bias=self.trainable_bias,
            activation_params=dict(params),
            name=self.name,
            inputs=self.inputs,
        )
        object.__setattr__(checked, "_checked_geometry", geometry)
        return checked

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        key = f"layers[{block}]"
        g = self._geometry
        found = [
            ParameterSpec(
                f"W{block}",
                (g.out_channels, g.channels, *g.kernel),
                "weights",
                True,
                self.weights,
                key,
            )
        ]
        if self.has_bias:
            found.append(
                ParameterSpec(
                    f"b{block}",
                    (g.out_channels,),
                    "bias",
                    self.trainable_bias,
                    self.bias_values,
                    key,
                )
            )
        return found

    # -- the element level ---------------------------------------------------------------------
    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        l, geo = block, self._geometry
        x_at = np.array(x, dtype=object).reshape(geo.channels, *geo.size)
        kernel_index = list(itertools.product(range(geo.channels), *map(range, geo.kernel)))
        weights = np.empty((geo.out_channels, geo.channels, *geo.kernel), dtype=object)
        for o in range(geo.out_channels):
            for index in kernel_index:
                name = "_".join(str(i + 1) for i in (o, *index))
                weights[(o, *index)] = sp.Symbol(f"w_{l}_{name}", real=True)
        g.parameter(f"W{l}", sp.Array(weights.tolist()), l, True)
        if self.has_bias:
            biases = [nt.b(l, o) for o in range(1, geo.out_channels + 1)]
            g.parameter(f"b{l}", sp.Array(biases), l, self.trainable_bias)
        zs = []
        for o in range(geo.out_channels):
            for position in itertools.product(*map(range, geo.out)):
                terms = []
                for c, *offset in kernel_index:
                    read = geo.reads(position, tuple(offset))
                    if read is not None:
                        terms.append(product(weights[(o, c, *offset)], x_at[(c, *read)]))
                bias = [nt.b(l, o + 1)] if self.has_bias else []
                zs.append(weighted_sum(terms, bias))
        units = range(1, len(zs) + 1)
        z = g.define([nt.z(l, j) for j in units], zs, CONVOLUTION, l)
        hyper = {k: constant(v) for k, v in self.activation_params.items()}
        activations = ACTIVATIONS[self.activation].apply(z, hyper)
        return g.define([nt.a(l, j) for j in units], activations, ACTIVATION, l)

    # -- the oracle: written again in autograd.numpy, a loop over kernel offsets ---------------
    def oracle(self, o: OracleContext, block: int, xs: list):
        anp, geo = o.anp, self._geometry
        (a,) = xs
        n = a.shape[0]
        x = anp.reshape(a, (n, geo.channels, *geo.size))
        for axis, pad in enumerate(geo.padding, start=2):
            if pad:
                zeros_shape = list(x.shape)
                zeros_shape[axis] = pad
                zeros = np.zeros(zeros_shape)
                x = anp.concatenate([zeros, x, zeros], axis=axis)
        W = o.params[f"W{block}"]
        z = 0.0
        spatial = "hw"[: self.dims]
        for offset in itertools.product(*map(range, geo.kernel)):
            window = tuple(
                slice(d * p, d * p + s * (m - 1) + 1, s)
                for p, s, d, m in zip(offset, geo.stride, geo.dilation, geo.out, strict=True)
            )
            patch = x[(slice(None), slice(None), *window)]
            z = z + anp.einsum(f"nc{spatial},oc->no{spatial}", patch, W[(..., *offset)])
        if self.has_bias:
            z = z + anp.reshape(o.params[f"b{block}"], (1, -1) + (1,) * self.dims)
        z = anp.reshape(z, (n, -1))
        return o.activations[self.activation](z, dict(self.activation_params))

    # -- the batched NumPy rule: im2col by sliding windows, one matrix product each way -------
    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        """Windows P of pad(X); Z = Σ_{c,p,q} P[n,c,h,w,p,q] W[o,c,p,q] + b as one product of
        W (o × c·p·q) with the im2col columns (c·p·q × positions); A = f(Z)."""
        from symnn.layers.dense import unit_printer

        (previous,) = ins
        l, geo = block, self._geometry
        axes = tuple(range(2, 2 + self.dims))
        c.emit(f"X{l} = {previous}.reshape(N, {geo.channels}, {', '.join(map(str, geo.size))})")
        if any(geo.padding):
            widths = ", ".join(f"({p}, {p})" for p in geo.padding)
            c.emit(f"X{l} = numpy.pad(X{l}, ((0, 0), (0, 0), {widths}))")
        window = f"sliding_window_view(X{l}, {geo.extent}, axis={axes})"
        picks = [f"::{s}" for s in geo.stride] + [f"::{d}" for d in geo.dilation]
        if any(p != "::1" for p in picks):
            window += f"[:, :, {', '.join(picks)}]"
        c.emit(f"P{l} = numpy.lib.stride_tricks.{window}")
        # im2col: one column of C·k entries per output position, then one matrix product (BLAS)
        c.emit(f"Cols{l} = {self._columns(f'P{l}', geo.channels, geo.out)}")
        bias = f" + b{l}[:, None]" if self.has_bias else ""
        rows = geo.channels * math.prod(geo.kernel)
        c.emit(f"Z{l} = (W{l}.reshape({geo.out_channels}, {rows}) @ Cols{l}{bias}).reshape(N, -1)")
        rule = unit_activation(self, nt.z(l, 1))
        c.emit(f"A{l} = {c.expr(unit_printer(l), rule)}")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        """Δ = ∂L/∂Z; ∂L/∂W = Σ_{n,h,w} P Δ (a correlation of the input with Δ), ∂L/∂b = Σ Δ;
        ∂L/∂X a full convolution of Δ (zeros between entries for a stride) with the kernel
        turned 180°, its padding cropped."""
        from symnn.layers.dense import Dense

        (previous,) = ins
        l, geo = block, self._geometry
        if gradient is not None:
            Dense._through_activation(self, c, l, gradient)
        # ∂L/∂W = Σ_n Δ_n Colsₙᵀ (one small product per sample, summed), in W's shape
        shape = ", ".join(map(str, (geo.out_channels, geo.channels, *geo.kernel)))
        positions = math.prod(geo.out)
        c.emit(f"D{l} = Delta{l}.reshape(N, {geo.out_channels}, {positions})")
        grads = {f"W{l}": f"(D{l} @ Cols{l}.transpose(0, 2, 1)).sum(axis=0).reshape({shape})"}
        if self.has_bias and self.trainable_bias:
            grads[f"b{l}"] = f"D{l}.sum(axis=(0, 2))"
        if previous == "X":  # nothing reads ∂L/∂X: no work for it
            return ["None"], grads
        return [self._input_gradient(c, l)], grads

    def _input_gradient(self, c: ArrayCode, l: int) -> str:
        geo = self._geometry
        axes = tuple(range(2, 2 + self.dims))
        grid = f"Delta{l}.reshape(N, {geo.out_channels}, {', '.join(map(str, geo.out))})"
        upsampled = tuple((m - 1) * s + 1 for m, s in zip(geo.out, geo.stride, strict=True))
        if any(s > 1 for s in geo.stride):
            shape = ", ".join(map(str, upsampled))
            c.emit(f"U{l} = numpy.zeros((N, {geo.out_channels}, {shape}))")
            steps = ", ".join(f"::{s}" for s in geo.stride)
            c.emit(f"U{l}[:, :, {steps}] = {grid}")
        else:
            c.emit(f"U{l} = {grid}")
        # Full padding (extent − 1 each side), plus the rows no window reached at the far end.
        widths = ", ".join(
            f"({e - 1}, {e - 1 + n - e - (m - 1) * s})"
            for e, n, m, s in zip(geo.extent, geo.padded, geo.out, geo.stride, strict=True)
        )
        c.emit(f"U{l} = numpy.pad(U{l}, ((0, 0), (0, 0), {widths}))")
        flip = ", ".join(f"::-{d}" for d in geo.dilation)
        c.emit(
            f"Q{l} = numpy.lib.stride_tricks.sliding_window_view(U{l}, {geo.extent}, "
            f"axis={axes})[:, :, {', '.join([':'] * self.dims)}, {flip}]"
        )
        # the same im2col of the turned windows, and one product with the kernel's (o, c) swapped
        c.emit(f"QCols{l} = {self._columns(f'Q{l}', geo.out_channels, geo.padded)}")
        rows = geo.out_channels * math.prod(geo.kernel)
        swapped = f"W{l}.swapaxes(0, 1).reshape({geo.channels}, {rows})"
        padded = ", ".join(map(str, geo.padded))
        crop = ", ".join(f"{p}:{n - p}" for p, n in zip(geo.padding, geo.padded, strict=True))
        return (
            f"({swapped} @ QCols{l}).reshape(N, {geo.channels}, {padded})[:, :, {crop}]"
            ".reshape(N, -1)"
        )

    def _columns(self, windows: str, channels: int, positions: tuple[int, ...]) -> str:
        """im2col of a window view (N, C, *positions, *kernel): (N, C·k, positions), a copy."""
        order = (0, 1, 4, 5, 2, 3) if self.dims == 2 else (0, 1, 3, 2)
        rows = channels * math.prod(self._geometry.kernel)
        return f"{windows}.transpose{order}.reshape(N, {rows}, {math.prod(positions)})"


@layer
@dataclass(frozen=True, eq=True)
class Conv2d(ConvBase):
    """A 2-D convolution (cross-correlation) over a (C, H, W) image block.

    Examples:
        >>> from symnn import Network
        >>> net = Network(16, [Conv2d(2, 3, padding=1)], input_shape=[1, 4, 4])
        >>> net.block_shapes
        ((1, 4, 4), (2, 4, 4))
    """

    kind: ClassVar[str] = "conv2d"
    dims: ClassVar[int] = 2
    examples: ClassVar[tuple[dict, ...]] = (
        {  # one channel in, two out, a 2×2 kernel: every weight is used at 4 positions
            "inputs": 9,
            "input_shape": [1, 3, 3],
            "layers": [
                {"kind": "conv2d", "out_channels": 2, "kernel_size": 2, "activation": "tanh"},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
        {  # two channels in; then stride 2 and padding 1 in a conv reading a conv
            "inputs": 18,
            "input_shape": [2, 3, 3],
            "layers": [
                {"kind": "conv2d", "out_channels": 2, "kernel_size": 2, "activation": "sigmoid"},
                {
                    "kind": "conv2d",
                    "out_channels": 1,
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 1,
                    "bias": False,
                },
            ],
            "loss": "mse",
        },
        {  # dilation 2 over a 1×4×4 image
            "inputs": 16,
            "input_shape": [1, 4, 4],
            "layers": [
                {"kind": "conv2d", "out_channels": 1, "kernel_size": 2, "dilation": 2},
                {"units": 2, "activation": "softmax"},
            ],
            "loss": "cross_entropy",
        },
    )

    __hash__ = ConvBase.__hash__  # a dataclass would hash the fields (lists among them)


@layer
@dataclass(frozen=True, eq=True)
class Conv1d(ConvBase):
    """A 1-D convolution (cross-correlation) over a (C, L) sequence block (a vector: C = 1).

    Examples:
        >>> from symnn import Network
        >>> Network(5, [Conv1d(1, 3)]).widths
        (5, 3)
    """

    kind: ClassVar[str] = "conv1d"
    dims: ClassVar[int] = 1
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a plain vector is one channel: a 3-tap filter over 5 inputs
            "inputs": 5,
            "layers": [
                {"kind": "conv1d", "out_channels": 2, "kernel_size": 3, "activation": "relu"},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
        {  # two channels; then stride 2, padding 1 and dilation 2 in a conv reading a conv
            "inputs": 10,
            "input_shape": [2, 5],
            "layers": [
                {"kind": "conv1d", "out_channels": 2, "kernel_size": 2, "activation": "softplus"},
                {
                    "kind": "conv1d",
                    "out_channels": 1,
                    "kernel_size": 2,
                    "stride": 2,
                    "padding": 1,
                    "dilation": 2,
                    "in_channels": 2,
                },
            ],
            "loss": "mse",
        },
    )

    __hash__ = ConvBase.__hash__  # a dataclass would hash the fields (lists among them)


# -- the matrix level: z = W ⋆ a_prev + b ⊗ 1, its pullback and gradients as typeset nodes -------
# Each node knows its shape, its LaTeX and its explicit matrix at concrete shapes (``_explicit``,
# read by symnn.engine.instantiate), so every step is checked against the element level.
RULES.setdefault(
    "kernel_gradient",
    "a kernel weight's gradient sums over every position that uses it: a correlation of the "
    "input with δ (δ spread by the stride)",
)
RULES.setdefault(
    "channel_sum", "a channel's bias is added at every position: its gradient sums δ over them"
)
RULES.setdefault(
    "flipped_kernel",
    "∂L/∂a_prev is the full convolution of δ with the kernel turned 180° (index form: "
    "∂L/∂x[c, s·i + d·p − P] gains w[o, c, p] δ[o, i] for every o, i, p)",
)


def _geometry_args(g: Geometry) -> sp.Tuple:
    fields = (g.channels, *g.size, g.out_channels, *g.kernel, *g.stride, *g.padding, *g.dilation)
    return sp.Tuple(len(g.size), *fields)


def _geometry_of(args: sp.Tuple) -> Geometry:
    dims, values = int(args[0]), [int(v) for v in args[1:]]
    channels, size = values[0], tuple(values[1 : 1 + dims])
    rest = values[1 + dims :]
    out_channels, rest = rest[0], rest[1:]
    parts = [tuple(rest[i * dims : (i + 1) * dims]) for i in range(4)]
    return Geometry(channels, size, out_channels, *parts)


def _annotation(g: Geometry) -> str:
    shown = [
        f"{name}={value[0] if len(set(value)) == 1 else ','.join(map(str, value))}"
        for name, value, default in (
            ("s", g.stride, 1),
            ("P", g.padding, 0),
            ("d", g.dilation, 1),
        )
        if any(v != default for v in value)
    ]
    separator = r",\,"
    return rf"_{{{separator.join(shown)}}}" if shown else ""


class _ConvNode(sp.MatrixExpr):
    """A matrix-level node of a convolution layer; the last argument is its geometry."""

    def __new__(cls, *args):
        return sp.Basic.__new__(cls, *args)

    @property
    def geometry(self) -> Geometry:
        return _geometry_of(self.args[-1])

    def _sympystr(self, printer) -> str:
        inner = ", ".join(printer._print(a) for a in self.args[:-1])
        return f"{type(self).__name__}({inner})"


def _positions(g: Geometry):
    return list(itertools.product(*map(range, g.out)))


def _kernel_offsets(g: Geometry):
    return list(itertools.product(range(g.channels), *map(range, g.kernel)))


class Correlate(_ConvNode):
    """W ⋆ u: the kernel (as a C_out × C_in·k matrix) slid over the block u, no bias."""

    @property
    def shape(self):
        g = self.geometry
        return (g.out_channels * math.prod(g.out), 1)

    def _latex(self, printer) -> str:
        W, u = (printer._print(a) for a in self.args[:2])
        return rf"{W} \star{_annotation(self.geometry)} {u}"

    def _explicit(self, explicit) -> sp.Matrix:
        g, W, u = self.geometry, explicit(self.args[0]), explicit(self.args[1])
        x = np.array(list(u), dtype=object).reshape(g.channels, *g.size)
        rows = []
        for o in range(g.out_channels):
            for position in _positions(g):
                terms = []
                for column, (c, *offset) in enumerate(_kernel_offsets(g)):
                    read = g.reads(position, tuple(offset))
                    if read is not None:
                        terms.append(W[o, column] * x[(c, *read)])
                rows.append(sp.Add(*terms))
        return sp.Matrix(rows)


class Spread(_ConvNode):
    """b ⊗ 1: each channel's bias at every output position of that channel."""

    @property
    def shape(self):
        g = self.geometry
        return (g.out_channels * math.prod(g.out), 1)

    def _latex(self, printer) -> str:
        ones = rf"\mathbf{{1}}_{{{math.prod(self.geometry.out)}}}"
        return rf"{printer._print(self.args[0])} \otimes {ones}"

    def _explicit(self, explicit) -> sp.Matrix:
        b, m = explicit(self.args[0]), math.prod(self.geometry.out)
        return sp.Matrix([b[o] for o in range(b.rows) for _ in range(m)])


class ChannelSum(_ConvNode):
    """(I ⊗ 1ᵀ) δ: δ summed over the positions of each channel."""

    @property
    def shape(self):
        return (self.geometry.out_channels, 1)

    def _latex(self, printer) -> str:
        g = self.geometry
        ones = rf"\mathbf{{1}}_{{{math.prod(g.out)}}}^{{\top}}"
        return rf"\left(I_{{{g.out_channels}}} \otimes {ones}\right) {printer._print(self.args[0])}"

    def _explicit(self, explicit) -> sp.Matrix:
        d, m = explicit(self.args[0]), math.prod(self.geometry.out)
        return sp.Matrix([sp.Add(*d[o * m : (o + 1) * m]) for o in range(d.rows // m)])


class KernelGradient(_ConvNode):
    """∂L/∂W = u ⋆ δ: entry (o; c, p, q) sums δ[o, i, j] · u[c, s·i + d·p − P, s·j + d·q − P]."""

    @property
    def shape(self):
        g = self.geometry
        return (g.out_channels, g.channels * math.prod(g.kernel))

    def _latex(self, printer) -> str:
        u, d = (printer._print(a) for a in self.args[:2])
        return rf"{u} \star{_annotation(self.geometry)} {d}"

    def _explicit(self, explicit) -> sp.Matrix:
        g, u, d = self.geometry, explicit(self.args[0]), explicit(self.args[1])
        x = np.array(list(u), dtype=object).reshape(g.channels, *g.size)
        delta = np.array(list(d), dtype=object).reshape(g.out_channels, *g.out)
        entries = []
        for o in range(g.out_channels):
            row = []
            for c, *offset in _kernel_offsets(g):
                terms = []
                for position in _positions(g):
                    read = g.reads(position, tuple(offset))
                    if read is not None:
                        terms.append(delta[(o, *position)] * x[(c, *read)])
                row.append(sp.Add(*terms))
            entries.append(row)
        return sp.Matrix(entries)


class FlippedFull(_ConvNode):
    """∂L/∂u: the full convolution of δ (zeros between entries for a stride) with the kernel
    turned 180° (dilated), its padding cropped."""

    @property
    def shape(self):
        g = self.geometry
        return (g.channels * math.prod(g.size), 1)

    def _latex(self, printer) -> str:
        W, d = (printer._print(a) for a in self.args[:2])
        g = self.geometry
        rotated = rf"\operatorname{{rot}}_{{180}}\left({W}\right)"
        if all(s == 1 for s in g.stride) and not any(g.padding) and all(x == 1 for x in g.dilation):
            return rf"{rotated} \ast_{{\mathrm{{full}}}} {d}"
        full = rf"{rotated} \ast_{{\mathrm{{full}}}}{_annotation(g)} {d}"
        return rf"\left[{full}\right]_{{\mathrm{{crop}}}}"

    def _explicit(self, explicit) -> sp.Matrix:
        g, W, d = self.geometry, explicit(self.args[0]), explicit(self.args[1])
        kernel = np.array(W.tolist(), dtype=object).reshape(g.out_channels, g.channels, *g.kernel)
        rotated = kernel[(slice(None), slice(None), *[slice(None, None, -1)] * len(g.kernel))]
        delta = np.array(list(d), dtype=object).reshape(g.out_channels, *g.out)
        # δ with s − 1 zeros between entries, then zero-padded by extent − 1 on every side.
        up = tuple((m - 1) * s + 1 for m, s in zip(g.out, g.stride, strict=True))
        full = np.zeros(
            (g.out_channels, *[u + 2 * (e - 1) for u, e in zip(up, g.extent, strict=True)]), object
        )
        for o in range(g.out_channels):
            for position in _positions(g):
                at = tuple(
                    s * i + e - 1 for s, i, e in zip(g.stride, position, g.extent, strict=True)
                )
                full[(o, *at)] = delta[(o, *position)]
        entries = []
        for c in range(g.channels):
            for index in itertools.product(*map(range, g.size)):
                padded = tuple(i + p for i, p in zip(index, g.padding, strict=True))
                terms = []
                for o in range(g.out_channels):
                    for offset in itertools.product(*map(range, g.kernel)):
                        at = tuple(
                            y + dd * q for y, dd, q in zip(padded, g.dilation, offset, strict=True)
                        )
                        value = (
                            full[(o, *at)]
                            if all(a < n for a, n in zip(at, full.shape[1:], strict=True))
                            else 0
                        )
                        if value != 0:
                            terms.append(rotated[(o, c, *offset)] * value)
                entries.append(sp.Add(*terms))
        return sp.Matrix(entries)


def _conv_matrix_rule(self, m):
    """z = W ⋆ a_prev + b ⊗ 1, a = f(z); δ = f'(z) ⊙ ∂L/∂a; a_prev gets rot180(W) ∗ δ;
    ∂L/∂W = a_prev ⋆ δ; ∂L/∂b = Σ_positions δ."""
    from symnn.core.matexpr import Grad, Jac
    from symnn.layers.base import MatrixRule, Pullback
    from symnn.layers.dense import LayerSymbols, activation_of, delta_steps
    from symnn.rules.unit import hyperparameters as activation_hyperparameters

    g = self._geometry
    l, (u,) = m.block, m.inputs
    n_out = g.out_channels * math.prod(g.out)
    W = nt.weights(l, g.out_channels, g.channels * math.prod(g.kernel))
    b = nt.vector("b", l, g.out_channels) if self.has_bias else None
    s = LayerSymbols(
        l,
        self.activation,
        activation_hyperparameters(self.activation, self.activation_params),
        W,
        b,
        nt.vector("z", l, n_out),
        nt.vector("a", l, n_out),
        u,
        nt.vector("delta", l, n_out),
        self.trainable_bias,
        self,
    )
    geo = _geometry_args(g)
    z = Correlate(W, u, geo)
    if b is not None:
        z = sp.MatAdd(z, Spread(b, geo))
    backward = delta_steps(s, m)
    pullback = Pullback(
        sp.MatMul(sp.Transpose(Jac(s.z, u)), Grad(nt.LOSS, s.z)),
        FlippedFull(W, s.delta, geo),
        RULES["flipped_kernel"],
    )
    gradients = [Step(Grad(nt.LOSS, W), KernelGradient(u, s.delta, geo), "kernel_gradient")]
    if b is not None and self.trainable_bias:
        gradients.append(Step(Grad(nt.LOSS, b), ChannelSum(s.delta, geo), "channel_sum"))
    return MatrixRule(
        forward=(
            Step(s.z, z, "definition", "convolution"),
            Step(s.a, activation_of(s), "definition"),
        ),
        backward=tuple(backward),
        adjoints=(Step(s.delta, backward[-1].rhs, "result"),),
        pullbacks=(pullback,),
        gradients=tuple(gradients),
        symbols=s,
    )


Conv1d.matrix_rule = Conv2d.matrix_rule = _conv_matrix_rule  # each kind declares the hook

"""Pooling: ``maxpool`` and ``avgpool`` over windows of a (C, L) or (C, H, W) block, one file.

A pool reads each channel on its own: output (c, i, j) is the max (or the mean) of the window
x[c, s·i : s·i + k_h, s·j : s·j + k_w] (window k, stride s, which defaults to the window). The
block's shape decides the axes: (C, L) or a plain vector is 1-D, (C, H, W) is 2-D.

Max pooling routes the whole gradient to one entry of each window, the **first arg-max in
row-major order** (on a tie the earliest entry wins, as ``numpy.argmax`` picks); average
pooling spreads it evenly, δ/k over the k entries of the window.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import sympy as sp
from sympy.core.function import ArgumentIndexError

from symnn.core import notation as nt
from symnn.core.functions import _Rule
from symnn.core.steps import RULES
from symnn.layers.base import (
    NODE_KINDS,
    ArrayCode,
    GraphBuilder,
    NodeKind,
    OracleContext,
    SpecContext,
    fail,
)
from symnn.layers.base import layer as register
from symnn.layers.conv import per_axis, source_block, spatial_shape

TIE_RULE = (
    "max pooling routes the gradient to the first arg-max of its window in row-major order "
    "(on a tie the earliest entry wins)"
)
RULES.setdefault(
    "max_pool",
    "derivative of a window's maximum: 1 at its first arg-max in row-major order (a tie goes to "
    "the earliest entry), else 0",
)
RULES.setdefault("average_pool", "derivative of a window's mean: 1/k for each of its k entries")
CONVENTION = (
    r"A pooling layer reads each channel on its own; $\operatorname{argmax}(u_1, \dots, u_k)$ is "
    r"the first index of the window's maximum in row-major order, so on a tie the earliest "
    r"entry wins and receives the whole gradient."
)
MAX_POOL = NODE_KINDS.add("max_pool", NodeKind("max_pool", nt.grad_a, "max_pool", "max pooling"))
AVERAGE_POOL = NODE_KINDS.add(
    "average_pool", NodeKind("average_pool", nt.grad_a, "average_pool", "average pooling")
)


def _stacked(printer, args) -> str:
    return f"numpy.stack([{', '.join(printer._print(a) for a in args)}])"


class WindowMax(_Rule):
    """max(x_1, …, x_k) over a pooling window; ∂/∂x_i = 1 when x_i is the first arg-max."""

    def fdiff(self, argindex=1):
        if not 1 <= argindex <= len(self.args):
            raise ArgumentIndexError(self, argindex)
        return FirstArgmax(sp.Integer(argindex), *self.args)

    def _numpycode(self, printer):
        return f"numpy.max({_stacked(printer, self.args)}, axis=0)"

    def _tex(self, printer) -> str:
        return rf"\max\left({', '.join(printer._print(a) for a in self.args)}\right)"

    def _elementary(self):
        return sp.Max(*self.args)


class FirstArgmax(_Rule):
    """1 when entry ``i`` (from 1) is the first arg-max of x_1, …, x_k, else 0: max's derivative."""

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _numpycode(self, printer):
        index = int(self.args[0]) - 1
        return f"(numpy.argmax({_stacked(printer, self.args[1:])}, axis=0) == {index})"

    def _tex(self, printer) -> str:
        args = ", ".join(printer._print(a) for a in self.args[1:])
        return (
            rf"\mathbb{{1}}\left[\operatorname{{argmax}}\left({args}\right) = {self.args[0]}\right]"
        )

    def _elementary(self):
        i, values = int(self.args[0]) - 1, self.args[1:]
        earlier = [values[i] > v for v in values[:i]]
        later = [values[i] >= v for v in values[i + 1 :]]
        return sp.Piecewise((1, sp.And(*earlier, *later)), (0, True))


@dataclass(frozen=True)
class Window:
    """A pool's geometry: channels, input size, window and stride per axis."""

    channels: int
    size: tuple[int, ...]
    window: tuple[int, ...]
    stride: tuple[int, ...]

    @property
    def out(self) -> tuple[int, ...]:
        return tuple(
            (n - k) // s + 1 for n, k, s in zip(self.size, self.window, self.stride, strict=True)
        )

    def cells(self, position: tuple[int, ...]) -> list[tuple[int, ...]]:
        """The input indices of the window at an output position, in row-major order."""
        starts = [s * i for s, i in zip(self.stride, position, strict=True)]
        return [
            tuple(b + o for b, o in zip(starts, offset, strict=True))
            for offset in itertools.product(*map(range, self.window))
        ]


class PoolBase:
    """What maxpool and avgpool share: ``window`` (an int or one per axis), ``stride``."""

    kind: ClassVar[str]
    activation: ClassVar[str] = "identity"  # a pool passes through no activation

    def convention(self, block: int) -> str:
        """The tie rule of max pooling, stated in every document."""
        return CONVENTION

    def __hash__(self) -> int:
        return hash(repr(self))

    @property
    def _window(self) -> Window:
        found = self.__dict__.get("_checked_window")
        if found is None:
            from symnn.core.errors import SymnnError

            raise SymnnError(f"a {self.kind} layer is used before its spec is checked")
        return found

    def geometry(self) -> Window:
        return self._window

    def width(self, sizes: tuple[int, ...]) -> int:
        return self._window.channels * math.prod(self._window.out)

    def output_shape(self, shapes: tuple[tuple[int, ...], ...]) -> tuple[int, ...]:
        return (self._window.channels, *self._window.out)

    def checked(self, key: str, sizes: tuple[int, ...], ctx: SpecContext):
        from symnn.core.errors import SymnnError

        if len(sizes) != 1:
            raise fail(f"{key}.inputs", f"one block for a {self.kind} layer", list(self.inputs))
        block = source_block(self, ctx, key)
        name = "the input" if block == 0 else f"block {block} (layers[{block}])"
        shape = ctx.block_shapes[block]
        if len(shape) not in (1, 2, 3):
            raise SymnnError(
                f"{key}: a {self.kind} layer reads (channels, length) or (channels, height, "
                f"width) blocks, but {name} has shape {tuple(shape)}"
            )
        dims = 1 if len(shape) <= 2 else 2
        if isinstance(self.window, list | tuple) and len(self.window) not in (1, dims):
            raise SymnnError(
                f"{key}.window: a {len(self.window)}-D window {list(self.window)} on {name} of "
                f"shape {tuple(shape)} (a {dims}-D block); give {dims} size(s)"
            )
        channels, *size = spatial_shape(self.kind, dims, tuple(shape), key, name)
        window = per_axis(self.window, dims, f"{key}.window", 1)
        stride = window if self.stride is None else self.stride
        stride = per_axis(stride, dims, f"{key}.stride", 1)
        if any(k > n for k, n in zip(window, size, strict=True)):
            raise SymnnError(
                f"{key}.window: a {'×'.join(map(str, window))} window is larger than {name} "
                f"({'×'.join(map(str, size))})"
            )
        checked = type(self)(window=window, stride=stride, name=self.name, inputs=self.inputs)
        object.__setattr__(
            checked, "_checked_window", Window(channels, tuple(size), window, stride)
        )
        return checked

    def parameters(self, block: int, sizes: tuple[int, ...], ctx: SpecContext) -> list:
        return []

    def define(self, g: GraphBuilder, block: int, xs: list[list[sp.Symbol]]) -> list[sp.Symbol]:
        (x,) = xs
        geo = self._window
        x_at = np.array(x, dtype=object).reshape(geo.channels, *geo.size)
        outputs = []
        for c in range(geo.channels):
            for position in itertools.product(*map(range, geo.out)):
                outputs.append(self.reduce([x_at[(c, *cell)] for cell in geo.cells(position)]))
        units = range(1, len(outputs) + 1)
        return g.define([nt.a(block, j) for j in units], outputs, self.node_kind, block)

    # -- the oracle: the windows gathered by slicing, reduced in autograd.numpy ----------------
    def oracle(self, o: OracleContext, block: int, xs: list):
        anp, geo = o.anp, self._window
        (a,) = xs
        n = a.shape[0]
        x = anp.reshape(a, (n, geo.channels, *geo.size))
        patches = []
        for offset in itertools.product(*map(range, geo.window)):
            index = tuple(
                slice(p, p + s * (m - 1) + 1, s)
                for p, s, m in zip(offset, geo.stride, geo.out, strict=True)
            )
            patches.append(x[(slice(None), slice(None), *index)])
        stacked = anp.stack(patches, axis=-1)
        return anp.reshape(self.oracle_reduce(anp, stacked), (n, -1))

    # -- the batched NumPy rule: windows by sliding_window_view; back by summing windows -------
    def _windows(self, c: ArrayCode, l: int, previous: str) -> None:
        geo = self._window
        axes = tuple(range(2, 2 + len(geo.window)))
        c.emit(f"X{l} = {previous}.reshape(N, {geo.channels}, {', '.join(map(str, geo.size))})")
        view = f"sliding_window_view(X{l}, {geo.window}, axis={axes})"
        if any(s > 1 for s in geo.stride):
            view += f"[:, :, {', '.join(f'::{s}' for s in geo.stride)}]"
        count = math.prod(geo.window)
        shape = f"N, {geo.channels}, {self._out()}, {count}"
        c.emit(f"P{l} = numpy.lib.stride_tricks.{view}.reshape({shape})")

    def _out(self) -> str:
        return ", ".join(map(str, self._window.out))

    def _summed_windows(self, c: ArrayCode, l: int, contributions: str) -> str:
        """The code of ∂L/∂X: each window's contributions V (N, C, *out, *window) added back
        at the entries it covers (zeros between positions for a stride, full padding, and the
        windows of that array read with the offsets turned round: a loop-free col2im)."""
        geo = self._window
        dims = len(geo.window)
        axes = tuple(range(2, 2 + dims))
        up = tuple((m - 1) * s + 1 for m, s in zip(geo.out, geo.stride, strict=True))
        c.emit(f"V{l} = {contributions}")
        if geo.stride == geo.window:  # windows side by side: a transpose puts each entry back
            order = (0, 1, 2, 4, 3, 5) if dims == 2 else (0, 1, 2, 3)
            side = ", ".join(f"{m * k}" for m, k in zip(geo.out, geo.window, strict=True))
            c.emit(f"U{l} = V{l}.transpose{order}.reshape(N, {geo.channels}, {side})")
            tails = [n - m * k for n, m, k in zip(geo.size, geo.out, geo.window, strict=True)]
            if any(tails):  # entries past the last window get no gradient
                widths = ", ".join(f"(0, {t})" for t in tails)
                c.emit(f"U{l} = numpy.pad(U{l}, ((0, 0), (0, 0), {widths}))")
            return f"U{l}.reshape(N, -1)"
        if any(s > 1 for s in geo.stride):
            shape = ", ".join(map(str, (*up, *geo.window)))
            c.emit(f"U{l} = numpy.zeros((N, {geo.channels}, {shape}))")
            c.emit(f"U{l}[:, :, {', '.join(f'::{s}' for s in geo.stride)}] = V{l}")
        else:
            c.emit(f"U{l} = V{l}")
        widths = ", ".join(
            f"({k - 1}, {k - 1 + n - k - (m - 1) * s})"
            for k, n, m, s in zip(geo.window, geo.size, geo.out, geo.stride, strict=True)
        )
        keep = ", ".join(["(0, 0)"] * dims)
        c.emit(f"U{l} = numpy.pad(U{l}, ((0, 0), (0, 0), {widths}, {keep}))")
        flip = ", ".join(["::-1"] * dims)
        c.emit(
            f"Q{l} = numpy.lib.stride_tricks.sliding_window_view(U{l}, {geo.window}, "
            f"axis={axes})[..., {flip}]"
        )
        space, kern = ("hw", "pq") if dims == 2 else ("l", "p")
        return f'numpy.einsum("nc{space}{kern}{kern}->nc{space}", Q{l}).reshape(N, -1)'

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        (previous,) = ins
        if previous == "X":  # nothing reads ∂L/∂X
            return ["None"], {}
        l, geo = block, self._window
        g = c.named(gradient, f"G{l}")
        c.emit(f"D{l} = {g}.reshape(N, {geo.channels}, {self._out()}, 1)")
        return [self._summed_windows(c, l, self.contributions(l))], {}


@register
@dataclass(frozen=True, eq=True)
class MaxPool(PoolBase):
    """Max pooling; the gradient goes to the first arg-max of each window (row-major order).

    Examples:
        >>> from symnn import Network
        >>> Network(16, [MaxPool(2)], input_shape=[1, 4, 4]).block_shapes
        ((1, 4, 4), (1, 2, 2))
    """

    kind: ClassVar[str] = "maxpool"
    node_kind: ClassVar[NodeKind] = MAX_POOL
    local_note: ClassVar[str] = TIE_RULE
    examples: ClassVar[tuple[dict, ...]] = (
        {  # a 2×2 max over a 1×4×4 image, then a read-out
            "inputs": 16,
            "input_shape": [1, 4, 4],
            "layers": [{"kind": "maxpool", "window": 2}, {"units": 1}],
            "loss": "squared_error",
        },
        {  # overlapping windows (stride 1) after a conv, 1-D
            "inputs": 6,
            "input_shape": [1, 6],
            "layers": [
                {"kind": "conv1d", "out_channels": 2, "kernel_size": 2, "activation": "tanh"},
                {"kind": "maxpool", "window": 3, "stride": 1},
            ],
            "loss": "mse",
        },
        {  # a 1×1 conv, then overlapping 2×2 windows (stride 1) over its 1×3×3 block
            "inputs": 9,
            "input_shape": [1, 3, 3],
            "layers": [
                {"kind": "conv2d", "out_channels": 1, "kernel_size": 1, "activation": "tanh"},
                {"kind": "maxpool", "window": 2, "stride": 1},
                {"units": 1},
            ],
            "loss": "squared_error",
        },
    )

    window: Any
    stride: Any = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    __hash__ = PoolBase.__hash__

    def reduce(self, cells: list[sp.Symbol]) -> sp.Expr:
        return WindowMax(*cells)

    def oracle_reduce(self, anp, stacked):
        return anp.max(stacked, axis=-1)

    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        """P = the windows; I = the first arg-max in each (row-major); A = the max."""
        l = block
        if self._window.stride == self._window.window:
            self._planes_forward(c, l, ins[0])
            return
        self._windows(c, l, ins[0])
        c.emit(f"I{l} = P{l}.argmax(axis=-1)  # the first arg-max: a tie goes to the earliest")
        c.emit(f"A{l} = numpy.take_along_axis(P{l}, I{l}[..., None], axis=-1).reshape(N, -1)")

    # Windows side by side (stride = window): each window's entries are gathered entry by entry
    # into K planes, P[k] the k-th entry (row-major) of every window, so that the max, the arg-max
    # and the routing back are whole-array operations over K planes (no reduction over a short
    # axis, which NumPy runs slowly), and one transpose puts the routed gradient back in place.
    def _plane_axes(self) -> tuple[int, ...]:
        """The split image's (N, C, out, window, …) axes, window axes first."""
        return (3, 5, 0, 1, 2, 4) if len(self._window.window) == 2 else (3, 0, 1, 2)

    def _planes_forward(self, c: ArrayCode, l: int, previous: str) -> None:
        geo = self._window
        count = math.prod(geo.window)
        c.emit(f"X{l} = {previous}.reshape(N, {geo.channels}, {', '.join(map(str, geo.size))})")
        if any(n != m * k for n, m, k in zip(geo.size, geo.out, geo.window, strict=True)):
            kept = ", ".join(f":{m * k}" for m, k in zip(geo.out, geo.window, strict=True))
            c.emit(f"X{l} = X{l}[:, :, {kept}]  # entries past the last window are never read")
        split = ", ".join(f"{m}, {k}" for m, k in zip(geo.out, geo.window, strict=True))
        order = self._plane_axes()
        c.emit(f"# P{l}[k]: entry k (row-major) of every window, one plane each")
        c.emit(
            f"P{l} = X{l}.reshape(N, {geo.channels}, {split}).transpose{order}"
            f".reshape({count}, N, {geo.channels}, {self._out()})"
        )
        c.emit(f"A{l} = P{l}.max(axis=0)")
        planes = ", ".join(["None"] * (2 + len(geo.window)))
        kind = "numpy.uint8" if count < 256 else "numpy.intp"
        c.emit(
            "# the first arg-max (a tie goes to the earliest): the max's entries weighted K, …, 1"
        )
        c.emit(
            f"I{l} = {count} - ((P{l} == A{l}) * numpy.arange({count}, 0, -1, dtype={kind})"
            f"[:, {planes}]).max(axis=0)"
        )
        c.emit(f"A{l} = A{l}.reshape(N, -1)")

    def numpy_backward(self, c: ArrayCode, block: int, gradient: str | None, ins: list[str]):
        geo = self._window
        if geo.stride != geo.window or ins[0] == "X":
            return super().numpy_backward(c, block, gradient, ins)
        l, count = block, math.prod(geo.window)
        g = c.named(gradient, f"G{l}")
        c.emit(f"D{l} = {g}.reshape(N, {geo.channels}, {self._out()})")
        planes = ", ".join(["None"] * (2 + len(geo.window)))
        order = self._plane_axes()
        window = ", ".join(map(str, geo.window))
        split = ", ".join(f"{m}, {k}" for m, k in zip(geo.out, geo.window, strict=True))
        side = ", ".join(f"{m * k}" for m, k in zip(geo.out, geo.window, strict=True))
        onehot = f"(numpy.arange({count})[:, {planes}] == I{l})"
        whole = f"{window}, N, {geo.channels}, {self._out()}"
        c.emit("# δ to the arg-max of its window, written once, straight into the windows' entries")
        c.emit(f"U{l} = numpy.empty((N, {geo.channels}, {split}))")
        c.emit(f"numpy.multiply({onehot}.reshape({whole}), D{l}, out=U{l}.transpose{order})")
        c.emit(f"U{l} = U{l}.reshape(N, {geo.channels}, {side})")
        tails = [n - m * k for n, m, k in zip(geo.size, geo.out, geo.window, strict=True)]
        if any(tails):  # entries past the last window get no gradient
            widths = ", ".join(f"(0, {t})" for t in tails)
            c.emit(f"U{l} = numpy.pad(U{l}, ((0, 0), (0, 0), {widths}))")
        return [f"U{l}.reshape(N, -1)"], {}

    def contributions(self, l: int) -> str:
        geo = self._window
        count, window = math.prod(geo.window), ", ".join(map(str, geo.window))
        onehot = f"(numpy.arange({count}) == I{l}[..., None])"
        return f"(D{l} * {onehot}).reshape(N, {geo.channels}, {self._out()}, {window})"


@register
@dataclass(frozen=True, eq=True)
class AvgPool(PoolBase):
    """Average pooling; each entry of a window gets δ/k of its output's gradient (k entries).

    Examples:
        >>> from symnn import Network
        >>> Network(6, [AvgPool(2)], input_shape=[2, 3]).block_shapes
        ((2, 3), (2, 1))
    """

    kind: ClassVar[str] = "avgpool"
    node_kind: ClassVar[NodeKind] = AVERAGE_POOL
    local_note: ClassVar[str] = "average pooling spreads the gradient evenly: δ/k to each entry"
    examples: ClassVar[tuple[dict, ...]] = (
        {
            "inputs": 16,
            "input_shape": [1, 4, 4],
            "layers": [{"kind": "avgpool", "window": 2}, {"units": 1}],
            "loss": "squared_error",
        },
        {  # overlapping 2×2 windows with stride 1 after a conv
            "inputs": 9,
            "input_shape": [1, 3, 3],
            "layers": [
                {"kind": "conv2d", "out_channels": 2, "kernel_size": 1, "activation": "sigmoid"},
                {"kind": "avgpool", "window": [2, 2], "stride": 1},
                {"units": 1},
            ],
            "loss": "mse",
        },
    )

    window: Any
    stride: Any = None
    name: str = ""
    inputs: tuple[str, ...] = ()

    __hash__ = PoolBase.__hash__

    def reduce(self, cells: list[sp.Symbol]) -> sp.Expr:
        return sp.Add(*cells) / len(cells)

    def oracle_reduce(self, anp, stacked):
        return anp.mean(stacked, axis=-1)

    def numpy_forward(self, c: ArrayCode, block: int, ins: list[str]) -> None:
        l = block
        self._windows(c, l, ins[0])
        c.emit(f"A{l} = P{l}.mean(axis=-1).reshape(N, -1)")

    def contributions(self, l: int) -> str:
        geo = self._window
        count, window = math.prod(geo.window), ", ".join(map(str, geo.window))
        ones = ", ".join(["1"] * len(geo.window))
        spread = f"D{l}.reshape(N, {geo.channels}, {self._out()}, {ones}) / {count}"
        return f"numpy.broadcast_to({spread}, (N, {geo.channels}, {self._out()}, {window}))"


# -- the matrix level: a = pool(u); u gets ∂L/∂a routed to each window's arg-max, or spread -------
def _window_args(w: Window) -> sp.Tuple:
    return sp.Tuple(len(w.size), w.channels, *w.size, *w.window, *w.stride)


def _window_of(args: sp.Tuple) -> Window:
    dims, values = int(args[0]), [int(v) for v in args[1:]]
    parts = [tuple(values[1 + i * dims : 1 + (i + 1) * dims]) for i in range(3)]
    return Window(values[0], *parts)


def _shown(w: Window) -> str:
    k = "×".join(map(str, w.window)) if len(set(w.window)) > 1 else str(w.window[0])
    s = ",".join(map(str, w.stride)) if len(set(w.stride)) > 1 else str(w.stride[0])
    return rf"{k},\,s={s}"


class _PoolNode(sp.MatrixExpr):
    """A matrix-level node of a pooling layer; the last argument is its window geometry."""

    def __new__(cls, *args):
        return sp.Basic.__new__(cls, *args)

    @property
    def window(self) -> Window:
        return _window_of(self.args[-1])

    def _sympystr(self, printer) -> str:
        inner = ", ".join(printer._print(a) for a in self.args[:-1])
        return f"{type(self).__name__}({inner})"

    def _cells(self, values) -> list[tuple[tuple[int, ...], list]]:
        """(output index, the window's entries as flat input indices) for every output."""
        w = self.window
        flat = np.arange(w.channels * math.prod(w.size)).reshape(w.channels, *w.size)
        found = []
        for c in range(w.channels):
            for position in itertools.product(*map(range, w.out)):
                found.append([int(flat[(c, *cell)]) for cell in w.cells(position)])
        return found


class Pooled(_PoolNode):
    """maxpool(u) or avgpool(u) (``args[1]`` is "max" or "avg")."""

    @property
    def shape(self):
        w = self.window
        return (w.channels * math.prod(w.out), 1)

    def _latex(self, printer) -> str:
        name = rf"\operatorname{{{self.args[1]}pool}}_{{{_shown(self.window)}}}"
        return rf"{name}\left({printer._print(self.args[0])}\right)"

    def _explicit(self, explicit) -> sp.Matrix:
        u = explicit(self.args[0])
        windows = [[u[i] for i in cells] for cells in self._cells(u)]
        if str(self.args[1]) == "max":
            return sp.Matrix([WindowMax(*cells) for cells in windows])
        return sp.Matrix([sp.Add(*cells) / len(cells) for cells in windows])


class PooledBack(_PoolNode):
    """What a pool passes back: g routed to each window's first arg-max (max), or g/k spread
    over the window (avg), summed where windows overlap."""

    @property
    def shape(self):
        w = self.window
        return (w.channels * math.prod(w.size), 1)

    def _latex(self, printer) -> str:
        g = printer._print(self.args[1])
        if str(self.args[2]) == "max":
            return rf"\operatorname{{route}}_{{\operatorname{{argmax}}}}\left({g}\right)"
        k = math.prod(self.window.window)
        return (
            rf"\tfrac{{1}}{{{k}}} \operatorname{{spread}}_{{{_shown(self.window)}}}\left({g}\right)"
        )

    def _explicit(self, explicit) -> sp.Matrix:
        u, g = explicit(self.args[0]), explicit(self.args[1])
        entries = [sp.S.Zero] * u.rows
        for out, cells in enumerate(self._cells(u)):
            values = [u[i] for i in cells]
            for position, i in enumerate(cells, start=1):
                if str(self.args[2]) == "max":
                    share = FirstArgmax(sp.Integer(position), *values)
                else:
                    share = sp.Rational(1, len(cells))
                entries[i] += share * g[out]
        return sp.Matrix(entries)


def _pool_matrix_rule(self, m):
    """a = pool(u); u gets PooledBack(u, ∂L/∂a): routed (max) or spread (avg)."""
    from symnn.core.matexpr import Jac
    from symnn.core.steps import Step
    from symnn.layers.base import MatrixRule, Pullback

    (u,) = m.inputs
    how = sp.Symbol("max" if self.kind == "maxpool" else "avg")
    geo = _window_args(self._window)
    g = m.adjoint_name
    back = Pullback(
        sp.MatMul(sp.Transpose(Jac(m.output, u)), g), PooledBack(u, g, how, geo), self.local_note
    )
    forward = Step(m.output, Pooled(u, how, geo), "definition", self.kind)
    return MatrixRule(forward=(forward,), pullbacks=(back,))


MaxPool.matrix_rule = AvgPool.matrix_rule = _pool_matrix_rule  # each kind declares the hook

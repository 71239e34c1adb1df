"""Convolution and pooling on scalar Values: Conv2d, MaxPool2d, AvgPool2d.

One example is an image as a nested list `[channel][row][column]` (or a NumPy array of
shape (C, H, W)).  A filter is a small grid of weights slid over the image; at each
position its output is `w . patch + b`, the same weighted sum as a neuron's.  The same
few weights serve every position, which is why a convolutional layer needs far fewer
parameters than a dense one.  As every framework does, we compute cross-correlation (the
filter is not flipped) and call it convolution.

Along each axis the window takes `(size + 2 * padding - kernel_size) // stride + 1`
positions.  Zero padding adds nothing to a weighted sum, so padded positions are simply
left out of it: a window at the border sums over the pixels that are really there.
"""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from typing import Any, Callable, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from . import init as initialisers
from .layers import ParameterFree
from .module import Module, Seed, seeded, sizes

Picker = Callable[[Sequence[Any]], tuple]
Window = tuple[Picker, Picker]  # (filter weights, input values) of one output position


def output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """How many positions a window of `kernel_size` takes along an axis of `size` pixels."""
    return (size + 2 * padding - kernel_size) // stride + 1


def as_grid(x: Any, who: str) -> list[list[list[Any]]]:
    """`x` as a nested list [channel][row][column], checked to be a rectangular 3-D grid."""
    grid = x.tolist() if hasattr(x, "tolist") else x
    try:
        shape = (len(grid), len(grid[0]), len(grid[0][0]))
        rectangular = all(len(channel) == shape[1] and all(len(row) == shape[2] for row in channel) for channel in grid)
    except (TypeError, IndexError):
        rectangular = False
    if not rectangular or 0 in shape or isinstance(grid[0][0][0], (list, tuple)):
        raise ValueError(Message("{who}: expected one image as [channel][row][column] (shape (C, H, W)), got {got}",
                                 who=who, got=_describe(x)))
    return grid


class Conv2d(Module):
    """`out_channels` filters of `in_channels` x `kernel_size` x `kernel_size` weights, plus a bias each.

    Returns `out_channels` feature maps of H_out x W_out Values.  `fused=True` makes each
    output one `weighted_sum` node over its receptive field plus the bias (fast);
    `fused=False` builds every multiply and add, so a drawing shows each of them.
    Weights default to He initialisation (a convolution is usually followed by ReLU).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        *,
        seed: Seed = None,
        init: str | None = None,
        fused: bool = True,
    ) -> None:
        self.in_channels = _size(in_channels, "Conv2d", "in_channels")
        self.out_channels = _size(out_channels, "Conv2d", "out_channels")
        self.kernel_size = _size(kernel_size, "Conv2d", "kernel_size")
        self.stride = _size(stride, "Conv2d", "stride")
        self.padding = _size(padding, "Conv2d", "padding", minimum=0)
        if self.padding >= self.kernel_size:  # (a model file's padding of 10**6 asked for 10**12 outputs per image)
            raise ValueError(Message("Conv2d: padding must be less than kernel_size ({kernel_size}), got {padding}: a window "
                                     "further out would see only the padding's zeros",
                                     kernel_size=self.kernel_size, padding=self.padding))
        if not isinstance(fused, bool):
            raise TypeError(Message("{who}: fused must be True or False, got {fused!r}", who="Conv2d", fused=fused))
        self.fused = fused
        draw = initialisers.get(init, "relu")
        rng = seeded(seed)
        area = kernel_size * kernel_size
        fan_in, fan_out = in_channels * area, out_channels * area
        k = range(kernel_size)
        self.weight = [[[[Value(draw(fan_in, fan_out, rng), label=f"w{o}[{c},{i},{j}]") for j in k] for i in k]
                        for c in range(in_channels)] for o in range(out_channels)]
        self.bias = [Value(0.0, label=f"b{o}") for o in range(out_channels)]
        self.filters = [[w for channel in filt for row in channel for w in row] for filt in self.weight]  # flat views

    def __call__(self, x: Any) -> list[list[list[Value]]]:
        grid = as_grid(x, "Conv2d")
        if len(grid) != self.in_channels:
            raise ValueError(Message("Conv2d: expected {in_channels} input channels, got {got}", in_channels=self.in_channels, got=len(grid)))
        height, width = len(grid[0]), len(grid[0][0])
        w_out = _fit("Conv2d", height, width, self.kernel_size, self.stride, self.padding)[1]
        windows = plan(self.in_channels, height, width, self.kernel_size, self.stride, self.padding)
        flat = [v for channel in grid for row in channel for v in row]
        respond = autograd.weighted_sum if self.fused else unfused_weighted_sum
        return [_in_rows([respond(weights(filt), inputs(flat), b) for weights, inputs in windows], w_out)
                for filt, b in zip(self.filters, self.bias)]

    def own_parameters(self) -> list[tuple[str, Value]]:
        k = range(self.kernel_size)
        weights = [(f"weight.{o}.{c}.{i}.{j}", self.weight[o][c][i][j])
                   for o in range(self.out_channels) for c in range(self.in_channels) for i in k for j in k]
        return weights + [(f"bias.{o}", b) for o, b in enumerate(self.bias)]

    def config(self) -> dict[str, Any]:
        return {"in_channels": self.in_channels, "out_channels": self.out_channels, "kernel_size": self.kernel_size,
                "stride": self.stride, "padding": self.padding, "fused": self.fused}

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int | None:
        """A k x k kernel per (input, output) channel pair, and a bias per output channel."""
        n = sizes(config.get("in_channels"), config.get("out_channels"), config.get("kernel_size"))
        return None if n is None else n[1] * (n[0] * n[2] * n[2] + 1)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


def unfused_weighted_sum(weights: Sequence[Value], inputs: Sequence[Any], bias: Value) -> Value:
    """w1*x1 + w2*x2 + ... + b, one node per multiply and add: slow, but every step can be drawn."""
    total: Any = None
    for w, x in zip(weights, inputs):
        total = w * x if total is None else total + w * x
    return bias if total is None else total + bias


class Pool2d(ParameterFree):
    """Each `kernel_size` x `kernel_size` window of each channel reduced to one Value (no parameters).

    `stride` defaults to `kernel_size`: windows side by side, not overlapping.
    """

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        who = type(self).__name__
        self.kernel_size = _size(kernel_size, who, "kernel_size")
        self.stride = kernel_size if stride is None else _size(stride, who, "stride")

    def pool(self, window: tuple) -> Value:
        raise NotImplementedError

    def __call__(self, x: Any) -> list[list[list[Value]]]:
        grid = as_grid(x, type(self).__name__)
        height, width = len(grid[0]), len(grid[0][0])
        w_out = _fit(type(self).__name__, height, width, self.kernel_size, self.stride, 0)[1]
        windows = [inputs for _, inputs in plan(1, height, width, self.kernel_size, self.stride, 0)]
        flats = ([v for row in channel for v in row] for channel in grid)
        return [_in_rows([self.pool(inputs(flat)) for inputs in windows], w_out) for flat in flats]

    def config(self) -> dict[str, Any]:
        return {"kernel_size": self.kernel_size, "stride": self.stride}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"


class MaxPool2d(Pool2d):
    """The largest value of each window.  Its gradient goes to that maximum only: the other
    values did not affect the output."""

    def pool(self, window: tuple) -> Value:
        if type(window[0]) is not Value and not any(isinstance(v, Value) for v in window):
            return Value(float(max(window)))  # an image of plain numbers: a leaf, as AvgPool2d gives
        return autograd.max(window)


class AvgPool2d(Pool2d):
    """The mean of each window: every value gets an equal share (1 / kernel_size**2) of the gradient."""

    def pool(self, window: tuple) -> Value:
        return autograd.sum(window) * (1.0 / len(window))


@lru_cache(maxsize=64)
def plan(channels: int, height: int, width: int, kernel_size: int, stride: int, padding: int) -> tuple[Window, ...]:
    """For each output position, row by row: which filter weights meet which input values.

    Positions index the flattened filter (channel, row, column) and the flattened image;
    padded positions are left out.  Computed once per geometry and reused for every example.
    """
    h_out, w_out = output_size(height, kernel_size, stride, padding), output_size(width, kernel_size, stride, padding)
    area = kernel_size * kernel_size
    windows = []
    for r in range(h_out):
        for s in range(w_out):
            weights, inputs = [], []
            for c in range(channels):
                for i in range(kernel_size):
                    row = r * stride - padding + i
                    for j in range(kernel_size):
                        col = s * stride - padding + j
                        if 0 <= row < height and 0 <= col < width:
                            weights.append(c * area + i * kernel_size + j)
                            inputs.append((c * height + row) * width + col)
            windows.append((_picker(weights), _picker(inputs)))
    return tuple(windows)


def _picker(indices: list[int]) -> Picker:
    """A fast function seq -> tuple of seq[i] for i in indices (itemgetter, always giving a tuple)."""
    if len(indices) > 1:
        return itemgetter(*indices)
    return lambda seq: tuple(seq[i] for i in indices)


def _in_rows(values: list, width: int) -> list[list]:
    """A row-by-row list of outputs cut into rows of `width`: one feature map."""
    return [values[start : start + width] for start in range(0, len(values), width)]


def _fit(who: str, height: int, width: int, kernel_size: int, stride: int, padding: int) -> tuple[int, int]:
    """(H_out, W_out), or a ValueError naming the sizes if the kernel does not fit."""
    if kernel_size > min(height, width) + 2 * padding:
        raise ValueError(Message("{who}: kernel_size {kernel_size} is larger than the padded input ({height} x {width} with "
                                 "padding {padding}: {padded_height} x {padded_width})", who=who, kernel_size=kernel_size,
                                 height=height, width=width, padding=padding, padded_height=height + 2 * padding,
                                 padded_width=width + 2 * padding))
    return output_size(height, kernel_size, stride, padding), output_size(width, kernel_size, stride, padding)


def _size(n: object, who: str, what: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        kind = Message("a positive integer") if minimum == 1 else Message("an integer >= {minimum}", minimum=minimum)
        raise ValueError(Message("{who}: {what} must be {kind}, got {n!r}", who=who, what=what, kind=kind, n=n))
    return n


def _describe(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return Message("an array of shape {shape}", shape=shape) if shape is not None else Message("a {type}", type=type(x).__name__)

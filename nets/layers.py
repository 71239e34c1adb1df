"""Building blocks for `Sequential` models: Linear, the activation modules, and Flatten.

An `MLP` bundles layers and activations into one object; these pieces keep them apart,
as PyTorch does, so a model can be written out layer by layer:
`Sequential(Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(72, 10))`.
"""

from __future__ import annotations

from typing import Any, Callable

from autograd import Value

from . import activations
from .module import Layer, Module, Seed


class Linear(Layer):
    """`nout` weighted sums of all `nin` inputs, with no activation: PyTorch's `nn.Linear`.

    It is a `Layer` whose activation is linear, so it returns a list of `nout` Values;
    follow it with `ReLU()` (and pass `init="he_uniform"`) for a hidden layer.
    """

    def __init__(self, nin: int, nout: int, init: str | None = None, *, fused: bool = True, seed: Seed = None) -> None:
        super().__init__(nin, nout, "linear", init, fused=fused, seed=seed)

    def config(self) -> dict[str, Any]:
        return {"nin": self.nin, "nout": self.nout, "fused": self.neurons[0].fused}

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


def map_values(fn: Callable[[Value], Value], x: Any) -> Any:
    """`fn` applied to every Value in `x`, keeping its nesting (a Value, a list, a list of lists...)."""
    if isinstance(x, (list, tuple)):
        return [map_values(fn, item) for item in x]
    return fn(x)


class Activation(Module):
    """An activation function as a module: applied to every Value of its input, whatever its
    nesting (one Value, a list, or feature maps [channel][row][column]).  No parameters."""

    name = "linear"

    def __init__(self) -> None:
        self._fn = activations.get(self.name)

    def __call__(self, x: Any) -> Any:
        return map_values(self._fn, x)

    def config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """max(0, x) on every value."""

    name = "relu"


class Tanh(Activation):
    """tanh(x) on every value."""

    name = "tanh"


class LeakyReLU(Activation):
    """x for x > 0, 0.01 * x otherwise, on every value."""

    name = "leaky_relu"


class Sigmoid(Activation):
    """1 / (1 + e^-x) on every value."""

    name = "sigmoid"


ACTIVATION_MODULES: dict[str, type[Activation]] = {m.name: m for m in (ReLU, LeakyReLU, Tanh, Sigmoid)}


class Flatten(Module):
    """Any nesting to one flat list, row by row ([channel][row][column] order, as PyTorch):
    what a dense layer after a convolution needs."""

    def __call__(self, x: Any) -> list:
        if hasattr(x, "tolist"):
            x = x.tolist()
        flat: list = []
        _flatten_into(flat, x)
        return flat

    def config(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return "Flatten()"


def _flatten_into(flat: list, x: Any) -> None:
    if isinstance(x, (list, tuple)):
        for item in x:
            _flatten_into(flat, item)
    else:
        flat.append(x)


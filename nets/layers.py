"""The parameter-free blocks: the activation modules, Flatten and Dropout.

An `MLP` bundles layers and activations into one object; these pieces keep them apart,
as PyTorch does, so a model can be written out layer by layer:
`Sequential(Conv2d(1, 8, 3), ReLU(), MaxPool2d(2), Flatten(), Linear(72, 10))`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from autograd import Value
from autograd.value import Message

from . import activations
from .module import Module, Seed, seeded


def map_values(fn: Callable[[Value], Value], x: Any) -> Any:
    """`fn` applied to every Value in `x`, keeping its nesting (a Value, a list, a list of lists...).

    Iterative, in the order a recursive walk would take: any depth of nesting works."""
    if not isinstance(x, (list, tuple)):
        return fn(x)
    result: list = []
    stack = [(iter(x), result)]
    while stack:
        items, out = stack[-1]
        for item in items:
            if isinstance(item, (list, tuple)):
                out.append([])
                stack.append((iter(item), out[-1]))
                break
            out.append(fn(item))
        else:
            stack.pop()
    return result


class ParameterFree(Module):
    """A module with no parameters: its config gives none."""

    @classmethod
    def parameter_count(cls, config: dict[str, Any]) -> int:
        return 0


class Activation(ParameterFree):
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


class Flatten(ParameterFree):
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
    """Every item of `x` that is not a list or tuple, in order, onto `flat` (iterative: any depth)."""
    stack = [iter((x,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, (list, tuple)):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()


class Dropout(ParameterFree):
    """In training, zero each value with probability p and scale the rest by 1/(1-p).

    The scaling keeps each unit's expected value unchanged, so in eval mode Dropout is
    simply the identity.  Dropping random units stops neurons relying on each other.
    """

    def __init__(self, p: float = 0.5, *, seed: Seed = None) -> None:
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1:
            raise ValueError(Message("Dropout: p must be a probability in [0, 1), got {p!r}", p=p))
        self.p = float(p)
        self.rng = seeded(seed)

    def __call__(self, x: Sequence[Value]) -> list[Value]:
        if not self.training or self.p == 0:
            return list(x)
        keep = 1.0 / (1.0 - self.p)
        return [v * (0.0 if self.rng.random() < self.p else keep) for v in x]

    def config(self) -> dict[str, Any]:
        return {"p": self.p}

    def replay_problem(self) -> str | None:
        return Message("draws a new random mask for every example") if self.training and self.p else None

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"

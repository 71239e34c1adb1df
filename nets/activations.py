"""Activation functions: the nonlinearity after each neuron's weighted sum.

Without one, a stack of layers collapses into a single linear map; with one, a network
can bend its decision boundary.  Each function takes and returns a `Value`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import autograd
from autograd import Value
from autograd.value import Message

Activation = Callable[[Value], Value]


def linear(x: Value) -> Value:
    """The identity: for output layers whose scores feed a loss directly."""
    return x


def sigmoid(x: Value) -> Value:
    """1 / (1 + e^-x), squashing to (0, 1): a probability."""
    return x.sigmoid()


def tanh(x: Value) -> Value:
    """Squashes to (-1, 1); zero-centred, so it trains better than sigmoid in hidden layers."""
    return x.tanh()


def relu(x: Value) -> Value:
    """max(0, x): its slope is 1 or 0, so it never shrinks a gradient (but can 'die' at 0)."""
    return x.relu()


def leaky_relu(x: Value, slope: float = 0.01) -> Value:
    """Like relu, but a small slope for x < 0 keeps a gradient flowing through dead units."""
    return x.leaky_relu(slope)


ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
}


def get(name: str | None) -> Activation:
    """The activation called `name` (None means linear)."""
    if name is None:
        return linear
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(Message("activation: unknown activation {name!r}; choose one of {choices}", name=name,
                                 choices=", ".join(ACTIVATIONS))) from None


def softmax(logits: Sequence[Value]) -> list[Value]:
    """exp(z_i) / sum(exp(z_j)): scores to probabilities that sum to 1.

    Subtracting the largest score first (a constant, so the result is unchanged) keeps
    every exp() at most 1: no overflow even for scores of 1000.
    """
    if not logits:
        raise ValueError(Message("softmax: needs at least one value, got an empty list"))
    top = max(z.data for z in logits)
    exps = [(z - top).exp() for z in logits]
    total = autograd.sum(exps)
    return [e / total for e in exps]

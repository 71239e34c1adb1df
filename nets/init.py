"""Weight initialisers: where gradient descent starts.

Weights that start too large saturate tanh/sigmoid (slopes near 0); too small and the
signal fades layer by layer.  Xavier and He pick the scale from the layer's size so the
variance of activations stays roughly constant through the network.
Each initialiser is `f(fan_in, fan_out, rng) -> float`, called once per weight.
"""

from __future__ import annotations

import math
import random
from typing import Callable

from autograd.value import Message

Initialiser = Callable[[int, int, random.Random], float]


def uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """U(-1, 1), as micrograd does: fine for small networks, too large for wide ones."""
    return rng.uniform(-1.0, 1.0)


def xavier_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Glorot & Bengio (2010): U(-a, a) with a = sqrt(6 / (fan_in + fan_out)); for tanh and sigmoid."""
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a)


def xavier_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    return rng.gauss(0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def he_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """He et al. (2015): U(-a, a) with a = sqrt(6 / fan_in); relu zeroes half its inputs, so twice Xavier's variance."""
    a = math.sqrt(6.0 / fan_in)
    return rng.uniform(-a, a)


def he_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """He normal: N(0, 2 / fan_in), for relu layers."""
    return rng.gauss(0.0, math.sqrt(2.0 / fan_in))


INITIALISERS: dict[str, Initialiser] = {
    "uniform": uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def default(activation: str | None) -> str:
    """The initialiser that suits `activation`: He for relu-like ones, Xavier otherwise."""
    return "he_uniform" if activation in ("relu", "leaky_relu") else "xavier_uniform"


def get(name: str | None, activation: str | None = None) -> Initialiser:
    """The initialiser called `name`; None picks He for relu-like activations, Xavier otherwise."""
    if name is None:
        name = default(activation)
    try:
        return INITIALISERS[name]
    except (KeyError, TypeError):
        raise ValueError(Message("init: unknown initialiser {name!r}; choose one of {choices}", name=name,
                                 choices=", ".join(INITIALISERS))) from None

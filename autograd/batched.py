"""Every op's rule over a whole batch, for `autograd.compile`: NumPy beside the scalar rule.

Each `@batched(code)` below puts a rule in the op's entry of the table (`autograd.OPS`),
as `defvjp` fills HIPS autograd's table: the scalar rule in `value.py` makes the op, this
file says how to run a group of its nodes over a batch.  An elementwise rule reads like the
scalar one, on arrays: `x` holds one input of every node of a group for every example
(shape (G, B)), a constant `c` one plain number per node (shape (G, 1)); it returns the
results and the local derivative(s) d(node)/d(input), the numbers the scalar engine stores
in `local_grads`.  Where the scalar engine raises (log(0), x / 0, an overflow), a rule gives
inf or nan, and the tape reports it (see `Tape.forward`).

The numeric conventions are the scalar engine's (0**y, the first of tied maxima, the
overflow-free sigmoid); the random-graph tests of `tests/test_compile.py` keep them equal.
NumPy is imported by the first `compile()`, not by `import autograd`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from . import value  # noqa: F401 - makes the ops whose entries this file fills
from .ops import Batched, Node, batched

if TYPE_CHECKING:
    from numpy import ndarray

np: Any = None  # NumPy, bound by `load_numpy` (the first compile)

Grouped = Callable[["ndarray", "ndarray"], "tuple[ndarray, ndarray]"]


def load_numpy() -> Any:
    """NumPy, imported on first use: the engine itself stays pure Python."""
    global np
    if np is None:
        import numpy

        np = numpy
    return np


def grouped(entry: Batched) -> Grouped:
    """The rule as the tape runs it: `(P, c) -> (results, slopes)`, with the parents' values
    stacked as (G, k, B), the constants as (G, m, 1) and slopes broadcastable to (G, k, B)."""
    if not entry.elementwise:
        return entry.rule
    rule = entry.rule

    def forward(P: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
        out, slopes = rule(*(P[:, i] for i in range(P.shape[1])), *(c[:, j] for j in range(c.shape[1])))
        out = np.asarray(out, dtype=float)
        if not isinstance(slopes, (tuple, list)):  # one input: a view, no copy
            return out, np.broadcast_to(slopes, out.shape)[:, None]
        return out, np.stack([np.broadcast_to(s, out.shape) for s in slopes], axis=1)

    return forward


# ---- two Values ----

batched("+")(lambda x, y: (x + y, (1.0, 1.0)))
batched("-")(lambda x, y: (x - y, (1.0, -1.0)))
batched("*")(lambda x, y: (x * y, (y, x)))


@batched("/")
def _divide(x: ndarray, y: ndarray) -> tuple[ndarray, tuple[ndarray, ndarray]]:
    q = x / y
    return q, (1.0 / y, -q / y)


def _power_slope(n: ndarray, x: ndarray) -> ndarray:
    """n * x**(n-1), and 0 where n == 0 (as the scalar `_times_power`)."""
    return np.where(n == 0, 0.0, n * x ** (n - 1))


@batched("**")
def _pow_values(x: ndarray, y: ndarray) -> tuple[ndarray, tuple[ndarray, ndarray]]:
    """x ** y with a Value exponent: 0**y = 0 for y >= 1 (as the engine); needs x > 0 otherwise."""
    zero = (x == 0) & (y >= 1)
    bad = (x <= 0) & ~zero  # the engine raises here: give nan, which the tape reports
    out = np.where(bad, np.nan, np.where(zero, 0.0, x**y))
    return out, (np.where(zero, (y == 1) * 1.0, _power_slope(y, x)), np.where(zero, 0.0, out * np.log(x)))


# ---- a Value and a plain number c ----

batched("+c")(lambda x, c: (x + c, 1.0))
batched("c+")(lambda x, c: (c + x, 1.0))
batched("-c")(lambda x, c: (x - c, 1.0))
batched("c-")(lambda x, c: (c - x, -1.0))
batched("*c")(lambda x, c: (x * c, c))
batched("c*")(lambda x, c: (c * x, c))
batched("/c")(lambda x, c: (x / c, 1.0 / c))
batched("**c")(lambda x, c: (x**c, _power_slope(c, x)))
batched("leaky_relu")(lambda x, c: (np.where(x > 0, x, c * x), np.where(x > 0, 1.0, c)))


@batched("c/")
def _rdiv(x: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
    q = c / x
    return q, -q / x


@batched("c**")
def _rpow(x: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
    """c ** x for a plain number c: 0**x = 0 for x > 0; otherwise needs c > 0."""
    zero = (c == 0) & (x > 0)
    out = np.where(zero, 0.0, np.where(c > 0, c**x, np.nan))
    return out, np.where(zero, 0.0, out * np.log(c))


def _clamp_bounds(node: Node) -> tuple[float, float]:
    lo, hi = node.const
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


@batched("clamp", constants=_clamp_bounds)
def _clamp(x: ndarray, lo: ndarray, hi: ndarray) -> tuple[ndarray, ndarray]:
    inside = (lo <= x) & (x <= hi)
    return np.where(inside, x, np.where(x < lo, lo, hi)), inside * 1.0


# ---- one Value ----

batched("neg")(lambda x: (-x, -1.0))
batched("abs")(lambda x: (np.abs(x), np.sign(x)))
batched("log")(lambda x: (np.log(x), 1.0 / x))
batched("relu")(lambda x: (np.maximum(x, 0.0), x > 0))  # the slope as a mask: 1 where x > 0 (relu'(0) = 0)
batched("sin")(lambda x: (np.sin(x), np.cos(x)))
batched("cos")(lambda x: (np.cos(x), -np.sin(x)))


@batched("exp")
def _exp(x: ndarray) -> tuple[ndarray, ndarray]:
    e = np.exp(x)
    return e, e


@batched("sqrt")
def _sqrt(x: ndarray) -> tuple[ndarray, ndarray]:
    r = np.sqrt(x)
    return r, 0.5 / r


@batched("tanh")
def _tanh(x: ndarray) -> tuple[ndarray, ndarray]:
    t = np.tanh(x)
    return t, 1.0 - t * t


@batched("sigmoid")
def _sigmoid(x: ndarray) -> tuple[ndarray, ndarray]:
    positive = x >= 0  # the engine's two forms, so exp never overflows
    e = np.exp(np.where(positive, -x, x))
    s = np.where(positive, 1.0 / (1.0 + e), e / (1.0 + e))
    return s, s * (1.0 - s)


# ---- any number of Values (the fused ops): rule(P, c) on the stacked parents ----


def _or(default: float) -> Callable[[Node], tuple[float]]:
    """The node's plain number, or `default` where it has none (a sum, max or min of Values only)."""
    return lambda node: (default if node.const is None else node.const,)


@batched("sum", constants=_or(0.0), elementwise=False)
def _sum(P: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
    return P.sum(axis=1) + c[:, 0], np.ones((1, 1, 1))


def _extreme(pick: Callable, beats: Callable) -> Grouped:
    """max / min: slope 1 to the first extreme Value, 0 to the rest; 0 to all if a constant wins."""

    def forward(P: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
        best = pick(P, axis=1)  # the first extreme, as the engine
        top = np.take_along_axis(P, best[:, None], axis=1)[:, 0]
        constant_wins = beats(c[:, 0], top)
        chosen = (np.arange(P.shape[1])[None, :, None] == best[:, None, :]) & ~constant_wins[:, None, :]
        return np.where(constant_wins, c[:, 0], top), chosen * 1.0

    return forward


batched("max", constants=_or(-math.inf), elementwise=False)(
    _extreme(lambda P, axis: P.argmax(axis=axis), lambda c, top: c > top))
batched("min", constants=_or(math.inf), elementwise=False)(
    _extreme(lambda P, axis: P.argmin(axis=axis), lambda c, top: c < top))


def _weighted_sum(bias: bool) -> Grouped:
    """`sum(w_i * x_i) (+ b)`: parents are the weights, the inputs if Values, then the bias."""

    def forward(P: ndarray, c: ndarray) -> tuple[ndarray, ndarray]:
        n = c.shape[1] or (P.shape[1] - bias) // 2
        w = P[:, :n]
        x = c if c.shape[1] else P[:, n : 2 * n]  # constants: plain-number inputs
        out = (w * x).sum(axis=1)
        grads = [np.broadcast_to(x, w.shape)] + ([] if c.shape[1] else [w])
        if bias:
            out = out + P[:, -1]
            grads.append(np.ones_like(P[:, -1:]))
        return out, np.concatenate(grads, axis=1)

    return forward


def _plain_inputs(node: Node) -> tuple[float, ...]:
    """A first layer's weighted sum keeps its plain-number inputs as its `const`."""
    return () if node.const is None else tuple(node.const)


batched("wsum", constants=_plain_inputs, elementwise=False)(_weighted_sum(bias=True))
batched("dot", constants=_plain_inputs, elementwise=False)(_weighted_sum(bias=False))

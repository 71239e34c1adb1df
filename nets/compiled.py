"""Training through a compiled tape: what `fit(..., compiled=True)` runs.

The model and its loss are traced once per example into an `autograd.Tape`, then each
batch runs forward and backward as NumPy array operations.  The tape needs a graph that
is the same for every example, so the built-in losses that pick a branch or an index from
the target (hinge's sign, cross-entropy's class, the `if` of bce_with_logits) are written
here without branches, with the target as input Values (a sign, a one-hot row): the
same values and gradients as `nets.losses`, up to rounding.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import numpy as np

import autograd
from autograd import Value

from . import losses
from .module import Module
from .outputs import Steps

Encode = Callable[[np.ndarray, int], np.ndarray]  # (targets, number of outputs) -> the tape's target array


class SymbolicLoss(NamedTuple):
    """A loss whose graph does not depend on the target: the target is encoded as input numbers."""

    encode: Encode
    loss: Callable[..., Value]


def _hinge(score: Value, sign: Value) -> Value:
    """max(0, 1 - y * score) with sign = -y given as an input."""
    return (score * sign + 1.0).relu()


def _hinge_signs(y: np.ndarray, outputs: int) -> np.ndarray:
    _labels(y, (0, 1, -1), "hinge", "a class label 0 or 1 (or -1 / +1)")
    return np.where(y == 1, -1.0, 1.0)


def _cross_entropy(logits: Sequence[Value], one_hot: Sequence[Value]) -> Value:
    """logsumexp(logits) - logits . one_hot; the shift m is the max node, not a number from .data."""
    m = autograd.max(logits)
    log_sum_exp = autograd.sum((z - m).exp() for z in logits).log() + m
    return log_sum_exp - autograd.weighted_sum(one_hot, logits)


def _one_hot(y: np.ndarray, outputs: int) -> np.ndarray:
    _labels(y, range(outputs), "cross_entropy", f"a class index in 0..{outputs - 1}")
    return np.eye(outputs)[y.astype(int)]


def _bce(prob: Value, weights: Sequence[Value]) -> Value:
    """-[t log(p + EPS) + (1 - t) log(1 + EPS - p)] with the weights (-t, -(1 - t)) as inputs."""
    return autograd.sum([(prob + losses.EPS).log() * weights[0], (1.0 + losses.EPS - prob).log() * weights[1]])


def _bce_weights(y: np.ndarray, outputs: int) -> np.ndarray:
    _probabilities(y, "binary_cross_entropy")
    return np.stack([-y, -(1.0 - y)], axis=1)


def _bce_with_logits(z: Value, t: Value) -> Value:
    """max(z, 0) - z t + log(1 + e^-|z|): both of `nets.losses`' branches in one graph.

    -|z| is min(-z, z), so that at z = 0 both kinks take the z >= 0 side, as the branch does.
    """
    return (autograd.max([z, 0.0]) - z * t) + (autograd.min([-z, z]).exp() + 1.0).log()


def _sse(output: Value | Sequence[Value], target: Value | Sequence[Value]) -> Value:
    """sum((y_i - t_i)^2) with the targets as input Values."""
    outputs = [output] if isinstance(output, Value) else list(output)
    targets = [target] if isinstance(target, Value) else list(target)
    if len(outputs) != len(targets):
        raise ValueError(f"sse: {len(outputs)} outputs but {len(targets)} targets")
    return autograd.sum((o - t) ** 2 for o, t in zip(outputs, targets))


def _mse(output: Value | Sequence[Value], target: Value | Sequence[Value]) -> Value:
    return _sse(output, target) * (1.0 / (1 if isinstance(output, Value) else len(output)))


def _targets(y: np.ndarray, outputs: int) -> np.ndarray:
    return y


def _probabilities(y: np.ndarray, who: str) -> None:
    if not ((0 <= y) & (y <= 1)).all():
        raise ValueError(f"{who}: target must be in [0, 1], got {y[~((0 <= y) & (y <= 1))].flat[0]!r}")


def _bce_with_logits_targets(y: np.ndarray, outputs: int) -> np.ndarray:
    _probabilities(y, "bce_with_logits")
    return y


def _labels(y: np.ndarray, allowed: Sequence[int], who: str, what: str) -> None:
    bad = ~np.isin(y, list(allowed))
    if bad.any():
        raise ValueError(f"{who}: target must be {what}, got {y[bad].flat[0]!r}")


SYMBOLIC_LOSSES: dict[Callable, SymbolicLoss] = {
    losses.hinge: SymbolicLoss(_hinge_signs, _hinge),
    losses.cross_entropy: SymbolicLoss(_one_hot, _cross_entropy),
    losses.binary_cross_entropy: SymbolicLoss(_bce_weights, _bce),
    losses.bce_with_logits: SymbolicLoss(_bce_with_logits_targets, _bce_with_logits),
    losses.mse: SymbolicLoss(_targets, _mse),
    losses.sse: SymbolicLoss(_targets, _sse),
}
ONE_OUTPUT = (losses.hinge, losses.binary_cross_entropy, losses.bce_with_logits)


class CompiledTraining:
    """`model` and `loss` traced into a tape: forward and backward of a whole batch at once.

    Refuses what a tape cannot replay per example: Dropout's fresh random mask and any
    BatchNorm's coupling of the examples of a batch, in training mode.
    """

    def __init__(self, model: Module, loss: str | losses.Loss, X: np.ndarray, y: np.ndarray, threshold: float) -> None:
        for module in model.modules():
            reason = module.replay_problem()
            if reason:
                raise ValueError(f"compiled training: {module!r} in training mode {reason}, which a tape traced once per "
                                 "example cannot replay; train with compiled=False")
        self.model, self.threshold = model, threshold
        loss_fn = losses.get(loss)
        self.outputs = _output_count(model, X)
        if loss_fn in ONE_OUTPUT and self.outputs != 1:
            raise ValueError(f"compiled training: this loss needs one output per example, the model gives {self.outputs}; "
                             "use a one-unit last layer, or cross_entropy for several classes")
        symbolic = SYMBOLIC_LOSSES.get(loss_fn, SymbolicLoss(_targets, loss_fn))  # a custom loss as it is
        self.encode = symbolic.encode

        def example(x: list[Value], target: Value | list[Value]) -> list[Value]:
            out = model(x)
            return [symbolic.loss(out, target), *([out] if isinstance(out, Value) else out)]

        self.tape = autograd.compile(example, model.parameters(), X, self.encode(np.asarray(y, dtype=float), self.outputs))

    def forward(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, list[int]]:
        """(mean loss, predicted classes) of a batch; `backward()` then gives the gradients of that mean."""
        values = self.tape.forward(xb, self.encode(np.asarray(yb, dtype=float), self.outputs))
        scores = values[1:]
        classes = scores.argmax(axis=0) if len(scores) > 1 else (scores[0] > self.threshold).astype(int)
        return math.fsum(values[0].tolist()) * (1.0 / values.shape[1]), classes.tolist()

    def backward(self) -> None:
        """Add the gradient of the last batch's mean loss to every parameter's grad."""
        seed = np.zeros((self.outputs + 1, self.tape.values.shape[1]))
        seed[0] = 1.0 / seed.shape[1]
        self.tape.backward(seed)


def _output_count(model: Module, X: np.ndarray) -> int:
    """How many outputs the model gives for one example (run once, without a graph)."""
    with autograd.no_grad():
        out = model(np.asarray(X, dtype=float)[0].tolist())
    if isinstance(out, Steps):
        raise ValueError("compiled training: a model that returns every time step (nets.Steps) is not supported yet; "
                         "train it with compiled=False (a many-to-one model compiles)")
    return 1 if isinstance(out, Value) else len(out)

"""Loss functions: one number saying how wrong the network is on one example.

Each takes the network's output (a Value, or a list of Values) and the target, and
returns a Value whose `backward()` tells every parameter which way reduces the error.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable, Sequence, Union

import autograd
from autograd import Value

Output = Union[Value, Sequence[Value]]
Target = Union[float, int, Sequence[float]]
Loss = Callable[[Output, Target], Value]

EPS = 1e-12  # keeps log() away from log(0) in binary_cross_entropy


def sse(output: Output, target: Target) -> Value:
    """Sum of squared errors: sum((y_i - t_i)^2)."""
    outputs, targets = _pairs(output, target, "sse")
    return autograd.sum((y - t) ** 2 for y, t in zip(outputs, targets))


def mse(output: Output, target: Target) -> Value:
    """Mean squared error: the average of (y_i - t_i)^2, for regression."""
    outputs, _ = _pairs(output, target, "mse")
    return sse(output, target) * (1.0 / len(outputs))


def binary_cross_entropy(prob: Value, target: float) -> Value:
    """-[t log p + (1 - t) log(1 - p)] for a probability p (after a sigmoid) and t in [0, 1].

    A tiny EPS inside each log means a confident wrong answer costs about 27.6, not log(0).
    """
    t = _probability(target, "binary_cross_entropy")
    _one_output(prob, "binary_cross_entropy")
    if not 0.0 <= prob.data <= 1.0:
        raise ValueError(f"binary_cross_entropy: output must be a probability in [0, 1], got {prob.data!r}; "
                         "use a sigmoid output or bce_with_logits")
    terms = []
    if t > 0:
        terms.append((prob + EPS).log() * -t)
    if t < 1:
        terms.append((1.0 + EPS - prob).log() * -(1.0 - t))
    return terms[0] if len(terms) == 1 else autograd.sum(terms)


def bce_with_logits(logit: Value, target: float) -> Value:
    """Binary cross-entropy on a raw score z, without computing sigmoid(z) first.

    Equals -[t log s(z) + (1-t) log(1 - s(z))] = z(1 - t) + log(1 + e^-z), rewritten for
    z < 0 as log(1 + e^z) - z t, so exp() never overflows.  Its gradient is s(z) - t.
    """
    t = _probability(target, "bce_with_logits")
    _one_output(logit, "bce_with_logits")
    if logit.data >= 0:
        return logit * (1.0 - t) + ((-logit).exp() + 1.0).log()
    return (logit.exp() + 1.0).log() - logit * t


def cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target], computed as logsumexp(logits) - logits[target].

    Log-sum-exp subtracts the largest logit m before exponentiating:
    log sum e^z_i = m + log sum e^(z_i - m), so logits of +-1000 stay finite.
    Its gradient with respect to the logits is softmax(logits) - one_hot(target).
    """
    logits = list(logits)
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or target != int(target) \
            or not 0 <= target < len(logits):
        raise ValueError(f"cross_entropy: target must be a class index in 0..{len(logits) - 1}, got {target!r}")
    m = max(z.data for z in logits)
    log_sum_exp = autograd.sum((z - m).exp() for z in logits).log() + m
    return log_sum_exp - logits[int(target)]


def hinge(score: Value, target: float) -> Value:
    """max(0, 1 - y * score) with y = +-1: the max-margin loss of micrograd's demo.

    `target` is a class label 0/1 (0 means y = -1) or -1/+1.  Only points on the wrong side
    of the margin (y * score < 1) contribute, so confident right answers cost nothing.
    """
    if target not in (0, 1, -1):
        raise ValueError(f"hinge: target must be a class label 0 or 1 (or -1 / +1), got {target!r}")
    _one_output(score, "hinge")
    y = 1.0 if target == 1 else -1.0
    return (score * -y + 1.0).relu()


def l2(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """The weight-decay penalty alpha * sum(p^2): small weights, smoother boundaries.

    sum(p * p) is one weighted_sum node with each p as both weight and input.
    """
    params = list(parameters)
    return autograd.weighted_sum(params, params) * alpha


@dataclass(frozen=True)
class LossSpec:
    """A loss, and what it needs of a classifier's last layer: how many units, what they
    apply, and where a single output splits class 0 from class 1."""

    function: Loss
    per_class: bool = False  # one output unit per class (logits); else one unit for two classes
    output_activation: str | None = None  # e.g. "sigmoid": the loss wants a probability
    threshold: float = 0.0  # a single output above it means class 1: 0 for scores, 0.5 near 0/1


# The losses by name: `fit(loss=...)`, `threshold_for` and `stepgrad train --loss` read this.
LOSSES: dict[str, LossSpec] = {
    "mse": LossSpec(mse, threshold=0.5),
    "sse": LossSpec(sse, threshold=0.5),
    "bce": LossSpec(binary_cross_entropy, output_activation="sigmoid", threshold=0.5),
    "bce_with_logits": LossSpec(bce_with_logits),
    "cross_entropy": LossSpec(cross_entropy, per_class=True),
    "hinge": LossSpec(hinge),
}


def get(loss: str | Loss) -> Loss:
    """The loss called `loss`, or `loss` itself if it is a callable."""
    return loss if callable(loss) else _named(loss).function


def spec(loss: str | Loss) -> LossSpec | None:
    """The registered entry of `loss`, by name or by function (None for a loss of your own)."""
    if callable(loss):
        return next((entry for entry in LOSSES.values() if entry.function is loss), None)
    return _named(loss)


def _named(name: str) -> LossSpec:
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(f"loss: unknown loss {name!r}; choose one of {', '.join(LOSSES)} or pass a callable") from None


def _pairs(output: Output, target: Target, who: str) -> tuple[list[Value], list[float]]:
    outputs = [output] if isinstance(output, Value) else list(output)
    targets = [target] if isinstance(target, numbers.Real) else [float(t) for t in target]
    if len(outputs) != len(targets):
        raise ValueError(f"{who}: {len(outputs)} outputs but {len(targets)} targets")
    return outputs, targets


def _one_output(output: object, who: str) -> None:
    if not isinstance(output, Value):
        size = f"a list of {len(output)}" if isinstance(output, Sequence) else type(output).__name__
        raise ValueError(f"{who}: needs one output (a Value) per example, got {size}; "
                         "use a one-unit last layer, or cross_entropy for several classes")


def _probability(t: object, who: str) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0 <= t <= 1:
        raise ValueError(f"{who}: target must be in [0, 1], got {t!r}")
    return float(t)

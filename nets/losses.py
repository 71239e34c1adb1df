"""Loss functions: one number saying how wrong the network is on one example.

Each takes the network's output (a Value, or a list of Values) and the target, and
returns a Value whose `backward()` tells every parameter which way reduces the error.

A loss is one entry of `LOSSES`: its `LossSpec` holds the function, what it needs of the
last layer (outputs, activation), where one output splits two classes, and its branch-free
form for a compiled tape (`BatchedLoss`), written beside the function.  `fit` resolves its
`loss` once into that entry (`resolve`) and hands it to the step, the compiled trainer and
`evaluate`.  Adding a loss touches this file only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence, Union

import autograd
from autograd import Value
from autograd.value import Message
from autograd.i18n import N_

if TYPE_CHECKING:
    from numpy import ndarray

Output = Union[Value, Sequence[Value]]
Target = Union[float, int, Sequence[float]]
Loss = Callable[[Output, Target], Value]
Encode = Callable[["ndarray", int], "ndarray"]  # (targets, outputs per example) -> the tape's target numbers


@dataclass(frozen=True)
class BatchedLoss:
    """A loss as a graph that is the same for every example, for a compiled tape: the target
    enters as input numbers (`encode`: a sign, a one-hot row, two weights), never as a branch.
    `graph(output, encoded)` takes the output Value(s) and the encoded target as Values, and
    gives the loss's value and gradient up to rounding."""

    encode: Encode
    graph: Callable[..., Value]
    # The same loss over a whole batch in NumPy, which compiled training uses instead of tracing
    # `graph`: `arrays(Z, t)` takes the outputs Z, shape (outputs, B), and the targets as given,
    # shape (B,) or (B, outputs) (checked once for the whole set by `encode`), and returns the
    # per-example losses (B,) and d loss / d Z (outputs, B).
    arrays: Callable[[ndarray, ndarray], tuple[ndarray, ndarray]] | None = None

LOG_FLOOR = -100.0  # binary_cross_entropy's logs are clamped here, as PyTorch's: finite at p = 0 and 1


def sse(output: Output, target: Target) -> Value:
    """Sum of squared errors: sum((y_i - t_i)^2); a class label for several outputs is one-hot, as in `mse`."""
    return _squared_errors(*_pairs(output, target, "sse"))


def _squared_errors(outputs: list[Value], targets: list[float]) -> Value:
    return autograd.sum((y - t) ** 2 for y, t in zip(outputs, targets))


def mse(output: Output, target: Target) -> Value:
    """Mean squared error: the average of (y_i - t_i)^2, for regression; with several outputs
    and a class label as the target, against that label's one-hot row (the classic course's
    classifier: one sigmoid output per class, each pushed towards 0 or 1)."""
    outputs, targets = _pairs(output, target, "mse")
    return _squared_errors(outputs, targets) * (1.0 / len(outputs))


def _targets(y: ndarray, outputs: int) -> ndarray:
    """The targets as they are (a squared error has no branch), or one-hot rows where each
    target is a class label for several outputs."""
    if y.ndim != 1 or outputs == 1:
        return y
    import numpy as np

    _labels(y, range(outputs), "mse", Message("a class index in 0..{last} (or a row of {outputs} targets)", last=outputs - 1, outputs=outputs))
    return np.eye(outputs)[y.astype(int)]


def _sse_graph(output: Value | Sequence[Value], target: Value | Sequence[Value]) -> Value:
    """sum((y_i - t_i)^2) with the targets as input Values."""
    outputs = [output] if isinstance(output, Value) else list(output)
    targets = [target] if isinstance(target, Value) else list(target)
    if len(outputs) != len(targets):
        raise ValueError(Message("{who}: {outputs} outputs but {targets} targets", who="sse", outputs=len(outputs), targets=len(targets)))
    return autograd.sum((o - t) ** 2 for o, t in zip(outputs, targets))


def _mse_graph(output: Value | Sequence[Value], target: Value | Sequence[Value]) -> Value:
    return _sse_graph(output, target) * (1.0 / (1 if isinstance(output, Value) else len(output)))


def _sse_arrays(Z: ndarray, t: ndarray) -> tuple[ndarray, ndarray]:
    d = Z - _targets(t, len(Z)).reshape(len(t), -1).T  # class labels for several outputs: one-hot rows
    return (d * d).sum(axis=0), 2.0 * d


def _mse_arrays(Z: ndarray, t: ndarray) -> tuple[ndarray, ndarray]:
    loss, dZ = _sse_arrays(Z, t)
    scale = 1.0 / len(Z)
    return loss * scale, dZ * scale


def binary_cross_entropy(prob: Value, target: float) -> Value:
    """-[t log p + (1 - t) log(1 - p)] for a probability p (after a sigmoid) and t in [0, 1].

    As `torch.nn.functional.binary_cross_entropy`, each log is clamped at -100, so a confident
    wrong answer (p = 0 for t = 1) costs 100, not infinity, with no gradient through the clamp.
    Elsewhere the gradient is the exact derivative (PyTorch's own backward divides by
    max(p(1 - p), 1e-12), which differs only within 1e-12 of 0 and 1).
    """
    t = _probability(target, "binary_cross_entropy")
    _one_output(prob, "binary_cross_entropy")
    if not 0.0 <= prob.data <= 1.0:
        raise ValueError(Message("binary_cross_entropy: output must be a probability in [0, 1], got {data!r}; "
                                 "use a sigmoid output or bce_with_logits", data=prob.data))
    terms = []
    if t > 0:
        terms.append(clamped_log(prob) * -t)
    if t < 1:
        terms.append(clamped_log(1.0 - prob) * -(1.0 - t))
    return terms[0] if len(terms) == 1 else autograd.sum(terms)


def clamped_log(p: Value) -> Value:
    """max(log p, -100), also at p = 0 (where log is -inf): PyTorch's binary cross-entropy log."""
    return p.clamp(math.exp(LOG_FLOOR)).log().clamp(LOG_FLOOR)


def _bce_weights(y: ndarray, outputs: int) -> ndarray:
    import numpy as np

    _probabilities(y, "binary_cross_entropy")
    return np.stack([-y, -(1.0 - y)], axis=1)


def _bce_graph(prob: Value, weights: Sequence[Value]) -> Value:
    """-[t log p + (1 - t) log(1 - p)], each log clamped (`clamped_log`), with the weights
    (-t, -(1 - t)) as inputs."""
    return autograd.sum([clamped_log(prob) * weights[0], clamped_log(1.0 - prob) * weights[1]])


def _clamped_log_arrays(p: ndarray) -> tuple[ndarray, ndarray]:
    """`clamped_log` on arrays: (value, slope d/dp), the slope 0 where either clamp holds."""
    import numpy as np

    floor = math.exp(LOG_FLOOR)
    q = np.where(p >= floor, p, floor)
    log = np.log(q)
    value = np.where(log >= LOG_FLOOR, log, LOG_FLOOR)
    return value, ((p >= floor) & (log >= LOG_FLOOR)) / q


def _bce_arrays(Z: ndarray, t: ndarray) -> tuple[ndarray, ndarray]:
    up, up_slope = _clamped_log_arrays(Z[0])
    down, down_slope = _clamped_log_arrays(1.0 - Z[0])
    return up * -t + down * -(1.0 - t), (up_slope * -t + down_slope * (1.0 - t))[None]


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


def _bce_with_logits_targets(y: ndarray, outputs: int) -> ndarray:
    _probabilities(y, "bce_with_logits")
    return y


def _bce_with_logits_graph(z: Value, t: Value) -> Value:
    """max(z, 0) - z t + log(1 + e^-|z|): both branches above in one graph.

    -|z| is min(-z, z), so that at z = 0 both kinks take the z >= 0 side, as the branch does.
    """
    return (autograd.max([z, 0.0]) - z * t) + (autograd.min([-z, z]).exp() + 1.0).log()


def _bce_with_logits_arrays(Z: ndarray, t: ndarray) -> tuple[ndarray, ndarray]:
    """Both branches of `bce_with_logits`, chosen per example; the gradient s(z) - t."""
    import numpy as np

    z = Z[0]
    positive = z >= 0
    e = np.exp(np.where(positive, -z, z))
    log = np.log(e + 1.0)
    loss = np.where(positive, z * (1.0 - t) + log, log - z * t)
    slope = np.where(positive, (1.0 - t) - e / (e + 1.0), e / (e + 1.0) - t)
    return loss, slope[None]


def cross_entropy(logits: Sequence[Value], target: int) -> Value:
    """-log softmax(logits)[target], computed as logsumexp(logits) - logits[target].

    Log-sum-exp subtracts the largest logit m before exponentiating:
    log sum e^z_i = m + log sum e^(z_i - m), so logits of +-1000 stay finite.
    Its gradient with respect to the logits is softmax(logits) - one_hot(target).
    """
    logits = list(logits)
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or target != int(target) \
            or not 0 <= target < len(logits):
        raise ValueError(Message("{who}: target must be {what}, got {target!r}", who="cross_entropy",
                                 what=Message("a class index in 0..{last}", last=len(logits) - 1), target=target))
    m = max(z.data for z in logits)
    log_sum_exp = autograd.sum((z - m).exp() for z in logits).log() + m
    return log_sum_exp - logits[int(target)]


def _one_hot(y: ndarray, outputs: int) -> ndarray:
    import numpy as np

    _labels(y, range(outputs), "cross_entropy", Message("a class index in 0..{last}", last=outputs - 1))
    return np.eye(outputs)[y.astype(int)]


def _cross_entropy_graph(logits: Sequence[Value], one_hot: Sequence[Value]) -> Value:
    """logsumexp(logits) - logits . one_hot; the shift m is the max node, not a number from .data."""
    m = autograd.max(logits)
    log_sum_exp = autograd.sum((z - m).exp() for z in logits).log() + m
    return log_sum_exp - autograd.weighted_sum(one_hot, logits)


def _cross_entropy_arrays(Z: ndarray, y: ndarray) -> tuple[ndarray, ndarray]:
    """logsumexp(z) - z[y] shifted by the largest logit, as above; the gradient softmax(z) - one_hot(y)."""
    import numpy as np

    m = Z.max(axis=0)
    e = np.exp(Z - m)
    total = e.sum(axis=0)
    examples, classes = np.arange(Z.shape[1]), y.astype(np.intp)
    dZ = e / total
    dZ[classes, examples] -= 1.0
    return np.log(total) + m - Z[classes, examples], dZ


def hinge(score: Value, target: float) -> Value:
    """max(0, 1 - y * score) with y = +-1: the max-margin loss of micrograd's demo.

    `target` is a class label 0/1 (0 means y = -1) or -1/+1.  Only points on the wrong side
    of the margin (y * score < 1) contribute, so confident right answers cost nothing.
    """
    if target not in (0, 1, -1):
        raise ValueError(Message("{who}: target must be {what}, got {target!r}", who="hinge",
                                 what=Message("a class label 0 or 1 (or -1 / +1)"), target=target))
    _one_output(score, "hinge")
    y = 1.0 if target == 1 else -1.0
    return (score * -y + 1.0).relu()


def _hinge_signs(y: ndarray, outputs: int) -> ndarray:
    import numpy as np

    _labels(y, (0, 1, -1), "hinge", Message("a class label 0 or 1 (or -1 / +1)"))
    return np.where(y == 1, -1.0, 1.0)


def _hinge_graph(score: Value, sign: Value) -> Value:
    """max(0, 1 - y * score) with sign = -y given as an input."""
    return (score * sign + 1.0).relu()


def _hinge_arrays(Z: ndarray, y: ndarray) -> tuple[ndarray, ndarray]:
    import numpy as np

    sign = np.where(y == 1, -1.0, 1.0)
    margin = Z[0] * sign + 1.0
    return np.maximum(margin, 0.0), ((margin > 0) * sign)[None]


def l2(parameters: Sequence[Value], alpha: float = 1e-4) -> Value:
    """The weight-decay penalty alpha * sum(p^2): small weights, smoother boundaries.

    sum(p * p) is one weighted_sum node with each p as both weight and input.
    """
    params = list(parameters)
    return autograd.weighted_sum(params, params) * alpha


@dataclass(frozen=True)
class LossSpec:
    """Everything about one loss: the function; what it needs of a classifier's last layer
    (one unit per class, or `one_output` for two classes; the activation it applies); where
    a single output splits class 0 from class 1; and its branch-free form for a compiled
    tape (None: `fit(compiled=True)` refuses it, as a tape could replay one example's branch
    for all).  Pass your own as `fit(loss=LossSpec(my_loss, batched=BatchedLoss(...)))`."""

    function: Loss
    per_class: bool = False  # one output unit per class (logits); else one unit for two classes
    output_activation: str | None = None  # e.g. "sigmoid": the loss wants a probability
    threshold: float = 0.0  # a single output above it means class 1: 0 for scores, 0.5 near 0/1
    one_output: bool = False  # exactly one output per example (a score or a probability)
    one_hot: bool = False  # several outputs and a class label: the label is one-hot inside (sigmoid outputs)
    batched: BatchedLoss | None = None
    title: str = ""  # its name in words, for plots and reports ("cross-entropy"); translated with _()

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", repr(self.function))


# The losses by name: `fit(loss=...)`, `evaluate`, compiled training and `stepgrad train --loss` read this.
LOSSES: dict[str, LossSpec] = {
    "mse": LossSpec(mse, threshold=0.5, one_hot=True, batched=BatchedLoss(_targets, _mse_graph, _mse_arrays), title=N_("mean squared error")),
    "sse": LossSpec(sse, threshold=0.5, one_hot=True, batched=BatchedLoss(_targets, _sse_graph, _sse_arrays), title=N_("sum of squared errors")),
    "bce": LossSpec(binary_cross_entropy, output_activation="sigmoid", threshold=0.5, one_output=True,
                    batched=BatchedLoss(_bce_weights, _bce_graph, _bce_arrays), title=N_("binary cross-entropy")),
    "bce_with_logits": LossSpec(bce_with_logits, one_output=True,
                                batched=BatchedLoss(_bce_with_logits_targets, _bce_with_logits_graph,
                                                    _bce_with_logits_arrays),
                                title=N_("binary cross-entropy (on logits)")),
    "cross_entropy": LossSpec(cross_entropy, per_class=True, batched=BatchedLoss(_one_hot, _cross_entropy_graph, _cross_entropy_arrays),
                              title=N_("cross-entropy")),
    "hinge": LossSpec(hinge, one_output=True, batched=BatchedLoss(_hinge_signs, _hinge_graph, _hinge_arrays), title=N_("hinge")),
}


def resolve(loss: str | Loss | LossSpec) -> LossSpec:
    """The entry of `loss`: by name, by a registered function, an entry itself, or a loss of
    your own as an entry with the defaults (threshold 0, no branch-free form)."""
    if isinstance(loss, LossSpec):
        return loss
    if callable(loss):
        return spec(loss) or LossSpec(loss)
    return _named(loss)


def get(loss: str | Loss | LossSpec) -> Loss:
    """The loss function called `loss`, or `loss` itself if it is a callable."""
    return resolve(loss).function


def spec(loss: str | Loss) -> LossSpec | None:
    """The registered entry of `loss`, by name or by function (None for a loss of your own)."""
    if callable(loss):
        return next((entry for entry in LOSSES.values() if entry.function is loss), None)
    return _named(loss)


def _named(name: str) -> LossSpec:
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(Message("loss: unknown loss {name!r}; choose one of {choices} or pass a callable",
                                 name=name, choices=", ".join(LOSSES))) from None


def _pairs(output: Output, target: Target, who: str) -> tuple[list[Value], list[float]]:
    """The outputs and the targets as two lists; a class label for several outputs becomes its one-hot row."""
    outputs = [output] if isinstance(output, Value) else list(output)
    if isinstance(target, numbers.Real) and len(outputs) > 1:
        if isinstance(target, bool) or target != int(target) or not 0 <= target < len(outputs):
            raise ValueError(Message("{who}: with {outputs} outputs, a single target must be a class index in 0..{last}, "
                                     "got {target!r}", who=who, outputs=len(outputs), last=len(outputs) - 1, target=target))
        return outputs, [float(i == target) for i in range(len(outputs))]
    targets = [target] if isinstance(target, numbers.Real) else [float(t) for t in target]
    if len(outputs) != len(targets):
        raise ValueError(Message("{who}: {outputs} outputs but {targets} targets", who=who, outputs=len(outputs), targets=len(targets)))
    return outputs, targets


def _one_output(output: object, who: str) -> None:
    if not isinstance(output, Value):
        size = Message("a list of {n}", n=len(output)) if isinstance(output, Sequence) else type(output).__name__
        raise ValueError(Message("{who}: needs one output (a Value) per example, got {size}; use a one-unit last layer, "
                                 "or cross_entropy for several classes", who=who, size=size))


def _probabilities(y: ndarray, who: str) -> None:
    inside = (0 <= y) & (y <= 1)
    if not inside.all():
        raise ValueError(Message("{who}: target must be in [0, 1], got {target!r}", who=who, target=y[~inside].flat[0]))


def _labels(y: ndarray, allowed: Any, who: str, what: str) -> None:
    import numpy as np

    bad = ~np.isin(y, list(allowed))
    if bad.any():
        raise ValueError(Message("{who}: target must be {what}, got {target!r}", who=who, what=what, target=y[bad].flat[0]))


def _probability(t: object, who: str) -> float:
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or not 0 <= t <= 1:
        raise ValueError(Message("{who}: target must be in [0, 1], got {target!r}", who=who, target=t))
    return float(t)

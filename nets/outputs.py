"""What a model's outputs mean: classes from outputs, where one output splits two classes,
and the outputs of a sequence model at every time step (`Steps`).

Training, evaluation, plotting, compiled training and the recurrent models all read
outputs through this one module, so none of them needs another to know what an output means.
"""

from __future__ import annotations

from typing import Any, Sequence

import autograd
from autograd import Value
from autograd.value import Message

from . import losses


class Steps(list):
    """A model's outputs at every time step (many-to-many), one entry per step.

    A plain list reads as the several outputs of one example; this type tells `fit`,
    `evaluate` and `predict` to apply the loss, and to read the classes, step by step.
    """


def per_step(loss_fn: losses.Loss) -> losses.Loss:
    """`loss_fn` extended to `Steps` outputs: the mean of its value over the time steps.

    Other outputs go to `loss_fn` unchanged, so `fit` can wrap every loss in this.
    """

    def loss(output: Any, target: Any) -> Value:
        if not isinstance(output, Steps):
            return loss_fn(output, target)
        if not isinstance(target, Sequence) or len(output) != len(target):
            raise ValueError(Message("per-step loss: {steps} steps of output need as many targets, got {target!r}", steps=len(output), target=target))
        return autograd.sum(map(loss_fn, output, target)) * (1.0 / len(output))

    return loss


def threshold_for(loss: str | losses.Loss | losses.LossSpec) -> float:
    """Where one output splits the classes, from the loss's entry (`losses.LOSSES`): 0.5 for
    outputs near 0/1, 0 for scores and logits (and for a loss of your own).

    A built-in loss passed as a function (`losses.binary_cross_entropy`) counts as its name.
    """
    return losses.resolve(loss).threshold


def count_correct(classes: list[int], targets: list) -> int:
    """Matches between predicted classes and targets; a hinge target -1 means class 0, and a
    row of targets for one example's outputs (a one-hot row) means the class of its largest."""
    return sum(c == _target_class(c, t) for c, t in zip(classes, targets))


def _target_class(predicted: Any, target: Any) -> Any:
    if isinstance(predicted, int) and isinstance(target, Sequence):  # one example's row of targets
        return max(range(len(target)), key=target.__getitem__)
    return 0 if target == -1 else target


def output_classes(outs: Sequence[Value | list[Value]], threshold: float) -> list[int]:
    """Class labels from raw outputs: argmax of several outputs, or output > threshold for one;
    a list of labels, one per step, for each `Steps` output (a sequence counts as right when all are)."""
    if outs and isinstance(outs[0], Steps):
        return [output_classes(o, threshold) for o in outs]
    if outs and isinstance(outs[0], Value):
        return [int(o.data > threshold) for o in outs]
    return [max(range(len(o)), key=lambda i: o[i].data) for o in outs]

"""Training through a compiled tape: what `fit(..., compiled=True)` runs.

The model and its loss are traced once per example into an `autograd.Tape`, then each
batch runs forward and backward as NumPy array operations.  The tape needs a graph that
is the same for every example, so the loss is traced in its branch-free form
(`LossSpec.batched`, beside each loss in `nets.losses`), with the target as input Values
(a sign, a one-hot row); a loss without one is refused, as is a module that says a tape
cannot replay it (`Module.replay_problem`).
"""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd import Value

from . import losses
from .module import Module
from .outputs import Steps

class CompiledTraining:
    """`model` and `loss` traced into a tape: forward and backward of a whole batch at once.

    Refuses what a tape cannot replay per example: a module that says so (Dropout's fresh
    random mask, BatchNorm's coupling of a batch's examples, in training mode) and a loss
    with no branch-free form (a loss of your own, unless its `LossSpec` gives one).
    """

    def __init__(self, model: Module, loss: str | losses.Loss | losses.LossSpec, X: np.ndarray, y: np.ndarray) -> None:
        for module in model.modules():
            reason = module.replay_problem()
            if reason:
                raise ValueError(f"compiled training: {module!r} in training mode {reason}, which a tape traced once per "
                                 "example cannot replay; train with compiled=False")
        spec = losses.resolve(loss)
        if spec.batched is None:
            raise ValueError(f"compiled training: the loss {spec.name!r} has no branch-free form, so a tape traced once "
                             "might replay one example's branches for every example; give it one "
                             "(nets.losses.LossSpec(fn, batched=BatchedLoss(encode, graph))), use a built-in loss, "
                             "or train with compiled=False")
        self.model, self.threshold = model, spec.threshold
        self.outputs = _output_count(model, X)
        if spec.one_output and self.outputs != 1:
            raise ValueError(f"compiled training: this loss needs one output per example, the model gives {self.outputs}; "
                             "use a one-unit last layer, or cross_entropy for several classes")
        self.encode, graph = spec.batched.encode, spec.batched.graph

        def example(x: list[Value], target: Value | list[Value]) -> list[Value]:
            out = model(x)
            return [graph(out, target), *([out] if isinstance(out, Value) else out)]

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

"""Training through a compiled tape: what `fit(..., compiled=True)` runs.

The model is traced once per example into an `autograd.Tape`; each batch then runs forward
and backward as NumPy array operations.  For the whole `fit` the parameters, their gradient
and the optimiser's state are NumPy vectors (one vectorised update a step, no loop over
parameters); `write_back()` puts the numbers into the model's Values (fit does so after
every epoch and when it stops), so the model stays Values to draw, step and save.

The loss needs a branch-free form (`LossSpec.batched`, beside each loss in `nets.losses`);
a loss without one is refused, as is a module that says a tape cannot replay it
(`Module.replay_problem`).  A built-in loss runs over the whole batch in NumPy (its
`arrays` form: cross-entropy is one log-softmax), its targets checked once per fit; a
loss given only as a graph is traced into the tape with the encoded target as input Values.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

import autograd
from autograd import Value
from autograd.value import Message

from . import losses
from .module import Module, frozen_parameters
from .optim import Optimizer
from .outputs import Steps, per_step


class CompiledTraining:
    """`model` traced into a tape, with `optimizer`'s update on NumPy vectors: a training step
    of a whole batch at once (`forward`, `backward`, `update`).

    Built from the training set (X, y), which it checks once: every batch must be rows of it.
    Refuses what a tape cannot replay per example: Dropout's fresh random mask and any
    BatchNorm's coupling of the examples of a batch, in training mode.
    """

    def __init__(self, model: Module, loss: str | losses.Loss | losses.LossSpec, X: np.ndarray, y: np.ndarray,
                 optimizer: Optimizer | None = None) -> None:
        for module in model.modules():
            reason = module.replay_problem()
            if reason:
                raise ValueError(Message("compiled training: {module!r} in training mode {reason}, which a tape traced once "
                                         "per example cannot replay; train with compiled=False", module=module, reason=reason))
        spec = losses.resolve(loss)
        if spec.batched is None:
            raise ValueError(Message("compiled training: the loss {name!r} has no branch-free form, so a tape traced once "
                                     "might replay one example's branches for every example; give it one "
                                     "(nets.losses.LossSpec(fn, batched=BatchedLoss(encode, graph))), use a built-in loss, "
                                     "or train with compiled=False", name=spec.name))
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if not np.isfinite(X).all():
            raise ValueError(Message("compiled training: X holds a value that is not finite: {value!r}",
                                     value=float(X[~np.isfinite(X)][0])))
        self.model, self.threshold, self.optimizer = model, spec.threshold, optimizer
        self.steps, self.outputs = _output_shape(model, X)
        if spec.one_output and self.outputs != 1:
            raise ValueError(Message("compiled training: this loss needs one output per example, the model gives {outputs}; "
                                     "use a one-unit last layer, or cross_entropy for several classes", outputs=self.outputs))
        self.encode, self.arrays = spec.batched.encode, spec.batched.arrays
        encoded = self._encode(y)  # checks every target once
        params = model.parameters()
        if self.arrays is not None:

            def example(x: list[Value]) -> list[Value]:
                return _flat(model(x))

            self.tape = autograd.compile(example, params, X)
        else:  # a branch-free graph of your own, traced with the encoded target as input Values
            graph = per_step(spec.batched.graph)

            def example(x: list[Value], target: Value | list) -> list[Value]:  # type: ignore[misc]
                out = model(x)
                return [graph(out, target), *_flat(out)]

            self.tape = autograd.compile(example, params, X, encoded)
        self.params = params
        self.tape.theta[:] = [p.data for p in params]
        self.state: list[np.ndarray] = []
        self.index: np.ndarray | None = None
        if optimizer is not None:
            position = {p: i for i, p in enumerate(params)}
            if any(p not in position for p in optimizer.params):
                raise ValueError(Message("compiled training: the optimiser holds a parameter that is not the model's"))
            index = np.array([position[p] for p in optimizer.params], dtype=np.intp)
            self.index = None if np.array_equal(index, np.arange(len(params))) else index
            frozen = frozen_parameters()
            self.trainable = np.array([p not in frozen for p in optimizer.params])
            self.all_trainable = bool(self.trainable.all())
            self.state = [np.array(getattr(optimizer, name), dtype=float) for name in optimizer.state]
        self.scores: np.ndarray | None = None
        self._seed: np.ndarray | None = None

    def _encode(self, y: np.ndarray) -> np.ndarray:
        """The loss's encoding of targets (checking them), step by step for a sequence model."""
        if self.steps is None:
            return self.encode(y, self.outputs)
        flat = self.encode(y.reshape(len(y) * self.steps, *y.shape[2:]), self.outputs)
        return flat.reshape(len(y), self.steps, *flat.shape[1:])

    def forward(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, list]:
        """(mean loss, predicted classes) of a batch (rows of the training set).

        Raises OverflowError or ValueError, naming the op and example, if the loss is not finite."""
        B = len(xb)
        xb = np.asarray(xb, dtype=float).reshape(B, -1)
        yb = np.asarray(yb, dtype=float)
        if self.arrays is None:
            encoded = self._encode(yb)
            outputs = self.tape.run(np.concatenate([xb, encoded.reshape(B, -1)], axis=1).T)
            per_example, self._seed = outputs[0], np.zeros_like(outputs)
            self._seed[0] = 1.0 / B
            scores = outputs[1:]
        else:
            scores = self.tape.run(xb.T)
            with np.errstate(all="ignore"):  # an inf or nan loss is reported below
                per_example, dZ = self._batched_loss(scores, yb)
            self._seed = dZ * (1.0 / B)
        total = float(per_example.sum())
        if not np.isfinite(total):
            self.tape.check()  # names the op where the scalar engine would have raised
            raise OverflowError(f"the loss of the batch is {total!r}, not a finite number")
        self.scores = scores
        return total / B, self._classes(scores)

    def backward(self) -> np.ndarray:
        """The gradient of the last batch's mean loss, one entry per parameter (not added to any `grad`)."""
        grad = self.tape.gradient(self._seed)
        if not np.isfinite(grad).all():
            bad = int(np.flatnonzero(~np.isfinite(grad))[0])
            raise OverflowError(f"the gradient of parameter {bad} is {grad[bad]!r}, not a finite number")
        return grad

    def update(self, grad: np.ndarray) -> bool:
        """The optimiser's step on the parameter vector.  If it made a weight inf or nan, the last
        finite weights stay and this returns False."""
        optimizer, theta = self.optimizer, self.tape.theta
        before = theta if self.index is None else theta[self.index]
        optimizer.advance()
        new, *state = optimizer.update(before, grad if self.index is None else grad[self.index], *self.state)
        if not self.all_trainable:  # frozen modules' parameters keep their values and state
            new = np.where(self.trainable, new, before)
            state = [np.where(self.trainable, s, old) for s, old in zip(state, self.state)]
        if not np.isfinite(new).all():
            return False
        if self.index is None:
            theta[:] = new
        else:
            theta[self.index] = new
        self.state = state
        return True

    def step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, list]:
        """`forward`, `backward` and `update` of one batch: (mean loss, predicted classes).
        (`fit` runs the three itself, to say in its errors which one failed.)"""
        loss, classes = self.forward(xb, yb)
        if not self.update(self.backward()):
            raise FloatingPointError("compiled training: the step made a weight inf or nan")
        return loss, classes

    def write_back(self, grad: np.ndarray | None = None) -> None:
        """Put the parameters' values (and the optimiser's state; and `grad` into their `grad`s)
        into the model's Values."""
        params = self.params
        for p, value in zip(params, self.tape.theta.tolist()):
            p.data = value
        if grad is not None:
            for p, g in zip(params, grad.tolist()):
                p.grad = g
        for name, values in zip(self.optimizer.state if self.optimizer else (), self.state):
            setattr(self.optimizer, name, values.tolist())

    def read_back(self) -> np.ndarray:
        """Take the parameters' values back from the Values (a callback may have changed them); return their grads."""
        params = self.model.parameters()
        self.params = params
        self.tape.theta[:] = [p.data for p in params]
        return np.array([p.grad for p in params])

    def _batched_loss(self, scores: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.steps is None:
            return self.arrays(scores, yb)
        B, k = len(yb), self.outputs
        targets = yb.reshape(B, self.steps, -1)
        by_step = [self.arrays(scores[t * k:(t + 1) * k], targets[:, t, 0] if targets.shape[2] == 1 else targets[:, t])
                    for t in range(self.steps)]
        scale = 1.0 / self.steps
        return sum(loss for loss, _ in by_step) * scale, np.concatenate([d for _, d in by_step]) * scale

    def _classes(self, scores: np.ndarray) -> list:
        k = self.outputs
        steps = scores.reshape(-1, k, scores.shape[1])  # (steps, outputs, examples)
        classes = steps.argmax(axis=1) if k > 1 else (steps[:, 0] > self.threshold).astype(int)
        return classes[0].tolist() if self.steps is None else classes.T.tolist()


def _flat(out: Value | Sequence) -> list[Value]:
    """A model's outputs as one list: its Value, its list, or its Steps one step after another."""
    if isinstance(out, Value):
        return [out]
    if isinstance(out, Steps):
        return [v for step in out for v in _flat(step)]
    return list(out)


def _output_shape(model: Module, X: np.ndarray) -> tuple[int | None, int]:
    """(time steps, or None for one output, outputs per step) of the model (run once, without a graph)."""
    with autograd.no_grad():
        out = model(X[0].tolist())
    if isinstance(out, Steps):
        return len(out), len(_flat(out[0]))
    return None, len(_flat(out))

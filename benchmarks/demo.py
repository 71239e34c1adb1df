"""Workload 1: micrograd's own demo step, `MLP(2, [16, 16, 1])` on 100 two-moons points.

A step is forward, backward and an SGD update, on the full batch, with the max-margin
(hinge) loss plus 1e-4 L2 and micrograd's schedule lr = 1.0 - 0.9 * k / 100.  micrograd's
side is written as its demo.ipynb writes it; stepgrad's as a stepgrad user would, with
`nets`.  Both start from micrograd's initial weights, so they follow the same trajectory
and must compute the same loss at every step (checked): the same work, timed in lockstep.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import numpy as np

import autograd
import nets
from autograd import gc_paused
from nets.losses import hinge, l2

from .common import MISSING, Row, Sizes, count_nodes, median, timed

ALPHA = 1e-4  # the L2 weight of micrograd's demo


def moons(points: int) -> tuple[np.ndarray, np.ndarray]:
    """The demo's data: seeds 1337, `make_moons(points, noise=0.1)`, labels -1/+1."""
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=points, noise=0.1)
    return X, y * 2 - 1


class MicrogradDemo:
    """micrograd's demo, one `step()` at a time (its `loss()` and the body of its training loop)."""

    def __init__(self, mg: ModuleType, X: np.ndarray, y: np.ndarray) -> None:
        self.Value = mg.engine.Value
        self.model = mg.nn.MLP(2, [16, 16, 1])
        self.X, self.y = X, y
        self.k = 0

    def loss(self) -> tuple[Any, float]:
        Value, model = self.Value, self.model
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(self.y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    def step(self) -> tuple[Any, float]:
        total_loss, acc = self.loss()
        self.model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * self.k / 100
        for p in self.model.parameters():
            p.data -= learning_rate * p.grad
        self.k += 1
        return total_loss, acc

    def nodes_per_step(self) -> int:
        """Nodes in one step's graph that the step created (everything but the parameters)."""
        total_loss, _ = self.loss()
        return count_nodes(total_loss, lambda v: v._prev) - len(self.model.parameters())


class StepgradDemo:
    """The same training with stepgrad: `nets.MLP`, `nets.losses.hinge` + `l2`, SGD with LinearDecay."""

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: list[float] | None = None) -> None:
        self.model = nets.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337)  # micrograd's init
        self.params = self.model.parameters()
        for p, w in zip(self.params, weights or []):
            p.data = w
        self.optimizer = nets.optim.SGD(self.params, lr=1.0)
        self.schedule = nets.optim.LinearDecay(self.optimizer, final_lr=0.1, steps=100)
        self.X, self.labels = X, ((y + 1) // 2).tolist()  # hinge takes 0/1 labels

    def loss(self) -> tuple[autograd.Value, float]:
        scores = [self.model(x) for x in self.X.tolist()]
        loss = autograd.sum(map(hinge, scores, self.labels)) * (1.0 / len(scores)) + l2(self.params, ALPHA)
        accuracy = sum((s.data > 0) == (t == 1) for s, t in zip(scores, self.labels)) / len(scores)
        return loss, accuracy

    def step(self) -> tuple[autograd.Value, float]:
        loss, accuracy = self.loss()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        return loss, accuracy

    def nodes_per_step(self) -> int:
        loss, _ = self.loss()
        return count_nodes(loss, lambda v: v.parents) - len(self.params)


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    X, y = moons(sizes.demo_points)
    theirs = MicrogradDemo(mg, X, y) if mg else None
    weights = [p.data for p in theirs.model.parameters()] if theirs else None
    ours = StepgradDemo(X, y, weights)
    their_nodes = theirs.nodes_per_step() if theirs else MISSING
    our_nodes = ours.nodes_per_step()

    # Lockstep: step k of the same trajectory on each engine in turn, so noise hits both.
    our_times, their_times, loss_gaps = [], [], []
    for _ in range(sizes.demo_repeats):
        t, (our_loss, _) = timed(ours.step)
        our_times.append(t)
        if theirs:
            t, (their_loss, _) = timed(theirs.step)
            their_times.append(t)
            loss_gaps.append(float(abs(our_loss.data - their_loss.data) / abs(their_loss.data)))

    # stepgrad alone: the whole demo, every other step with the GC off for the entire step.
    trainer = StepgradDemo(X, y, weights)
    with_gc, without_gc = [], []
    for k in range(sizes.demo_train_steps):
        if k % 2:
            with gc_paused():
                t, _ = timed(trainer.step)
            without_gc.append(t)
        else:
            t, _ = timed(trainer.step)
            with_gc.append(t)
    final_loss, final_accuracy = trainer.loss()

    ours_s = median(our_times)
    theirs_s = median(their_times) if theirs else MISSING
    speedup = theirs_s / ours_s if theirs else None
    same = max(loss_gaps, default=None)
    return [
        Row("demo step: forward + backward + SGD", "s", ours_s, theirs_s,
            target=">= 30x faster (aim 50x)", met=None if speedup is None else speedup >= 30,
            notes={"speedup": speedup, "repeats": sizes.demo_repeats,
                   "max relative loss difference, same weights": same}),
        Row("demo step: nodes created", "nodes", our_nodes, their_nodes),
        Row(f"demo, {sizes.demo_train_steps} steps: training accuracy", "%", 100 * final_accuracy, "not run (minutes)",
            notes={"final loss": final_loss.data}),
        Row("demo step, GC paused for the whole step (as nets.fit does)", "s", median(without_gc) if without_gc else "n/a",
            notes={"same run, GC on": median(with_gc) if with_gc else None,
                   "why": "nets.fit pauses the GC for each step; this is what that saves"}),
    ]

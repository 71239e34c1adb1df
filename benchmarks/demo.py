"""Workload 1: micrograd's own demo step, `MLP(2, [16, 16, 1])` on 100 two-moons points.

A step is forward, backward and an SGD update, on the full batch, with the max-margin
(hinge) loss plus 1e-4 L2 and micrograd's schedule lr = 1.0 - 0.9 * k / 100.  micrograd's
side is written as its demo.ipynb writes it; stepgrad's as a stepgrad user would, with
`nets`.  Both start from micrograd's initial weights, so they follow the same trajectory
and must compute the same loss at every step (checked): the same work, timed in lockstep.
"""

from __future__ import annotations

import gc
import math
import random
import time
from contextlib import nullcontext
from types import ModuleType
from typing import Any, Callable

import numpy as np

import autograd
import nets
from autograd import gc_paused
from nets.compiled import CompiledTraining
from nets.losses import hinge, l2

from .common import MISSING, Row, Sizes, T, count_nodes, median, timed

ALPHA = 1e-4  # the L2 weight of micrograd's demo
TWIN_STEPS = 25  # steps of a quick engine's twin timed per lockstep round


def moons(points: int) -> tuple[np.ndarray, np.ndarray]:
    """The demo's data: seeds 1337, `make_moons(points, noise=0.1)`, labels -1/+1."""
    from sklearn.datasets import make_moons

    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=points, noise=0.1)
    return X, y * 2 - 1


class NotebookDemo:
    """micrograd's demo as its demo.ipynb writes it, one `step()` at a time, on any engine.

    `Value` and `model` are micrograd's, or stepgrad's Value and `nets.MLP`: inputs wrapped
    in Values, Python's built-in `sum`, the garbage collector left on.
    """

    def __init__(self, Value: type, model: Any, X: np.ndarray, y: np.ndarray) -> None:
        self.Value, self.model = Value, model
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

    def backward(self, total_loss: Any) -> None:
        self.model.zero_grad()
        total_loss.backward()

    def update(self) -> None:
        learning_rate = 1.0 - 0.9 * self.k / 100
        for p in self.model.parameters():
            p.data -= learning_rate * p.grad
        self.k += 1

    def step(self) -> tuple[float, float]:
        total_loss, acc = self.loss()
        self.backward(total_loss)
        self.update()
        return total_loss.data, acc

    def nodes_per_step(self) -> int:
        """Nodes in one step's graph that the step created (everything but the parameters)."""
        total_loss, _ = self.loss()
        children = (lambda v: v._prev) if hasattr(total_loss, "_prev") else (lambda v: v.parents)
        return count_nodes(total_loss, children) - len(self.model.parameters())

    def collector_cost(self, steps: int) -> dict[str, Any]:
        """Median seconds of each part of a step, with the GC on and with it paused (alternate
        steps), and the collections of each generation during the steps with it on."""
        parts: dict[str, list[float]] = {}
        collections = CollectionLog()
        for k in range(steps):
            state = "GC paused" if k % 2 else "GC on"
            with gc_paused() if k % 2 else collections:
                t_forward, (total_loss, _) = timed(self.loss)
                t_backward, _ = timed(lambda: self.backward(total_loss))
                t_update, _ = timed(self.update)
                del total_loss
            for part, t in (("forward", t_forward), ("backward", t_backward), ("update", t_update)):
                parts.setdefault(f"{part}, {state}", []).append(t)
        return {**{part: median(times) for part, times in parts.items()},
                "collections with the GC on, by generation": collections.summary(), "steps with the GC on": (steps + 1) // 2,
                "objects the collector tracks": len(gc.get_objects())}


class CollectionLog:
    """While entered: how many collections of each generation ran, and their seconds (gc.callbacks)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.count[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self.started

    def __enter__(self) -> None:
        gc.callbacks.append(self)

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def summary(self) -> dict[str, str]:
        return {f"generation {g}": f"{n} collections, {s:.4f} s" for g, (n, s) in enumerate(zip(self.count, self.seconds))}


def micrograd_demo(mg: ModuleType, X: np.ndarray, y: np.ndarray) -> NotebookDemo:
    return NotebookDemo(mg.engine.Value, mg.nn.MLP(2, [16, 16, 1]), X, y)


def notebook_demo(X: np.ndarray, y: np.ndarray, weights: list[float] | None) -> NotebookDemo:
    """The notebook's code on stepgrad: its `Value`, and `nets.MLP` with micrograd's weights."""
    model = nets.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=1337)
    for p, w in zip(model.parameters(), weights or []):
        p.data = w
    return NotebookDemo(autograd.Value, model, X, y)


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

    def step(self) -> tuple[float, float]:
        loss, accuracy = self.loss()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.schedule.step()
        return loss.data, accuracy

    def nodes_per_step(self) -> int:
        loss, _ = self.loss()
        return count_nodes(loss, lambda v: v.parents) - len(self.params)


class CompiledDemo(StepgradDemo):
    """The same training through a tape (`fit(compiled=True)`'s trainer): traced once, then NumPy.

    The L2 term is the optimiser's weight decay 2 * alpha (its gradient), added outside the tape.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, weights: list[float] | None = None) -> None:
        super().__init__(X, y, weights)
        self.optimizer.weight_decay = 2 * ALPHA
        self.labels_array = np.array(self.labels)
        self.trainer = CompiledTraining(self.model, "hinge", X, self.labels_array, self.optimizer)

    def step(self) -> tuple[float, float]:
        theta = self.trainer.tape.theta
        penalty = ALPHA * float(theta @ theta)  # before the step, as the scalar loss
        data_loss, classes = self.trainer.step(self.X, self.labels_array)
        self.schedule.step()
        return data_loss + penalty, sum(c == t for c, t in zip(classes, self.labels)) / len(classes)


class TorchDemo:
    """The same step with PyTorch CPU tensors in float64 (only where torch is installed; never a dependency)."""

    def __init__(self, torch: ModuleType, X: np.ndarray, y: np.ndarray, weights: list[float]) -> None:
        self.torch = torch
        self.X, self.y = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        self.layers, start = [], 0
        for nin, nout in ((2, 16), (16, 16), (16, 1)):  # micrograd's order: each neuron's weights, then its bias
            rows = torch.tensor(weights[start:start + nout * (nin + 1)], dtype=torch.float64).reshape(nout, nin + 1)
            start += nout * (nin + 1)
            self.layers.append((rows[:, :nin].clone().requires_grad_(), rows[:, nin].clone().requires_grad_()))
        self.k = 0

    def step(self) -> tuple[float, float]:
        torch = self.torch
        h = self.X
        for i, (w, b) in enumerate(self.layers):
            h = h @ w.T + b
            h = torch.relu(h) if i < len(self.layers) - 1 else h[:, 0]
        params = [t for layer in self.layers for t in layer]
        loss = torch.relu(1 - self.y * h).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= (1.0 - 0.9 * self.k / 100) * p.grad
        self.k += 1
        return loss.item(), ((h > 0) == (self.y > 0)).double().mean().item()


def torch_module() -> ModuleType | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def lockstep(engines: dict[str, Any], repeats: int, twins: dict[str, Any]) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Step k of the same trajectory on each engine in turn, so noise hits all of them.

    Each engine pays for its own garbage and nobody else's (`own_garbage`): micrograd's
    nodes are reference cycles, which only the collector frees, and that is part of its cost.
    A step of about a millisecond is often preempted on a busy machine, so an engine with a
    twin (the same engine, another copy) is also timed over TWIN_STEPS steps of the twin in
    each round; those times are the engine's.  Returns each engine's step times and its
    largest relative loss gap to micrograd's.
    """
    times: dict[str, list[float]] = {name: [] for name in engines}
    gaps: dict[str, float] = {}
    for _ in range(repeats):
        losses = {}
        for name, engine in engines.items():
            t, (losses[name], _) = own_garbage(engine.step)
            times[name] += [own_garbage(twins[name].step)[0] for _ in range(TWIN_STEPS)] if name in twins else [t]
        if "micrograd" in losses:
            for name, loss in losses.items():
                gaps[name] = max(gaps.get(name, 0.0), abs(loss - losses["micrograd"]) / abs(losses["micrograd"]))
    return times, gaps


def own_garbage(step: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of `step`, plus the time to free the garbage it left.

    A collection before it, untimed, clears other engines' garbage.  After it, a collection
    that finds this step's cycles is timed against one that finds none: the difference is
    the freeing alone, without the scan of every live object that any collection costs.  An
    engine that leaves no cycles (its nodes freed by reference counting) pays nothing here.
    """
    gc.collect()
    seconds, result = timed(step)
    collecting, cycles = timed(gc.collect)
    return seconds + (max(0.0, collecting - timed(gc.collect)[0]) if cycles else 0.0), result


def whole_demo(step: Callable[[], tuple[float, float]], steps: int, gc_every_other: bool = False) -> tuple[list[float], list[float], float, float]:
    """Time every step of a whole demo: (times with the GC on, times with it paused, final loss, final accuracy)."""
    on, paused = [], []
    loss = accuracy = math.nan
    for k in range(steps):
        with gc_paused() if gc_every_other and k % 2 else nullcontext():
            t, (loss, accuracy) = timed(step)
        (paused if gc_every_other and k % 2 else on).append(t)
    return on, paused, loss, accuracy


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    X, y = moons(sizes.demo_points)
    theirs = micrograd_demo(mg, X, y) if mg else None
    weights = [p.data for p in theirs.model.parameters()] if theirs else None
    torch = torch_module()
    engines: dict[str, Any] = {"stepgrad": StepgradDemo(X, y, weights), "notebook": notebook_demo(X, y, weights),
                               "compiled": CompiledDemo(X, y, weights)}
    if theirs:
        engines["micrograd"] = theirs
    if torch and weights:
        engines["torch"] = TorchDemo(torch, X, y, weights)
    their_nodes = theirs.nodes_per_step() if theirs else MISSING
    our_nodes = engines["stepgrad"].nodes_per_step()
    twins = {"compiled": CompiledDemo(X, y, weights)}
    if "torch" in engines:
        twins["torch"] = TorchDemo(torch, X, y, weights)
    times, gaps = lockstep(engines, sizes.demo_repeats, twins)

    # Alone, fresh from the same weights: the whole demo (stepgrad with the GC paused every other step;
    # compiled), and where the notebook code's step spends its time.
    with_gc, without_gc, final_loss, final_accuracy = whole_demo(StepgradDemo(X, y, weights).step,
                                                                 sizes.demo_train_steps, gc_every_other=True)
    compiled_times, _, compiled_loss, compiled_accuracy = whole_demo(CompiledDemo(X, y, weights).step,
                                                                     sizes.demo_train_steps)
    parts = notebook_demo(X, y, weights).collector_cost(max(2, sizes.demo_train_steps // 5))

    def versus_micrograd(name: str) -> tuple[float | str, float | None]:
        if not theirs:
            return MISSING, None
        return median(times["micrograd"]), median(times["micrograd"]) / median(times[name])

    theirs_s, speedup = versus_micrograd("stepgrad")
    _, notebook_speedup = versus_micrograd("notebook")
    compiled_s, compiled_speedup = median(times["compiled"]), versus_micrograd("compiled")[1]
    on = parts["forward, GC on"] + parts["backward, GC on"] + parts["update, GC on"]
    paused = parts["forward, GC paused"] + parts["backward, GC paused"] + parts["update, GC paused"]
    rows = [
        Row("demo step: forward + backward + SGD", "s", median(times["stepgrad"]), theirs_s,
            target=">= 30x faster (aim 50x)", met=None if speedup is None else speedup >= 30,
            notes={"speedup": speedup, "repeats": sizes.demo_repeats,
                   "max relative loss difference, same weights": gaps.get("stepgrad")}),
        Row("demo step: nodes created", "nodes", our_nodes, their_nodes),
        Row(f"demo, {sizes.demo_train_steps} steps: training accuracy", "%", 100 * final_accuracy, "not run (minutes)",
            notes={"final loss": final_loss}),
        Row("demo step, GC paused for the whole step (as nets.fit does)", "s", median(without_gc) if without_gc else "n/a",
            notes={"same run, GC on": median(with_gc) if with_gc else None,
                   "why": "nets.fit pauses the GC for each step; this is what that saves"}),
        Row("demo step, micrograd's notebook code on stepgrad (inputs as Values, built-in sum, GC on)", "s",
            median(times["notebook"]), theirs_s, target=">= 40x faster",
            met=None if notebook_speedup is None else notebook_speedup >= 40,
            notes={"speedup": notebook_speedup, "max relative loss difference, same weights": gaps.get("notebook")}),
        Row("notebook code on stepgrad: its forward pass, GC on / GC paused", "x",
            parts["forward, GC on"] / parts["forward, GC paused"],
            notes={**{f"{part} (median s)" if isinstance(t, float) else part: t for part, t in parts.items()},
                   "collector's share of the whole step": (on - paused) / on,
                   "where": "the forward pass: it creates every node, and each collection scans the nodes still "
                            "alive (a full collection, generation 2, scans every object of the process); "
                            "backward() pauses the collector itself, and the update creates no nodes"}),
        Row("demo step compiled: autograd.compile, fit(compiled=True)", "s", compiled_s, theirs_s,
            target=">= 1000x faster", met=None if compiled_speedup is None else compiled_speedup >= 1000,
            notes={"speedup": compiled_speedup, "steps timed (lockstep, a twin)": len(times["compiled"]),
                   f"median of a whole demo's {len(compiled_times)} steps, timed alone": median(compiled_times),
                   "max relative loss difference, same weights (lockstep)": gaps.get("compiled"),
                   f"training accuracy after {sizes.demo_train_steps} steps": compiled_accuracy,
                   "final loss": compiled_loss,
                   "PyTorch CPU float64": "timed in the next row" if "torch" in times else "not installed: no row"}),
    ]
    if "torch" in times:
        torch_s = median(times["torch"])
        rows.append(Row("demo step compiled / PyTorch CPU tensors (float64), same step", "x", compiled_s / torch_s,
                        target="within 2x (report only)", met=compiled_s <= 2 * torch_s,
                        notes={"PyTorch step (median s, lockstep)": torch_s, "torch": torch.__version__,
                               "max relative loss difference, same weights (lockstep)": gaps.get("torch")}))
    return rows

"""Workload 8: the compiled training step against a hand-written NumPy step of the same network.

For each network (micrograd's demo MLP, the digits MLP, the digits CNN, 784-16-16-10 on
MNIST-shaped data, a 28x28 CNN) both start from the model's initial weights and take the
same steps on the same batches; their losses and weights must agree to 1e-9 (relative)
before anything is timed.  Then rounds alternate the two engines, each timing as many steps
as fill ~0.1 s, and the figure is the median of the per-round ratios (compiled / NumPy).
BLAS runs on one thread while timing (threadpoolctl): on a shared 2-core machine a second
BLAS thread waits for a core more often than it helps.  MNIST-shaped data is uniform noise
with random labels (the timing does not depend on the numbers).  Also: one epoch of the
784-16-16-10 network over 60,000 such images (CPU seconds, trace excluded), and at hidden
width 512 (64-512-512-10, as the profile) the compile time and the peak memory of one step.
"""

from __future__ import annotations

import time
import tracemalloc
from contextlib import nullcontext
from types import ModuleType
from typing import Any, Callable

import numpy as np

import nets
from nets import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from nets.compiled import CompiledTraining

from .common import Row, Sizes, median
from .handwritten import CNNStep, MLPStep

NOT_MICROGRAD = "n/a (hand-written NumPy is the reference here)"
AGREEMENT_STEPS = 3
SAMPLE_SECONDS = 0.1


def one_blas_thread() -> Any:
    """Limit BLAS to one thread while timing (threadpoolctl, a scikit-learn dependency), if available."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class Case:
    """One network: the model, its data, its optimiser, and the hand-written twin."""

    def __init__(self, name: str, model: nets.Module, X: np.ndarray, y: np.ndarray, loss: str, batch: int,
                 make_optimizer: Callable[[list], nets.optim.Optimizer], hand: Callable[[list, Any], Any]) -> None:
        self.name, self.model, self.X, self.y, self.loss, self.batch = name, model, X, y, loss, batch
        start = [p.data for p in model.parameters()]
        self.optimizer = make_optimizer(model.parameters())
        self.trainer = CompiledTraining(model, loss, X, y, self.optimizer)
        self.hand = hand(start, make_optimizer(model.parameters()))
        rng = np.random.default_rng(0)
        self.batches = [rng.choice(len(X), size=min(batch, len(X)), replace=False) for _ in range(8)]

    def compiled(self, i: int) -> float:
        rows = self.batches[i % len(self.batches)]
        return self.trainer.step(self.X[rows], self.y[rows])[0]

    def handwritten(self, i: int) -> float:
        rows = self.batches[i % len(self.batches)]
        return self.hand.step(self.X[rows], self.y[rows])

    def agreement(self) -> float:
        """Largest relative difference of losses and weights over a few identical steps."""
        worst = 0.0
        for i in range(AGREEMENT_STEPS):
            a, b = self.compiled(i), self.handwritten(i)
            worst = max(worst, abs(a - b) / max(abs(b), 1e-300))
        self.trainer.write_back()
        weights = np.array([p.data for p in self.model.parameters()])
        worst = max(worst, float(np.max(np.abs(weights - self.hand.theta)) / np.max(np.abs(self.hand.theta))))
        if not worst < 1e-9:
            raise AssertionError(f"{self.name}: the compiled and hand-written steps disagree ({worst:.3g} relative)")
        return worst

    def ratio(self, rounds: int) -> dict[str, Any]:
        """Median per-round time of each engine's step and of their ratio."""
        steps = _steps_for(self.compiled, SAMPLE_SECONDS)
        compiled, hand, ratios = [], [], []
        for r in range(rounds):
            engines = [("compiled", self.compiled), ("hand", self.handwritten)]
            times = {}
            for name, step in engines if r % 2 == 0 else reversed(engines):
                start = time.process_time()
                for i in range(steps):
                    step(i)
                times[name] = (time.process_time() - start) / steps
            compiled.append(times["compiled"])
            hand.append(times["hand"])
            ratios.append(times["compiled"] / times["hand"])
        return {"compiled step (s)": median(compiled), "hand-written NumPy step (s)": median(hand),
                "ratio range": f"{min(ratios):.2f}-{max(ratios):.2f}", "ratio": median(ratios),
                "steps per sample": steps, "rounds": rounds}


def _steps_for(step: Callable[[int], Any], seconds: float) -> int:
    start, n = time.process_time(), 0
    while time.process_time() - start < seconds / 4 or n < 2:
        step(n)
        n += 1
    return max(2, 4 * n)


def _mlp(sizes: list[int], loss: str) -> nets.MLP:
    return nets.MLP(sizes[0], sizes[1:], activation="relu", seed=0)


def _cnn(side: int) -> Sequential:
    maps = (side - 2) // 2
    return Sequential(Conv2d(1, 8, 3, seed=0), MaxPool2d(2), ReLU(), Flatten(), Linear(8 * maps * maps, 10, seed=0))


def mnist_shaped(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform pixels in [0, 1] and random labels 0..9: MNIST's shape, not its content."""
    rng = np.random.default_rng(seed)
    return rng.random((rows, 784)), rng.integers(0, 10, rows)


def cases(sizes: Sizes) -> list[Case]:
    from .demo import moons

    X, y = moons(sizes.demo_points)
    demo = Case("demo MLP 2-16-16-1, hinge, full batch", _mlp([2, 16, 16, 1], "hinge"), X, (y > 0).astype(int),
                "hinge", len(X), lambda p: nets.optim.SGD(p, lr=1.0, weight_decay=2e-4),
                lambda theta, opt: MLPStep([2, 16, 16, 1], theta, opt, "hinge"))
    Xd, yd = nets.data.digits("train")
    digits = Case("digits MLP 64-16-16-10, batch 32", _mlp([64, 16, 16, 10], "cross_entropy"), Xd, yd,
                  "cross_entropy", 32, lambda p: nets.optim.Adam(p, lr=0.01),
                  lambda theta, opt: MLPStep([64, 16, 16, 10], theta, opt, "cross_entropy"))
    Xi, yi = nets.data.digits("train", images=True)
    digits_cnn = Case("digits CNN (810 parameters), batch 16", _cnn(8), Xi, yi, "cross_entropy", 16,
                      lambda p: nets.optim.Adam(p, lr=0.03), lambda theta, opt: CNNStep(8, 8, 10, theta, opt))
    Xm, ym = mnist_shaped(sizes.compiled_rows)
    mnist = Case("MLP 784-16-16-10 on MNIST-shaped data, batch 128", _mlp([784, 16, 16, 10], "cross_entropy"), Xm, ym,
                 "cross_entropy", 128, lambda p: nets.optim.Adam(p, lr=0.001),
                 lambda theta, opt: MLPStep([784, 16, 16, 10], theta, opt, "cross_entropy"))
    images = Xm[: min(len(Xm), 2048)].reshape(-1, 1, 28, 28)
    cnn28 = Case("28x28 CNN (13,610 parameters), batch 32", _cnn(28), images, ym[: len(images)], "cross_entropy", 32,
                 lambda p: nets.optim.Adam(p, lr=0.001), lambda theta, opt: CNNStep(28, 8, 10, theta, opt))
    return [demo, digits, digits_cnn, mnist, cnn28]


def epoch_cpu(case: Case) -> float:
    """CPU seconds of one shuffled epoch of `case` through the compiled step (the trace excluded)."""
    order = np.random.default_rng(1).permutation(len(case.X))
    start = time.process_time()
    for i in range(0, len(order), case.batch):
        rows = order[i:i + case.batch]
        case.trainer.step(case.X[rows], case.y[rows])
    return time.process_time() - start


def wide(width: int, rows: int) -> tuple[float, float]:
    """(compile seconds, peak bytes of one step) of 64-width-width-10 at batch 128."""
    X, y = np.random.default_rng(2).random((rows, 64)), np.random.default_rng(3).integers(0, 10, rows)
    model = _mlp([64, width, width, 10], "cross_entropy")
    optimizer = nets.optim.Adam(model.parameters(), lr=0.001)
    start = time.process_time()
    trainer = CompiledTraining(model, "cross_entropy", X, y, optimizer)
    compile_s = time.process_time() - start
    trainer.step(X[:128], y[:128])
    tracemalloc.start()
    trainer.step(X[:128], y[:128])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return compile_s, peak


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    rows = []
    threads = "BLAS pinned to 1 thread (threadpoolctl) while timing"
    with one_blas_thread():
        built = cases(sizes)
        for case in built:
            agreement = case.agreement()
            figures = case.ratio(sizes.compiled_rounds)
            rows_ratio = figures.pop("ratio")
            rows.append(Row(f"compiled / hand-written NumPy step: {case.name}", "x", rows_ratio, NOT_MICROGRAD,
                            target="<= 2x", met=rows_ratio <= 2,
                            notes={**figures, "max relative difference, losses and weights": agreement,
                                   "threads": threads}))
        mnist = built[3]
        epoch = epoch_cpu(mnist)
        rows.append(Row(f"compiled 784-16-16-10: one epoch of {len(mnist.X):,} MNIST-shaped images, batch 128 (CPU)", "s",
                        epoch, NOT_MICROGRAD, target="< 1.5 s" if len(mnist.X) == 60_000 else "",
                        met=epoch < 1.5 if len(mnist.X) == 60_000 else None,
                        notes={"threads": threads, "steps": -(-len(mnist.X) // 128), "trace": "excluded (see compile rows)"}))
        compile_s, peak = wide(sizes.compiled_width, 256)
    w = sizes.compiled_width
    rows += [
        Row(f"compiled 64-{w}-{w}-10: compile time (CPU)", "s", compile_s, NOT_MICROGRAD,
            target="< 2 s" if w == 512 else "", met=compile_s < 2 if w == 512 else None),
        Row(f"compiled 64-{w}-{w}-10: peak memory of one step, batch 128", "bytes", peak, NOT_MICROGRAD,
            target="< 50 MB" if w == 512 else "", met=peak < 50e6 if w == 512 else None,
            notes={"measured with": "tracemalloc (NumPy's buffers included), the second step"}),
    ]
    return rows

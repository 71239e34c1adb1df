"""What every workload shares: a table row, medians, node counts, and micrograd if installed."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T")


@dataclass
class Row:
    """One line of the table: a figure for each engine, and how it compares with a target.

    `stepgrad` and `micrograd` are numbers in `unit`, or a string saying why there is none.
    `ratio` is stepgrad / micrograd when both are numbers.
    """

    figure: str
    unit: str
    stepgrad: float | str
    micrograd: float | str = "n/a"
    target: str = ""
    met: bool | None = None  # None: the row has no target
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if isinstance(self.stepgrad, (int, float)) and isinstance(self.micrograd, (int, float)) and self.micrograd:
            return self.stepgrad / self.micrograd
        return None


@dataclass(frozen=True)
class Sizes:
    """How big each workload is: `FULL` for the real figures, `SMOKE` for the unit test."""

    demo_points: int
    demo_repeats: int  # timed micrograd steps; stepgrad runs three per micrograd step
    demo_train_steps: int  # stepgrad's whole demo, for its final accuracy
    memory_chain: int
    depth_chains: tuple[int, ...]  # timed lengths, shortest first; the last is the headline depth
    depth_traced: tuple[int, int]  # two lengths whose bytes per node must match (linear memory)
    micrograd_depth_cap: int
    wide: int
    wide_repeats: int
    digits_rows: int | None  # None: the whole training set
    digits_epochs: int
    digits_compiled_epochs: int  # the same MLP through autograd.compile, on batches of 128
    rnn_sequences: int  # training sequences of each recurrent task
    rnn_epochs: int
    cnn_epochs: int
    compiled_rows: int  # MNIST-shaped images for the compiled / hand-written NumPy comparison
    compiled_rounds: int  # interleaved timing rounds of each compiled / NumPy pair
    compiled_width: int  # hidden width of the compile-time and step-memory rows


FULL = Sizes(
    demo_points=100, demo_repeats=7, demo_train_steps=100,
    memory_chain=50_000,
    depth_chains=(125_000, 1_000_000), depth_traced=(125_000, 1_000_000),
    micrograd_depth_cap=1_000_000,
    wide=20_000, wide_repeats=7,
    digits_rows=None, digits_epochs=8, digits_compiled_epochs=15,
    rnn_sequences=200, rnn_epochs=12,
    cnn_epochs=8,
    compiled_rows=60_000, compiled_rounds=9, compiled_width=512,
)
SMOKE = Sizes(
    demo_points=10, demo_repeats=1, demo_train_steps=2,
    memory_chain=500,
    depth_chains=(1_000, 2_000), depth_traced=(1_000, 2_000),
    micrograd_depth_cap=4_000,
    wide=100, wide_repeats=1,
    digits_rows=40, digits_epochs=1, digits_compiled_epochs=1,
    rnn_sequences=8, rnn_epochs=1,
    cnn_epochs=1,
    compiled_rows=300, compiled_rounds=1, compiled_width=16,
)


def micrograd() -> ModuleType | None:
    """The `micrograd` package (PyPI 0.1.0, the `bench` extra), or None if it is not installed."""
    try:
        import micrograd.engine
        import micrograd.nn
    except ImportError:
        return None
    return micrograd


MISSING = "n/a (micrograd not installed: pip install -e '.[bench]')"


def median(values: Iterable[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """(wall time in seconds, result) of one call to `fn`."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def count_nodes(root: Any, children: Callable[[Any], Iterable[Any]]) -> int:
    """How many distinct nodes `root`'s graph holds (itself included), without recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in children(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)

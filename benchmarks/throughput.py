"""Workload 4: throughput, nodes per second forward and backward, on a wide graph.

The same graph on both engines, binary operations only: for i < width,
t_i = relu(a_i * b_i + a_i), then a balanced tree of additions (shallow, so micrograd's
recursion copes).  4 * width - 1 non-leaf nodes.  Measured as a user runs it (the GC on;
stepgrad's backward pauses it) and with the GC off, which shows each engine's own speed:
with many live objects around (numpy, sklearn, a notebook), the GC's scans of every new
node can cost more than building it.
"""

from __future__ import annotations

import gc
import random
from contextlib import nullcontext
from types import ModuleType
from typing import Any

from autograd import Value, gc_paused

from .common import MISSING, Row, Sizes, median, timed


def wide_graph(a: list[Any], b: list[Any]) -> Any:
    level = [(ai * bi + ai).relu() for ai, bi in zip(a, b)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]
    return level[0]


def one_graph(leaf: Any, width: int, collector: bool, rng: random.Random) -> tuple[float, float]:
    """(forward, backward) seconds for a fresh wide graph, its leaves made beforehand."""
    gc.collect()
    a = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
    b = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
    with nullcontext() if collector else gc_paused():
        forward, root = timed(lambda: wide_graph(a, b))
        backward, _ = timed(root.backward)
    return forward, backward


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    engines = {"stepgrad": Value, "micrograd": mg.engine.Value} if mg else {"stepgrad": Value}
    nodes = 4 * sizes.wide - 1
    rows = []
    for collector, label in ((True, ""), (False, ", GC off")):
        rng = random.Random(0)
        forward: dict[str, list[float]] = {name: [] for name in engines}
        backward: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(sizes.wide_repeats):  # the engines take turns, so noise hits both
            for name, leaf in engines.items():
                f, b = one_graph(leaf, sizes.wide, collector, rng)
                forward[name].append(f)
                backward[name].append(b)
        for phase, seconds in (("forward", forward), ("backward", backward)):
            rate = {name: nodes / median(times) for name, times in seconds.items()}
            rows.append(Row(f"throughput: {phase}, wide graph{label}", "nodes/s", rate["stepgrad"],
                            rate.get("micrograd", MISSING), notes={"nodes": nodes}))
    return rows

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
from types import ModuleType
from contextlib import nullcontext
from typing import Any

from autograd import Value

from .common import MISSING, Row, Sizes, gc_disabled, median, timed


def wide_graph(a: list[Any], b: list[Any]) -> Any:
    level = [(ai * bi + ai).relu() for ai, bi in zip(a, b)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]
    return level[0]


def nodes_per_second(leaf: Any, width: int, repeats: int, collector: bool = True) -> tuple[float, float]:
    """(forward, backward) non-leaf nodes per second, medians over `repeats` fresh graphs."""
    rng = random.Random(0)
    nodes = 4 * width - 1
    forward, backward = [], []
    for _ in range(repeats):
        gc.collect()
        a = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
        b = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
        with nullcontext() if collector else gc_disabled():
            t, root = timed(lambda: wide_graph(a, b))
            forward.append(t)
            t, _ = timed(root.backward)
            backward.append(t)
        del root, a, b
    return nodes / median(forward), nodes / median(backward)


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    nodes = {"nodes": 4 * sizes.wide - 1}
    rows = []
    for collector, label in ((True, ""), (False, ", GC off")):
        ours = nodes_per_second(Value, sizes.wide, sizes.wide_repeats, collector)
        theirs = nodes_per_second(mg.engine.Value, sizes.wide, sizes.wide_repeats, collector) if mg else (MISSING, MISSING)
        rows += [
            Row(f"throughput: forward, wide graph{label}", "nodes/s", ours[0], theirs[0], notes=nodes),
            Row(f"throughput: backward, wide graph{label}", "nodes/s", ours[1], theirs[1], notes=nodes),
        ]
    return rows

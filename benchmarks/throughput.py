"""Workload 4: throughput, nodes per second forward and backward, on a wide graph.

The same graph on both engines, binary operations only: for i < width,
t_i = relu(a_i * b_i + a_i), then a balanced tree of additions (shallow, so micrograd's
recursion copes).  4 * width - 1 non-leaf nodes.
"""

from __future__ import annotations

import gc
import random
from types import ModuleType
from typing import Any

from autograd import Value

from .common import MISSING, Row, Sizes, median, timed


def wide_graph(a: list[Any], b: list[Any]) -> Any:
    level = [(ai * bi + ai).relu() for ai, bi in zip(a, b)]
    while len(level) > 1:
        pairs = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]
    return level[0]


def nodes_per_second(leaf: Any, width: int, repeats: int) -> tuple[float, float]:
    """(forward, backward) non-leaf nodes per second, medians over `repeats` fresh graphs."""
    rng = random.Random(0)
    nodes = 4 * width - 1
    forward, backward = [], []
    for _ in range(repeats):
        gc.collect()
        a = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
        b = [leaf(rng.uniform(-1, 1)) for _ in range(width)]
        t, root = timed(lambda: wide_graph(a, b))
        forward.append(t)
        t, _ = timed(root.backward)
        backward.append(t)
        del root, a, b
    return nodes / median(forward), nodes / median(backward)


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    our_fwd, our_bwd = nodes_per_second(Value, sizes.wide, sizes.wide_repeats)
    their_fwd, their_bwd = nodes_per_second(mg.engine.Value, sizes.wide, sizes.wide_repeats) if mg else (MISSING, MISSING)
    nodes = {"nodes": 4 * sizes.wide - 1}
    return [
        Row("throughput: forward, wide graph", "nodes/s", our_fwd, their_fwd, notes=nodes),
        Row("throughput: backward, wide graph", "nodes/s", our_bwd, their_bwd, notes=nodes),
    ]

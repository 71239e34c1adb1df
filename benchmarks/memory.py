"""Workload 2: bytes per node of a long chain `y = y * 1.0000001`, kept alive (tracemalloc).

micrograd wraps the constant in a Value and gives each node a set and a closure; stepgrad
keeps the constant as a plain float (`const`) and its nodes in `__slots__`.  A link is one
multiplication: one stepgrad node, two micrograd nodes (the product and the constant).
"""

from __future__ import annotations

import gc
import tracemalloc
from types import ModuleType
from typing import Any, Callable

from autograd import Value

from .common import MISSING, Row, Sizes

FACTOR = 1.0000001


def bytes_per_link(leaf: Callable[[float], Any], links: int) -> float:
    """Memory that `links` multiplications hold on to while the chain's end is alive, per link."""
    gc.collect()
    tracemalloc.start()
    try:
        y = leaf(1.0)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(links):
            y = y * FACTOR
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del y
    return (after - before) / links


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    ours = bytes_per_link(Value, sizes.memory_chain)
    theirs = bytes_per_link(mg.engine.Value, sizes.memory_chain) if mg else MISSING
    row = Row("memory: bytes per multiplication, chain kept alive", "bytes", ours, theirs,
              target="<= 1/4 of micrograd's", notes={"links": sizes.memory_chain})
    row.met = None if row.ratio is None else row.ratio <= 0.25
    return [row]

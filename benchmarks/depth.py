"""Workload 3: depth.  stepgrad back-propagates a chain of 1,000,000 nodes; micrograd's
recursive topological sort stops near Python's recursion limit (found by trying depths).

Linear means: backward time per node and peak bytes per node about the same for a short
and a long chain.  Build and backward are timed with the GC left on, as a user runs them.
"""

from __future__ import annotations

import gc
import math
import sys
import tracemalloc
from types import ModuleType
from typing import Any

from autograd import Value, gc_paused

from .common import Row, Sizes, median, timed

FACTOR = 1.0000001


def chain(leaf: Any, links: int) -> Any:
    y = leaf
    for _ in range(links):
        y = y * FACTOR
    return y


def stepgrad_chain(links: int, collector: bool = True) -> tuple[float, float]:
    """(build seconds, backward seconds), checking the gradient FACTOR ** links.

    `collector=False` builds with the cyclic GC off (backward pauses it anyway).
    """
    gc.collect()
    x = Value(1.0)
    if collector:
        build, y = timed(lambda: chain(x, links))
    else:
        with gc_paused():
            build, y = timed(lambda: chain(x, links))
    backward, _ = timed(y.backward)
    if not math.isclose(x.grad, FACTOR**links, rel_tol=1e-6):
        raise AssertionError(f"depth: chain of {links}: grad {x.grad} != {FACTOR**links}")
    return build, backward


def stepgrad_peak_bytes(links: int) -> float:
    """Peak traced memory of building and back-propagating a chain, per node."""
    gc.collect()
    tracemalloc.start()
    try:
        y = chain(Value(1.0), links)
        y.backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del y
    return peak / links


def micrograd_reaches(mg: ModuleType, links: int) -> bool:
    y = chain(mg.engine.Value(1.0), links)
    try:
        y.backward()
    except RecursionError:
        return False
    return True


def micrograd_limit(mg: ModuleType, cap: int) -> tuple[int, bool]:
    """(deepest chain micrograd back-propagates, whether it failed below `cap`): doubling, then bisection."""
    good, bad = 0, 64
    while bad <= cap and micrograd_reaches(mg, bad):
        good, bad = bad, bad * 2
    if bad > cap:
        return good, False
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if micrograd_reaches(mg, mid) else (good, mid)
    return good, True


def run(sizes: Sizes, mg: ModuleType | None) -> list[Row]:
    deepest = sizes.depth_chains[-1]
    # Longest first: the first big graph also pays for growing the heap, which would flatter
    # the long chain.  The shorter chains are quick: the median of three, as they are noisier.
    times = {}
    for links in reversed(sizes.depth_chains):
        runs = [stepgrad_chain(links) for _ in range(1 if links == deepest else 3)]
        times[links] = (median(build for build, _ in runs), median(backward for _, backward in runs))
    short, long = sizes.depth_traced
    per_node = {links: backward / links for links, (_, backward) in times.items()}
    time_growth = per_node[deepest] / per_node[sizes.depth_chains[0]]
    bytes_short, bytes_long = stepgrad_peak_bytes(short), stepgrad_peak_bytes(long)
    memory_growth = bytes_long / bytes_short

    if mg:
        reached, failed = micrograd_limit(mg, sizes.micrograd_depth_cap)
        theirs: float | str = reached
        their_note = f"RecursionError at {reached + 1} (recursion limit {sys.getrecursionlimit()})" if failed else \
            f"reached the cap {sizes.micrograd_depth_cap}"
    else:
        theirs, their_note = "n/a (micrograd not installed)", ""
    build, backward = times[deepest]
    build_without_gc, _ = stepgrad_chain(deepest, collector=False)
    return [
        Row("depth: deepest chain back-propagated", "nodes", deepest, theirs,
            target=f"{deepest:,} nodes back-propagate", met=True, notes={"micrograd": their_note} if mg else {}),
        Row(f"depth: {deepest:,}-node chain, build", "s", build),
        Row(f"depth: {deepest:,}-node chain, build with the GC off", "s", build_without_gc,
            notes={"GC cost": build / build_without_gc}),
        Row(f"depth: {deepest:,}-node chain, backward", "s", backward,
            notes={"backward seconds by length": {str(k): times[k][1] for k in sizes.depth_chains},
                   "build seconds by length": {str(k): times[k][0] for k in sizes.depth_chains}}),
        Row(f"depth: backward time per node, {deepest:,} vs {sizes.depth_chains[0]:,}", "x", time_growth,
            target="linear: <= 1.5x", met=time_growth <= 1.5),
        Row(f"depth: peak bytes per node, {long:,} vs {short:,}", "x", memory_growth,
            target="linear: <= 1.2x", met=memory_growth <= 1.2,
            notes={"peak bytes per node": {str(short): bytes_short, str(long): bytes_long}}),
    ]

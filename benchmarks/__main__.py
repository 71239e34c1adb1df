"""`python -m benchmarks [--smoke] [--json PATH] [--no-micrograd]`: run every workload, print the table, write JSON."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from . import cnn, compiled, demo, depth, digits, memory, recurrent, throughput
from .common import FULL, SMOKE, Row, micrograd
from .report import as_json, table, write_json

WORKLOADS = (demo, memory, depth, throughput, digits, recurrent, cnn, compiled)
DEFAULT_JSON = Path(__file__).with_name("results.json")


def machine(mg_version: str | None) -> dict[str, Any]:
    """What the figures depend on: cores, CPU, Python, and the micrograd compared with."""
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return {
        "cores": cores,
        "usable_cores": usable,
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": python,
        "micrograd": mg_version,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "summary": f"{cores} cores ({usable} usable), {python}, {platform.system()} {platform.machine()}",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repetition: checks the code runs")
    parser.add_argument("--json", type=Path, help=f"where to write the figures (default {DEFAULT_JSON}; a --smoke "
                        "run writes none unless given a path, so its meaningless figures never replace real ones)")
    parser.add_argument("--no-micrograd", action="store_true", help="stepgrad only, even if micrograd is installed")
    args = parser.parse_args(argv)

    mg = None if args.no_micrograd else micrograd()
    mg_version = _version("micrograd") if mg else None
    sizes = SMOKE if args.smoke else FULL
    rows: list[Row] = []
    for workload in WORKLOADS:
        print(f"running {workload.__name__.rsplit('.', 1)[-1]} ...", file=sys.stderr, flush=True)
        rows += workload.run(sizes, mg)
    info = machine(mg_version)
    print(table(rows, info, args.smoke))
    path = args.json or (None if args.smoke else DEFAULT_JSON)
    if path is None:
        print(f"\nnot written to {DEFAULT_JSON}: smoke figures are meaningless (--json PATH writes them)")
    else:
        write_json(path, as_json(rows, info, "smoke" if args.smoke else "full"))
        print(f"\nwritten to {path}")
    return 0


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    sys.exit(main())

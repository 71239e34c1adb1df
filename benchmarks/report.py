"""The table on the terminal and the same figures as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograd.files import write_atomically

from .common import Row


def number(value: float | str, unit: str) -> str:
    """A figure in readable units: 24.1 ms, 1,168 B, 1.30 M/s."""
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB" if value >= 1e6 else f"{value:,.0f} B"
    if unit == "nodes/s":
        return f"{value / 1e6:.2f} M/s" if value >= 1e6 else f"{value / 1e3:.0f} k/s"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:,.0f}"


def ratio(row: Row) -> str:
    """stepgrad / micrograd, and for times how many times faster that is."""
    r = row.ratio
    if r is None:
        return ""
    if row.unit == "s":
        return f"{r:.3f} ({1 / r:.0f}x faster)"
    return f"{r:,.0f}" if r >= 1000 else f"{r:.3g}"


def verdict(row: Row) -> str:
    if row.met is None:
        return row.target
    return f"{row.target}: {'met' if row.met else 'NOT MET'}"


def table(rows: list[Row], machine: dict[str, Any], smoke: bool = False) -> str:
    header = ("figure", "stepgrad", "micrograd", "ratio stepgrad/micrograd", "target")
    lines = [header] + [(r.figure, number(r.stepgrad, r.unit), number(r.micrograd, r.unit), ratio(r), verdict(r))
                        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [f"stepgrad vs micrograd {machine['micrograd'] or '(not installed)'}: {machine['summary']}"]
    if smoke:
        out.append("SMOKE RUN: sizes too small for the figures or targets to mean anything")
    for i, line in enumerate(lines):
        out.append(" | ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if i == 0:
            out.append("-|-".join("-" * w for w in widths))
    return "\n".join(out)


def as_json(rows: list[Row], machine: dict[str, Any], mode: str) -> dict[str, Any]:
    return {
        "machine": machine,
        "mode": mode,
        "rows": [
            {"figure": r.figure, "unit": r.unit, "stepgrad": r.stepgrad, "micrograd": r.micrograd,
             "ratio": r.ratio, "target": r.target, "met": r.met, "notes": r.notes}
            for r in rows
        ],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, json.dumps(data, indent=2) + "\n")

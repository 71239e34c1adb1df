"""`make bench` must keep working: run the benchmark in smoke mode (tiny sizes, no timing checks)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKLOADS = ("demo", "memory", "depth", "throughput", "digits", "binary addition", "sine", "cnn", "compiled")


@pytest.mark.slow
def test_smoke_run_prints_the_table_and_writes_the_json(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    run = subprocess.run([sys.executable, "-m", "benchmarks", "--smoke", "--json", str(path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200)  # a hang guard, generous for a loaded machine
    assert run.returncode == 0, run.stderr
    assert "SMOKE RUN" in run.stdout and str(path) in run.stdout

    results = json.loads(path.read_text())
    assert results["mode"] == "smoke"
    assert results["machine"]["cores"] >= 1
    rows = {row["figure"]: row for row in results["rows"]}
    for workload in WORKLOADS:
        assert any(figure.startswith(workload) for figure in rows), workload
    for row in rows.values():
        assert row["figure"] in run.stdout
        assert isinstance(row["stepgrad"], (int, float)) and row["stepgrad"] >= 0, row

    hand = [row for figure, row in rows.items() if figure.startswith("compiled / hand-written NumPy step")]
    assert len(hand) == 5  # every benchmarked network, each checked against its hand-written NumPy step first
    for row in hand:
        assert row["notes"]["max relative difference, losses and weights"] < 1e-9
        assert "1 thread" in row["notes"]["threads"]

    step = rows["demo step: forward + backward + SGD"]
    if importlib.util.find_spec("micrograd") is None:
        assert step["micrograd"].startswith("n/a")  # a clear n/a, not a crash
    else:
        assert step["ratio"] > 0
        assert step["notes"]["max relative loss difference, same weights"] < 1e-9  # the same computation
        notebook = rows["demo step, micrograd's notebook code on stepgrad (inputs as Values, built-in sum, GC on)"]
        assert notebook["notes"]["max relative loss difference, same weights"] < 1e-9
        compiled = rows["demo step compiled: autograd.compile, fit(compiled=True)"]
        assert compiled["notes"]["max relative loss difference, same weights (lockstep)"] < 1e-9


def test_a_smoke_run_leaves_the_committed_results_alone(tmp_path: Path, monkeypatch, capsys) -> None:
    import benchmarks.__main__ as bench

    committed = tmp_path / "results.json"
    committed.write_text("the real figures")
    monkeypatch.setattr(bench, "DEFAULT_JSON", committed)
    monkeypatch.setattr(bench, "WORKLOADS", ())  # the writing is under test, not the workloads
    assert bench.main(["--smoke", "--no-micrograd"]) == 0
    assert committed.read_text() == "the real figures"
    assert "not written to" in capsys.readouterr().out

"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, without an error, and
so does every translated one (notebooks/zh/).

The kernel is this interpreter (the venv's python), so the notebooks see the same
installed stepgrad as the rest of the test-suite.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
# The series in other languages (notebooks/<lang>/, made by `make translations`): run too, in their folder.
TRANSLATED = sorted(path for po in FOLDER.glob("*/notebooks.po") for path in po.parent.glob("[0-9][0-9]_*.ipynb"))
# Seconds of wall-clock time for a whole notebook: a guard against a notebook that runs on, not a
# speed test (speed lives in benchmarks/). It is generous because the suite must pass while other
# jobs use both cores; the slowest notebook takes under a minute on a quiet machine.
NOTEBOOK_BUDGET = float(os.environ.get("STEPGRAD_NOTEBOOK_BUDGET", 900))


def _client(nb: nbformat.NotebookNode, workdir: Path, budget: float = NOTEBOOK_BUDGET) -> NotebookClient:
    """A client that stops the notebook once `budget` seconds have passed in all.

    Each cell may take only what is left of the budget, so a slow notebook fails with a
    timeout instead of running on.  jupyter_client starts the native "python3" kernel
    with sys.executable, so the kernel runs in this virtual environment.
    """
    deadline = time.monotonic() + budget
    return NotebookClient(
        nb,
        timeout_func=lambda cell: max(1, math.ceil(deadline - time.monotonic())),
        kernel_name=NATIVE_KERNEL_NAME,
        resources={"metadata": {"path": str(workdir)}},
    )


def test_the_series_is_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:8] == list(range(1, 9)) and numbers == sorted(set(numbers)), [p.name for p in NOTEBOOKS]


@pytest.mark.slow
def test_the_kernel_is_this_interpreter(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import sys; print(sys.executable)")])
    _client(nb, tmp_path).execute()
    assert Path(nb.cells[0].outputs[0]["text"].strip()).resolve() == Path(sys.executable).resolve()


@pytest.mark.slow
def test_a_notebook_over_its_budget_is_stopped(tmp_path):
    cells = [nbformat.v4.new_code_cell("import time; time.sleep(1.5)") for _ in range(3)]
    start = time.monotonic()
    with pytest.raises(CellTimeoutError):
        _client(nbformat.v4.new_notebook(cells=cells), tmp_path, budget=2).execute()
    assert time.monotonic() - start < 15  # stopped in the second cell, not after all three


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_with_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "What this notebook teaches" in nb.cells[0].source
    unrun = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.execution_count is None]
    assert not unrun, f"{path.name}: cells {unrun} were never run; execute the notebook and commit its outputs"
    errors = [o.get("ename") for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} was committed with errors: {errors}"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS + TRANSLATED, ids=[str(p.relative_to(FOLDER).with_suffix("")) for p in NOTEBOOKS + TRANSLATED])
def test_notebook_runs_top_to_bottom(path: Path):
    nb = nbformat.read(path, as_version=4)
    _client(nb, path.parent).execute()  # raises at the first error, or when the budget runs out

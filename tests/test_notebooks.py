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


# What the prose of a notebook relies on, checked in its own kernel after its last cell: an
# assertion that fails if a re-run stops showing what the text says (a cell the reader never sees).
FACTS = {
    "08_handwritten_digits": """
assert largest_gap < 1e-9 and compiled_seconds < value_seconds
assert course_history["val_accuracy"][-1] > 0.9 and course_history["val_accuracy"][0] < 0.5 < 0.85 < compiled_history["val_accuracy"][0]
assert course_history["val_accuracy"][-1] < compiled_history["val_accuracy"][-1]
""",
    "09_convolutions": """
assert (edge_map == [[0, 30, 30, 0]] * 4).all() and np.allclose(as_array(maps1), summed)
assert evaluate(cnn, X_test, y_test, loss="cross_entropy")[1] >= 0.97  # trained to its full accuracy, compiled
""",
    "10_recurrent_networks_and_bptt": """
assert truncated_seconds < full_seconds, (truncated_seconds, full_seconds)  # CPU seconds
assert lstm_first / rnn_first > 1e12, (lstm_first, rnn_first)
assert cell_paths["LSTM, forget bias 0 (dL/dc_t)"][0] < 1e-12 < 0.01 < lstm_first / cell_paths["LSTM, forget bias 3 (dL/dc_t)"][-1]
""",
    "05_why_hidden_layers": """
assert course_history["accuracy"][-1] == today_history["accuracy"][-1] == 1.0
assert today_history["accuracy"].index(1.0) < course_history["accuracy"].index(1.0)
assert abs(course_history["loss"][100] - 0.25) < 0.01  # the plateau
assert all(np.allclose(by_hand[k], from_backward[k], rtol=0, atol=1e-15) for k in by_hand)
""",
    "11_gradient_descent_by_hand": """
assert methods[-1][0].startswith("Adam") and distance[25] < 0.1 < 0.5 < distance[40]  # Adam passes the bottom, swings out
assert after_epochs[4] < after_epochs[1] < after_epochs[None]  # per epoch: mini-batch, then one example, then full batch
assert abs(ends[-2.0] - ends[-0.5]) < 1e-6 and abs(ends[0.5] - ends[2.0]) < 1e-6 and f(ends[-2.0]) < -3.5 and -1.1 < f(ends[2.0]) < -1.0
""",
    "12_regularisation": """
assert all(a == 1.0 for a in train_accuracy["no regularisation"])
assert all(np.mean(val_accuracy["no regularisation"]) < np.mean(v) for name, v in val_accuracy.items() if name != "no regularisation")
assert max(np.mean(v) for v in easy.values()) == np.mean(easy["no regularisation"])  # the easy problem: nothing gained
assert np.mean(easy["no regularisation"]) - np.mean(easy["max-norm 1"]) > max(np.std(v) for v in easy.values())
""",
    "14_transfer_learning_and_augmentation": """
assert all(min(parity["frozen"][k], parity["fine-tuned"][k]) > parity["from scratch"][k] for k in range(4))
assert accuracies["from scratch"] > accuracies["fine-tuned"] > accuracies["frozen"]  # the other case: transfer loses
""",
    "13_batch_normalisation": """
assert 0.08 < bn.running_var[2].data / 900 - 1 < 0.15 and abs(big.running_var[2].data / 900 - 1) < 0.05
assert abs((1 - m) ** 50 + weights @ feature3 - bn.running_var[2].data) < 1e-9
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS + TRANSLATED, ids=[str(p.relative_to(FOLDER).with_suffix("")) for p in NOTEBOOKS + TRANSLATED])
def test_notebook_runs_top_to_bottom(path: Path):
    nb = nbformat.read(path, as_version=4)
    if path.stem in FACTS:
        nb.cells.append(nbformat.v4.new_code_cell(FACTS[path.stem]))
    _client(nb, path.parent).execute()  # raises at the first error, or when the budget runs out


def test_every_fact_names_a_notebook():
    assert set(FACTS) <= {p.stem for p in NOTEBOOKS}

"""The learners' Exercises sections, made from the graders' solution notebooks.

`notebooks/solutions/NN_name.ipynb` holds each exercise with its solution between
nbgrader's markers (`### BEGIN SOLUTION` / `### END SOLUTION`), its `check` call, and a
cell tagged `grader` that shows a typical wrong answer getting its hint.  The learner's
notebook `notebooks/NN_name.ipynb` ends with the same cells, solutions replaced by
`pass  # YOUR CODE HERE` and grader cells left out, under the heading "Exercises".

    python -m nets.course sync          # rewrite every learner section, run it, save outputs
    python -m nets.course sync 04 09    # only these notebooks

Only the Exercises section is run (in a fresh kernel: it imports what it needs), so the
rest of a notebook and its outputs are never touched.  Needs nbformat and nbclient (the
dev extra).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
SECTION = "exercises"  # the tag on the learner section's first cell
GRADER = "grader"  # the tag on cells only graders see
STUB = "pass  # YOUR CODE HERE"
ANSWER_STUB = "answer = ...  # YOUR ANSWER HERE"  # for a region that sets `answer`: the check then says "not answered yet"
SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S)

INTRO = """## Exercises

Each exercise has a cell to fill in (replace `# YOUR CODE HERE` or the `...` of
`# YOUR ANSWER HERE` with your answer) and a `check` cell right after it. Run both: the check compares your answer with what the engine
computes and says in a sentence or two what is right, what is wrong and by how much, with a
hint. Until you answer, it says "not answered yet". Teachers: the solutions are in
`notebooks/solutions/`, and the teacher's guide is `notebooks/TEACHERS_GUIDE.md`."""


def strip_solutions(source: str) -> str:
    """Each nbgrader solution region replaced by a stub, at the region's indentation."""
    def stub(match: re.Match) -> str:
        indent = match.group(1)
        sets_answer = re.search(rf"^{indent}answer\s*=", match.group(0), re.M)
        return f"{indent}{ANSWER_STUB if sets_answer else STUB}"

    return SOLUTION.sub(stub, source)


def tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def learner_cells(solutions: Any) -> list[Any]:
    """The learner's Exercises section made from a solution notebook (outputs cleared)."""
    import nbformat

    cells = [nbformat.v4.new_markdown_cell(INTRO, id="exercises", metadata={"tags": [SECTION]})]
    for cell in solutions.cells:
        if GRADER in tags(cell):
            continue
        if cell.cell_type == "code":
            cells.append(nbformat.v4.new_code_cell(strip_solutions(cell.source), id=cell.id))
        else:
            cells.append(nbformat.v4.new_markdown_cell(cell.source, id=cell.id))
    return cells


def learner_path(solution: Path) -> Path:
    return NOTEBOOKS / solution.name


def body(notebook: Any) -> list[Any]:
    """The notebook's cells before its Exercises section."""
    for i, cell in enumerate(notebook.cells):
        if SECTION in tags(cell):
            return notebook.cells[:i]
    return list(notebook.cells)


def section(notebook: Any) -> list[Any]:
    return notebook.cells[len(body(notebook)):]


def execute(notebook: Any, budget: float = 120) -> None:
    """Run `notebook` in a fresh kernel of this interpreter, in the notebooks folder."""
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=int(budget), kernel_name=NATIVE_KERNEL_NAME,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # timestamps: noise in every diff


def write(notebook: Any, path: Path) -> None:
    """Atomically: a temporary file in the same folder, then a rename."""
    import nbformat

    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".ipynb")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            nbformat.write(notebook, out)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def sync(numbers: Sequence[str] = (), *, run: bool = True) -> list[Path]:
    """Rewrite the Exercises section of each learner notebook from its solution notebook."""
    import nbformat

    changed = []
    for solution in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        if numbers and solution.name[:2] not in numbers:
            continue
        target = learner_path(solution)
        if not target.exists():
            raise FileNotFoundError(f"course sync: {solution.name} has no learner notebook {target}")
        solved = nbformat.read(solution, as_version=4)
        learner = nbformat.read(target, as_version=4)
        exercises = nbformat.v4.new_notebook(cells=learner_cells(solved), metadata=learner.metadata)
        if run:
            execute(exercises)
            execute(solved)
            write(solved, solution)
        learner.cells = body(learner) + exercises.cells
        write(learner, target)
        changed.append(target)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nets.course", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("sync", help="rewrite the learners' Exercises sections from notebooks/solutions/")
    command.add_argument("numbers", nargs="*", help="two-digit notebook numbers (default: all)")
    command.add_argument("--no-run", action="store_true", help="do not execute (outputs are left empty)")
    args = parser.parse_args(argv)
    for path in sync(args.numbers, run=not args.no_run):
        print(f"wrote {path.relative_to(NOTEBOOKS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

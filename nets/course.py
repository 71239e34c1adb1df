"""The learners' Exercises sections, made from the graders' solution notebooks.

`notebooks/solutions/NN_name.ipynb` holds each exercise with its solution between
nbgrader's markers (`### BEGIN SOLUTION` / `### END SOLUTION`), its `check` call, and a
cell tagged `grader` that shows a typical wrong answer getting its hint.  The learner's
notebook `notebooks/NN_name.ipynb` ends with the same cells, solutions replaced by
`pass  # YOUR CODE HERE` and grader cells left out, under the heading "Exercises".

    python -m nets.course sync          # rewrite every learner section, run it, save outputs
    python -m nets.course sync 04 09    # only these notebooks
    python -m nets.course site          # the course website in build/site (what `make site` runs)

The section's cells are known by their ids (`exercises`, `setup`, `ex-...`), so a cell another
author appends after the section is kept: `sync` moves it before the section, which ends the
notebook.  Only the Exercises section is run (in a fresh kernel: it imports what it needs), so the
rest of a notebook and its outputs are never touched.  Needs nbformat and nbclient (the
dev extra); the site needs the `site` extra (Sphinx, MyST-NB, sphinx-book-theme).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
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


def ours(cell: Any) -> bool:
    """A cell of the Exercises section: the heading, the set-up, or an exercise's (ids ex-...)."""
    return cell.get("id") in ("exercises", "setup") or str(cell.get("id", "")).startswith("ex-")


def body(notebook: Any) -> list[Any]:
    """The notebook's own cells: everything but the Exercises section, wherever another cell was put."""
    return [cell for cell in notebook.cells if not ours(cell)]


def section(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if ours(cell)]


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


ROOT = NOTEBOOKS.parent
SITE_CONFIG = NOTEBOOKS / "site"
STEPPERS = [  # (file, title, what it shows): the saved Stepper pages the site links
    ("neuron.html", "The neuron of notebook 2", "o = tanh(x1·w1 + x2·w2 + b), node by node"),
    ("used_twice.html", "A node used twice (notebook 2)", "b = a·a + a: the gradients of both paths add up"),
    ("mlp.html", "A 2-3-1 MLP's loss (notebook 4)", "every parameter of a small network, named by its place"),
]


def stepper_graphs() -> dict[str, tuple[Any, Any]]:
    """The graphs of the saved Stepper pages, each (root, params)."""
    from autograd import Value

    import nets
    from nets.handworked import neuron

    o, _ = neuron()
    a = Value(3.0, label="a")
    twice = a * a + a
    twice.label = "b"
    model = nets.MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.2]) - 1.0) ** 2
    loss.label = "loss"
    return {"neuron.html": (o, ()), "used_twice.html": (twice, ()), "mlp.html": (loss, model)}


def stage_site(source: Path) -> None:
    """The site's sources in `source`: the notebooks (widget state left out), the guide, the
    Chinese series if there is one, the Stepper pages, MathJax, and a generated index."""
    import nbformat

    from autograd import Stepper

    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    series = {"": sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), "zh/": sorted((NOTEBOOKS / "zh").glob("[0-9][0-9]_*.ipynb"))}
    for folder, paths in series.items():
        for path in paths:
            notebook = nbformat.read(path, as_version=4)
            notebook.metadata.pop("widgets", None)  # its views need JavaScript from a CDN
            (source / folder).mkdir(exist_ok=True)
            nbformat.write(notebook, source / folder / path.name)
    shutil.copy(NOTEBOOKS / "TEACHERS_GUIDE.md", source / "TEACHERS_GUIDE.md")
    import jupyter_server_mathjax

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", source / "_mathjax" / "mathjax")
    shutil.copytree(SITE_CONFIG / "static", source / "_course")
    steppers = source / "_course" / "steppers"
    steppers.mkdir()
    graphs = stepper_graphs()
    for name, title, _what in STEPPERS:
        root, params = graphs[name]
        Stepper(root, params=params).save_html(steppers / name, title=title)
    (source / "index.md").write_text(index_page(series), encoding="utf-8")


def index_page(series: dict[str, list[Path]]) -> str:
    def toctree(caption: str, entries: list[str]) -> str:
        return "```{toctree}\n:maxdepth: 1\n:caption: " + caption + "\n\n" + "\n".join(entries) + "\n```\n"

    lessons = [f"{folder}{path.stem}" for folder, paths in series.items() if not folder for path in paths]
    chinese = [f"zh/{path.stem}" for path in series["zh/"]]
    steppers = "\n".join(f'- <a href="_static/steppers/{name}">{title}</a>: {what}' for name, title, what in STEPPERS)
    return (
        "# stepgrad: backprop, one node at a time\n\n"
        "A course on backpropagation in fourteen notebooks, from a derivative measured as a slope to "
        "convolutional and recurrent networks, on stepgrad's scalar autograd engine. Each lesson ends with "
        "exercises whose answers the `check` cells compare with the engine. This site works offline: "
        "nothing on it loads from the network.\n\n"
        + toctree("Lessons", lessons)
        + (toctree("中文", chinese) if chinese else "")
        + toctree("For teachers", ["TEACHERS_GUIDE"])
        + "\n## Step through backprop\n\nSaved Stepper pages: every step of a backward pass with its sentence "
          "and drawing (Previous / Next, or the arrow keys).\n\n" + steppers + "\n\n"
        "## Printing\n\nEvery page prints as a clean document (sidebars, buttons and navigation left out): use the "
        "download button at the top of a lesson and choose .pdf, or the browser's Print.\n"
    )


def build_site(output: Path = ROOT / "build" / "site") -> Path:
    """Stage the sources in build/site-src and run Sphinx into `output`; returns index.html."""
    from sphinx.cmd.build import build_main

    source = output.parent / "site-src"
    stage_site(source)
    status = build_main(["-b", "html", "-q", "-j", "auto", "-c", str(SITE_CONFIG), str(source), str(output)])
    if status:
        raise RuntimeError(f"course site: sphinx-build failed with status {status}")
    return output / "index.html"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nets.course", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("sync", help="rewrite the learners' Exercises sections from notebooks/solutions/")
    command.add_argument("numbers", nargs="*", help="two-digit notebook numbers (default: all)")
    command.add_argument("--no-run", action="store_true", help="do not execute (outputs are left empty)")
    site = commands.add_parser("site", help="build the course website into build/site")
    site.add_argument("--output", type=Path, default=ROOT / "build" / "site", help="the folder to build into")
    args = parser.parse_args(argv)
    if args.command == "site":
        print(f"built {build_site(args.output)}")
        return 0
    for path in sync(args.numbers, run=not args.no_run):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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

from autograd.i18n import N_, gettext as _, language

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
SITES = {"en": "", "zh": "zh/"}  # each language's series is a Sphinx project of its own, built into this folder
STEPPERS = [  # (file, title, what it shows): the saved Stepper pages the site links
    ("neuron.html", N_("The neuron of notebook 2"), N_("o = tanh(x1·w1 + x2·w2 + b), node by node")),
    ("used_twice.html", N_("A node used twice (notebook 2)"), N_("b = a·a + a: the gradients of both paths add up")),
    ("mlp.html", N_("A 2-3-1 MLP's loss (notebook 4)"), N_("every parameter of a small network, named by its place")),
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


def lessons(lang: str) -> list[Path]:
    """The notebooks of the series in `lang` (the Chinese ones in notebooks/zh/)."""
    folder = NOTEBOOKS if lang == "en" else NOTEBOOKS / lang
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def stage_site(source: Path, lang: str = "en") -> None:
    """The sources of the site in `lang` in `source`: its notebooks (widget state left out),
    the teacher's guide (English), the Stepper pages in the language, MathJax, and a
    generated index."""
    import nbformat

    from autograd import Stepper

    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for path in lessons(lang):
        notebook = nbformat.read(path, as_version=4)
        notebook.metadata.pop("widgets", None)  # its views need JavaScript from a CDN
        nbformat.write(notebook, source / path.name)
    if lang == "en":
        shutil.copy(NOTEBOOKS / "TEACHERS_GUIDE.md", source / "TEACHERS_GUIDE.md")
    import jupyter_server_mathjax

    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", source / "_mathjax" / "mathjax")
    shutil.copytree(SITE_CONFIG / "static", source / "_course")
    steppers = source / "_course" / "steppers"
    steppers.mkdir()
    graphs = stepper_graphs()
    with language(lang):
        for name, title, _what in STEPPERS:
            root, params = graphs[name]
            Stepper(root, params=params, lang=lang).save_html(steppers / name, title=_(title))
        (source / "index.md").write_text(index_page(lang), encoding="utf-8")
    if lang != "en":
        theme_catalogue(source, lang)


def index_page(lang: str) -> str:
    """The home page of the site in `lang` (the language in force): the lessons, the other
    languages' sites, the Stepper pages and how to print."""
    def toctree(caption: str, entries: list[str]) -> str:
        return "```{toctree}\n:maxdepth: 1\n:caption: " + caption + "\n\n" + "\n".join(entries) + "\n```\n"

    up = "../" * SITES[lang].count("/")  # from this site's folder to the English one's
    others = [(other, folder) for other, folder in SITES.items() if other != lang and lessons(other)]
    elsewhere = "".join(
        f"\n## {LANGUAGE_NAMES[other]}\n\n" + "\n".join(
            f'- <a href="{up}{folder}{path.stem}.html">{heading(path)}</a>' for path in lessons(other)) + "\n"
        for other, folder in others)
    steppers = "\n".join(f'- <a href="_static/steppers/{name}">{_(title)}</a>: {_(what)}' for name, title, what in STEPPERS)
    return (
        "# " + _("stepgrad: backprop, one node at a time") + "\n\n"
        + _("A course on backpropagation in fourteen notebooks, from a derivative measured as a slope to "
            "convolutional and recurrent networks, on stepgrad's scalar autograd engine. Each lesson ends with "
            "exercises whose answers the `check` cells compare with the engine. This site works offline: "
            "nothing on it loads from the network.") + "\n\n"
        + toctree(_("Lessons"), [path.stem for path in lessons(lang)])
        + (toctree(_("For teachers"), ["TEACHERS_GUIDE"]) if lang == "en" else "")
        + elsewhere
        + "\n## " + _("Step through backprop") + "\n\n"
        + _("Saved Stepper pages: every step of a backward pass with its sentence and drawing (Previous / Next, "
            "or the arrow keys).") + "\n\n" + steppers + "\n\n"
        + "## " + _("Printing") + "\n\n"
        + _("Every page prints as a clean document (sidebars, buttons and navigation left out): use the download "
            "button at the top of a lesson and choose .pdf, or the browser's Print.") + "\n"
    )


def heading(path: Path) -> str:
    """The title of a notebook: its first markdown heading."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.split("\n", 1)[0][2:].strip()
    return path.stem


# The theme's own words that its Chinese catalogue lacks (the colour switch's tooltips): ours, in Sphinx's domain
THEME_WORDS = (N_("Color mode"), N_("System Settings"))


def theme_catalogue(source: Path, lang: str) -> None:
    """`THEME_WORDS` in `lang`, from our catalogue, as a Sphinx message catalogue in the staged
    sources (`locale_dirs` in conf.py), which Sphinx consults after its own and before the theme's."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalogue = Catalog(locale=SPHINX_LANGUAGES[lang])
    with language(lang):
        for word in THEME_WORDS:
            catalogue.add(word, _(word))
    folder = source / "_locale" / SPHINX_LANGUAGES[lang] / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "sphinx.mo", "wb") as file:
        write_mo(file, catalogue)


LANGUAGE_NAMES = {"en": "English", "zh": "中文"}  # each in its own language, as a link to it is written
SPHINX_LANGUAGES = {"en": "en", "zh": "zh_CN"}  # Sphinx's and the theme's catalogues of their own words


def build_site(output: Path = ROOT / "build" / "site") -> Path:
    """Stage each language's sources in build/site-src[-LANG] and run Sphinx on each: English
    into `output`, Chinese into `output`/zh, with Sphinx's `language` set so the theme's own
    words (navigation, search, previous/next, print) are in it.  Returns index.html."""
    from sphinx.cmd.build import build_main

    for lang, folder in SITES.items():
        if not lessons(lang):
            continue
        source = output.parent / ("site-src" if lang == "en" else f"site-src-{lang}")
        stage_site(source, lang)
        with language(lang):
            words = {"html_title": _("stepgrad course"), "author": _("the stepgrad developers"),
                     "html_theme_options.search_bar_text": _("Search...")}  # the sidebar's title, the footer, the search box
        overrides = ["-D", f"language={SPHINX_LANGUAGES[lang]}", *(f"-D{name}={word}" for name, word in words.items())]
        status = build_main(["-b", "html", "-q", "-j", "auto", "-c", str(SITE_CONFIG), *overrides, str(source),
                             str(output / folder)])
        if status:
            raise RuntimeError(f"course site: sphinx-build of the {lang} site failed with status {status}")
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

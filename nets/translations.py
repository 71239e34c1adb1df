"""Keeping the translations in step with the English: `make translations`
(`python -m nets.translations`).

The English is the source of every text; each other language keeps two gettext catalogues,
maintained with Babel:

- `autograd/locale/<lang>/LC_MESSAGES/stepgrad.po`, the code's words: every `_()`, `N_()`
  and `ngettext()` in `autograd/` and `nets/` (Babel's extractor), the data sets'
  descriptions, and the texts of figures (titles, axis labels, legends, notes) in
  `nets/plot.py` and in the notebooks' code cells, which `nets.set_language` translates when
  a figure sets them (an f-string becomes a template: `f"class {c}"` is `class {0}`);
- `notebooks/<lang>/notebooks.po`, the notebooks' prose: each paragraph of each markdown cell.

A run updates both from the English (new texts are added untranslated, changed ones marked
fuzzy with their old translation as a start, gone ones dropped), then writes
`notebooks/<lang>/NN_*.ipynb`: the English notebook with its prose translated, the language
switch (`LANGUAGE_SWITCH`) added as the first code cell, and every code cell as it is.  A
notebook whose cells changed is executed, so its figures are redrawn in the language
(`--no-execute` leaves it unexecuted).  Then translate what `--todo` lists and run it again;
`tests/test_translations.py` fails until nothing is missing and every generated notebook is
what a run would write.
"""

from __future__ import annotations

import argparse
import ast
import copy
import io
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LANGUAGE_SWITCH = 'import nets; nets.set_language("{lang}")  # language switch: figures and steps in {lang}'
FIGURE_CALLS = {"set_title": 0, "set_xlabel": 0, "set_ylabel": 0, "suptitle": 0, "title": 0, "xlabel": 0,
                "ylabel": 0, "text": 2, "annotate": 0, "figtext": 2, "set_label": 0}  # method -> index of its text
FIGURE_KEYWORDS = {"label", "title", "xlabel", "ylabel", "loss_name", "validation_name"}
WORD = re.compile(r"[A-Za-z]{3,}")
MATH = re.compile(r"\$[^$]*\$")


# ---- what there is to translate ----


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def code_messages() -> Iterator[tuple[str | tuple[str, str], str]]:
    """(message, where) for every text of the code: marked messages (`_()`, `N_()`, `ngettext()`, and an
    error's `Message()`), data set descriptions, figure texts."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

    for package in ("autograd", "nets"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / package, [("**.py", "python")], keywords={**DEFAULT_KEYWORDS, "Message": None}):
            if message:  # a tuple for ngettext's singular and plural
                yield message, f"{package}/{filename}"
    from .datasets import DATASETS

    for dataset in DATASETS.values():
        yield dataset.about, "nets/datasets.py"
    yield from ((text, "nets/plot.py") for text in figure_texts((ROOT / "nets" / "plot.py").read_text()))
    for path in english_notebooks():
        code = [cell["source"] for cell in _cells(path) if cell["cell_type"] == "code"]
        yield from ((text, f"notebooks/{path.name}") for text in figure_texts(code, labels_in_variables=True))


def figure_texts(source: str | list[str], labels_in_variables: bool = False) -> Iterator[str]:
    """The texts a piece of code puts in a figure: `ax.set_title("...")`, `label="..."`, a
    `title="..."` default..., as catalogue messages (an f-string's fields as {0}, {1}...);
    formulas and single names left out.  With `labels_in_variables`, where a figure takes its
    text from a variable (`ax.set_title(name)`), every phrase of the code (a string with a
    space, not printed, not a docstring) is taken too: it may be the label that a variable or a
    plotting function's argument holds."""
    tree = ast.Module(body=[], type_ignores=[])  # the cells of a notebook, each parsed alone
    for cell in [source] if isinstance(source, str) else source:
        lines = [line for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]  # IPython magics
        try:
            tree.body += ast.parse("\n".join(lines)).body
        except SyntaxError:
            continue
    texts: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            texts += [k.value for k in node.keywords if k.arg in FIGURE_KEYWORDS]
            index = FIGURE_CALLS.get(node.func.attr) if isinstance(node.func, ast.Attribute) else None
            if index is not None and len(node.args) > index:
                texts.append(node.args[index])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args.args + node.args.kwonlyargs
            defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults + node.args.kw_defaults
            texts += [d for a, d in zip(arguments, defaults) if d is not None and a.arg in FIGURE_KEYWORDS]
    if labels_in_variables:
        texts += _phrases(tree)
    for text in [alternative for text in texts for alternative in _alternatives(text)]:
        message = _message(text)
        words = None if message is None else MATH.sub("", re.sub(r"\{\d+\}", " ", message))
        if words and (WORD.search(words) or "{0}" in message and re.search(r"[A-Za-z]{2}", words)):
            yield message  # words, or a template with a name in it: "lr = {0}: {1}"


def _alternatives(node: ast.expr) -> list[ast.expr]:
    """The texts an expression may give: both of `"one seed" if k == 0 else None`."""
    if isinstance(node, ast.IfExp):
        return [*_alternatives(node.body), *_alternatives(node.orelse)]
    return [node]


def _phrases(tree: ast.AST) -> list[ast.expr]:
    """The strings of `tree` with a space in them (an f-string's as a template), and the keys of
    dicts of named things (`{"frozen": ..., "fine-tuned": ...}`, drawn as tick labels), but not
    those printed, in docstrings, or given to matplotlib as a position (`loc="upper left"`)."""
    skip = {id(part) for node in ast.walk(tree) for part in _skipped_parts(node)}
    arguments = _argument_names(tree)
    keys = {id(key) for node in ast.walk(tree) if isinstance(node, ast.Dict) for key in node.keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value not in arguments}
    return [node for node in ast.walk(tree) if id(node) not in skip and (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and (" " in node.value.strip() or id(node) in keys)
        or isinstance(node, ast.JoinedStr) and " " in (_message(node) or "").strip())]


def _argument_names(tree: ast.AST) -> set[str]:
    """The names of arguments in `tree`, which a dict key may be (`{"dropout": 0.3}` for `**options`)
    rather than a label; and the dicts' own keys that are data, not words (`history["loss"]`)."""
    names = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
             for a in node.args + node.kwonlyargs + node.posonlyargs}
    names |= {k.arg for node in ast.walk(tree) if isinstance(node, ast.Call) for k in node.keywords if k.arg}
    return names


def _skipped_parts(node: ast.AST) -> Iterator[ast.AST]:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
        for arg in node.args:
            yield from ast.walk(arg)
    elif isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg in ("loc", "textcoords", "ha", "va", "cmap", "fmt"):
                yield from ast.walk(keyword.value)
    elif isinstance(node, ast.JoinedStr):
        yield from node.values  # its parts (the f-string itself is a template)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        yield node.value  # a docstring


def _message(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts, fields = [], 0
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append(f"{{{fields}}}")
                fields += 1
        return "".join(parts)
    return None


def paragraphs(markdown: str) -> list[str]:
    """A markdown cell as its blocks: paragraphs, headings, lists, tables, ``` code ``` and $$ math $$ blocks."""
    blocks: list[list[str]] = [[]]
    fence = None
    for line in markdown.split("\n"):
        stripped = line.strip()
        if fence is None and not stripped:
            blocks.append([])
            continue
        blocks[-1].append(line)
        if fence == "```" and stripped.startswith("```") or fence == "$$" and stripped.endswith("$$"):
            fence = None
        elif fence is None and stripped.startswith("```"):
            fence = "```"
        elif fence is None and stripped.startswith("$$") and not (len(stripped) > 2 and stripped.endswith("$$")):
            fence = "$$"
    return ["\n".join(block) for block in blocks if block]


def translatable(paragraph: str) -> bool:
    """Prose to translate: not a code block, not a formula alone."""
    if paragraph.lstrip().startswith("```"):
        return False
    return bool(WORD.search(MATH.sub("", paragraph.replace("$$", "$"))))


def notebook_messages() -> Iterator[tuple[str, str]]:
    for path in english_notebooks():
        for cell in _cells(path):
            if cell["cell_type"] == "markdown":
                for paragraph in paragraphs(cell["source"]):
                    if translatable(paragraph):
                        yield paragraph, f"notebooks/{path.name}"


def _cells(path: Path) -> list[dict]:
    import nbformat

    return nbformat.read(path, as_version=4).cells


# ---- the catalogues ----


def code_catalogue(lang: str) -> Path:
    from autograd.i18n import DOMAIN, LOCALE_DIR

    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def notebook_catalogue(lang: str) -> Path:
    return NOTEBOOKS / lang / "notebooks.po"


def template(messages: Iterable[tuple[str, str]], project: str):  # -> babel Catalog
    from babel.messages.catalog import Catalog

    catalogue = Catalog(project=project, version="", fuzzy=False)
    for message, where in messages:
        brace = "{" in (message if isinstance(message, str) else message[0])
        catalogue.add(message, locations=[(where, None)], flags=["python-brace-format"] if brace else [])
    return catalogue


def read(path: Path):  # -> babel Catalog
    from babel.messages.pofile import read_po

    with open(path, "rb") as file:
        return read_po(file)


def write(path: Path, catalogue) -> None:
    from babel.messages.pofile import write_po

    from autograd.files import write_atomically

    out = io.BytesIO()
    write_po(out, catalogue, width=100, include_lineno=False, ignore_obsolete=True, sort_by_file=False)
    write_atomically(path, out.getvalue().decode("utf-8"))


def update(path: Path, messages: Iterable[tuple[str, str]], project: str) -> list[str]:
    """Bring the catalogue at `path` in step with `messages`; returns the messages still to translate."""
    catalogue = read(path)
    new = template(messages, project)
    new.creation_date = catalogue.creation_date  # dates in the header would change the file on every run
    catalogue.update(new, update_header_comment=False)
    catalogue.project, catalogue.version, catalogue.revision_date = project, "", catalogue.creation_date
    catalogue.msgid_bugs_address, catalogue.last_translator = "stepgrad's issues", "stepgrad developers"
    write(path, catalogue)
    return todo(catalogue)


def todo(catalogue) -> list[str]:
    """The messages of a catalogue with no translation, or a fuzzy one (to check)."""
    return [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]


def translations_of(catalogue) -> dict[str, str]:
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


# ---- the translated notebooks ----


def translated_notebook(path: Path, lang: str, translations: dict[str, str]):  # -> NotebookNode
    """The English notebook at `path` in `lang`: prose translated (the English where a paragraph
    has no translation yet), the language switch before the first code cell, code as it is."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = []
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "markdown":
            cell.source = "\n\n".join(translations.get(p, p) if translatable(p) else p for p in paragraphs(cell.source))
        elif cell.cell_type == "code" and not any(c.cell_type == "code" for c in cells):
            cells.append(nbformat.v4.new_code_cell(LANGUAGE_SWITCH.format(lang=lang)))
        cells.append(cell)
    nb.cells = cells
    for i, cell in enumerate(nb.cells):
        cell.pop("id", None)
        cell["id"] = f"{lang}-{i}"
    nb.metadata["stepgrad"] = {"lang": lang, "translated_from": f"../{path.name}"}
    return nb


def sources(nb) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def generate(lang: str, execute: bool = True, only: Iterable[str] = (), rerun: bool = False) -> list[Path]:
    """Write `notebooks/<lang>/`: each English notebook in `lang`, its outputs kept where its cells
    are unchanged, else executed (or left without outputs); returns the notebooks rewritten."""
    import nbformat

    translations = translations_of(read(notebook_catalogue(lang)))
    written = []
    for path in english_notebooks():
        if only and not any(name in path.name for name in only):
            continue
        target = NOTEBOOKS / lang / path.name
        nb = translated_notebook(path, lang, translations)
        old = nbformat.read(target, as_version=4) if target.exists() else None
        executed = old is not None and all(c.execution_count for c in old.cells if c.cell_type == "code")
        if old is not None and sources(old) == sources(nb) and executed and not rerun:
            continue
        same_code = old is not None and [s for s in sources(old) if s[0] == "code"] == [s for s in sources(nb) if s[0] == "code"]
        if same_code and executed and not rerun:
            code = [cell for cell in old.cells if cell.cell_type == "code"]
            for cell, before in zip([cell for cell in nb.cells if cell.cell_type == "code"], code):
                cell.outputs, cell.execution_count = before.outputs, before.execution_count  # only prose changed
                if "execution" in before.metadata:  # the timings of the run that made those outputs
                    cell.metadata["execution"] = before.metadata["execution"]
        else:
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            if execute:
                print(f"executing {target.relative_to(ROOT)} ...", file=sys.stderr)
                run(nb, target.parent)
        from autograd.files import write_atomically

        write_atomically(target, nbformat.writes(nb) + "\n")
        written.append(target)
    return written


def run(nb, folder: Path) -> None:
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=600, kernel_name=NATIVE_KERNEL_NAME, resources={"metadata": {"path": str(folder)}}).execute()


def languages() -> list[str]:
    from autograd.i18n import SOURCE, languages

    return [lang for lang in languages() if lang != SOURCE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nets.translations", description=__doc__.split("\n\n")[0])
    parser.add_argument("--todo", action="store_true", help="only list what is still to translate")
    parser.add_argument("--no-execute", action="store_true", help="do not execute the notebooks that changed")
    parser.add_argument("--rerun", action="store_true", help="execute the notebooks even where nothing changed")
    parser.add_argument("notebooks", nargs="*", help="regenerate only the notebooks whose names contain these")
    args = parser.parse_args(argv)
    missing = 0
    for lang in languages():
        pairs = [(code_catalogue(lang), list(code_messages()), "stepgrad")]
        if notebook_catalogue(lang).exists():
            pairs.append((notebook_catalogue(lang), list(notebook_messages()), "stepgrad notebooks"))
        for path, messages, project in pairs:
            left = todo(read(path)) if args.todo else update(path, messages, project)
            missing += len(left)
            print(f"{path.relative_to(ROOT)}: {len(left)} to translate (empty or fuzzy)")
            for message in left if args.todo else ():
                print("  " + message.replace("\n", "\n  ")[:300])
        if notebook_catalogue(lang).exists() and not args.todo:
            for path in generate(lang, execute=not args.no_execute, only=args.notebooks, rerun=args.rerun):
                print(f"wrote {path.relative_to(ROOT)}")
    return 1 if missing and args.todo else 0


if __name__ == "__main__":
    sys.exit(main())

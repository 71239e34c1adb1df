"""The language switch of the notebooks: `nets.set_language("zh")`.

It makes everything after it speak the language: the Stepper's sentences and pages and the
engine's other words (`autograd.i18n.set_language`), and matplotlib's figures, whose titles,
axis labels, legends and notes are translated through the catalogue as they are set, and
drawn with a CJK font (Debian's fonts-wqy-microhei, which the Makefile installs) where
DejaVu Sans has no glyph.  The Chinese notebooks (`notebooks/zh/`) are the English ones with
this one cell added, so their code cells stay the English notebooks' code cells.

A figure text is translated when the catalogue has it: either as it is, or as a template
whose `{0}`, `{1}`... stand for the parts the code fills in (`"class {0}"` matches
`"class 1"`, and the translation `"第 {0} 类"` gets the same parts, each translated where the
catalogue has it).  Mathematics (`$...$`),
numbers and names are left as they are.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Callable, Iterator

from autograd import i18n

_original_set_text: Callable[..., Any] | None = None
_figures_speak = i18n.SOURCE  # the language _figures_in last chose


def set_language(lang: str | None) -> str:
    """Speak `lang` from here on (None: the environment's language); returns the language in force."""
    i18n.set_language(lang)
    chosen = i18n.current()
    _figures_in(chosen)
    return chosen


@contextmanager
def figures_in(lang: str | None = None) -> Iterator[None]:
    """Within the block, matplotlib's figures speak `lang` (default: the language in force), as
    after `set_language`; then as before.  For `stepgrad train --plots` and `demo`."""
    before = _figures_speak
    _figures_in(i18n.current() if lang is None else i18n.check_language(lang))
    try:
        yield
    finally:
        _figures_in(before)


def figure_text(text: str, lang: str | None = None) -> str:
    """`text` of a figure, translated into `lang` (default: the language in force) where the
    catalogue has it, as it is or as a template; otherwise unchanged."""
    lang = i18n.current() if lang is None else i18n.check_language(lang)
    if lang == i18n.SOURCE or not text.strip():
        return text
    translated = _line(text, lang)
    if translated == text and "\n" in text:  # a note of several lines: line by line
        translated = "\n".join(_line(line, lang) for line in text.split("\n"))
    return translated


def _line(text: str, lang: str) -> str:
    exact = _exact(lang)
    if text in exact:
        return exact[text]
    for pattern, translation in _templates(lang):
        match = pattern.fullmatch(text)
        if match:  # the parts filled in may be texts of the catalogue too: "model (MSE 0.01)"
            return translation.format(*(_part(part, lang) for part in match.groups()))
    return text


def _part(text: str, lang: str) -> str:
    """A part of a template's match, translated as it is or without the spaces around it."""
    translated = _line(text, lang)
    if translated == text and text.strip() != text:
        stripped = _line(text.strip(), lang)
        return text if stripped == text.strip() else stripped
    return translated


@lru_cache(maxsize=None)
def _exact(lang: str) -> dict[str, str]:
    return {message: translated for message, translated in _messages(lang) if "{0}" not in message}


@lru_cache(maxsize=None)
def _templates(lang: str) -> list[tuple[re.Pattern[str], str]]:
    """Each template message as a pattern: its literal parts, and `(.+?)` for each `{n}`, in order."""
    templates = []
    for message, translated in _messages(lang):
        if "{0}" in message:
            parts = re.split(r"\{(\d+)\}", message)
            pattern = "".join(re.escape(part) if i % 2 == 0 else "(.+?)" for i, part in enumerate(parts))
            templates.append((re.compile(pattern, re.DOTALL), translated))
    return templates


def _messages(lang: str) -> list[tuple[str, str]]:
    """The catalogue's translated messages (read from the .po: gettext's compiled form cannot be listed)."""
    from babel.messages.pofile import read_po

    path = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with open(path, "rb") as file:
        catalogue = read_po(file)
    return [(m.id, m.string) for m in catalogue if m.id and isinstance(m.id, str) and m.string and not m.fuzzy]


def _figures_in(lang: str) -> None:
    """matplotlib: translate every text as it is set, and fall back to a CJK font (or undo both for English)."""
    global _original_set_text, _figures_speak
    _figures_speak = lang
    import matplotlib
    from matplotlib.text import Text

    if _original_set_text is None:
        _original_set_text = Text.set_text
    original = _original_set_text
    if lang == i18n.SOURCE:
        Text.set_text = original  # type: ignore[method-assign]
        matplotlib.rcParams["font.family"] = matplotlib.rcParamsDefault["font.family"]
        return

    def set_text(self: Text, s: Any) -> None:
        original(self, figure_text(s, lang) if isinstance(s, str) else s)

    Text.set_text = set_text  # type: ignore[method-assign]
    # The CJK font first: a text with formulas in it ($...$) is drawn by mathtext, whose words
    # come from the first font alone; plain texts fall back glyph by glyph along the list.
    matplotlib.rcParams["font.family"] = [*_cjk_fonts(), *matplotlib.rcParamsDefault["font.sans-serif"][:1]]


def _cjk_fonts() -> list[str]:
    """The CJK fonts matplotlib has, of `i18n.CJK_FONTS`.  Its font list is cached, and a font
    installed after the cache was made is not in it until added (or the cache is deleted)."""
    from matplotlib import font_manager

    def known() -> list[str]:
        names = {font.name for font in font_manager.fontManager.ttflist}
        return [name for name in i18n.CJK_FONTS if name in names]

    if known():
        return known()
    for path in font_manager.findSystemFonts():
        if re.search(r"wqy|notosanscjk|sourcehansans", path.lower()):
            font_manager.fontManager.addfont(path)
    if not known():
        import warnings

        warnings.warn("no CJK font found, so Chinese text in figures shows as empty boxes: "
                      "install one with `make fonts` (sudo apt-get install fonts-wqy-microhei)", stacklevel=3)
    return known()

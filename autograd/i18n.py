"""Languages: the words a learner reads (step sentences, the saved page, `stepgrad explain`
and `train`, figure labels), in English or in a translation.

The English text in the code is the source and the fallback.  Each other language is one
gettext catalogue, `autograd/locale/<lang>/LC_MESSAGES/stepgrad.po`, maintained with Babel
(`make translations` extracts and updates it, see the README) and compiled to `stepgrad.mo`
by `make`.  Adding a language is adding one catalogue.

The language in force is chosen, first to last, by: `with language("zh"):` or a `lang=`
argument (which does the same), `set_language("zh")`, the environment variable
`STEPGRAD_LANG`, then the locale variables `LANGUAGE`, `LC_ALL`, `LC_MESSAGES` and `LANG`
(`zh_CN.UTF-8` means `zh`); a language with no catalogue falls back to English.  Formulas,
names and numbers are never translated, only the words around them.  Error messages are
`autograd.value.Message`s: English when raised, translated here when shown.
"""

from __future__ import annotations

import contextvars
import io
import os
import unicodedata
from contextlib import contextmanager
from functools import lru_cache, wraps
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

DOMAIN = "stepgrad"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE = "en"  # the language the code is written in
ENVIRONMENT = ("STEPGRAD_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC")  # Debian: fonts-wqy-microhei

T = TypeVar("T")
_chosen: str | None = None  # set_language's choice
_active: contextvars.ContextVar[str | None] = contextvars.ContextVar("stepgrad_language", default=None)


def languages() -> tuple[str, ...]:
    """The languages there is a catalogue for, English first: `('en', 'zh')`."""
    found = sorted(path.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
                   for path in [path.parent.parent])
    return (SOURCE, *found)


def normalise(lang: str) -> str:
    """`zh_CN.UTF-8`, `zh-Hans` or `ZH` -> `zh`: the language part of a locale name, lower case."""
    return lang.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()


def check_language(lang: str) -> str:
    """`lang` normalised, or a ValueError naming it and the languages there are."""
    if not isinstance(lang, str) or normalise(lang) not in languages():
        raise ValueError(f"unknown language {lang!r}: choose one of {', '.join(languages())}")
    return normalise(lang)


def default_language() -> str:
    """The language when none is given: `set_language`'s, else the environment's, else English."""
    if _chosen is not None:
        return _chosen
    for variable in ENVIRONMENT:
        for wanted in os.environ.get(variable, "").split(":"):  # LANGUAGE may list several: zh_CN:en
            if wanted and normalise(wanted) not in ("c", "posix"):
                lang = normalise(wanted)
                return lang if lang in languages() else SOURCE
    return SOURCE


def set_language(lang: str | None) -> None:
    """Make `lang` the default for everything that takes `lang=` (None: the environment's again)."""
    global _chosen
    _chosen = None if lang is None else check_language(lang)


def current() -> str:
    """The language in force here: the innermost `with language(...)`, else the default."""
    return _active.get() or default_language()


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """`with language("zh"):` everything inside speaks Chinese (None: the language in force)."""
    chosen = current() if lang is None else check_language(lang)
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang`: its compiled `.mo`, or, where that is missing or older than
    its `.po` (an edited catalogue, or an install without `make`), the `.po` compiled in
    memory with Babel, so an edit is never silently ignored."""
    if lang == SOURCE:
        return NullTranslations()
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with open(mo, "rb") as file:
            return GNUTranslations(file)
    return GNUTranslations(io.BytesIO(compile_catalogue(po)))


def compile_catalogue(po: Path) -> bytes:
    """A `.po` file as the bytes of its `.mo` (Babel's compiler; fuzzy entries left out, as `msgfmt` does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po, "rb") as file:
        catalogue = read_po(file)
    out = io.BytesIO()
    write_mo(out, catalogue)
    return out.getvalue()


def gettext(message: str) -> str:
    """`message` in the language in force (the English where the catalogue has none).
    Modules import it as `_`, gettext's usual name, which Babel's extractor looks for."""
    return translations(current()).gettext(message)



def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message, in the language in force, for the number `n`."""
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it yet (translate it where it is shown)."""
    return message



def speaking(method: Callable[..., T]) -> Callable[..., T]:
    """Decorator for a method of an object with a `lang` attribute: the method runs in that
    language (None: the one in force), so every text it makes is in it."""

    @wraps(method)
    def in_its_language(self: Any, *args: Any, **kwargs: Any) -> T:
        with language(self.lang):
            return method(self, *args, **kwargs)

    return in_its_language


def pad(text: str, width: int, right: bool = False) -> str:
    """`text` padded to `width` columns of a terminal, where a Chinese character takes two
    (`f"{text:<10}"` counts characters, so a Chinese heading would push its columns out)."""
    spaces = " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))
    return spaces + text if right else text + spaces


def font(latin: str) -> str:
    """A Graphviz `fontname` for text in the language in force: `latin`, then a CJK font for
    the characters it lacks (Graphviz's text layout falls back along the list)."""
    return latin if current() == SOURCE else ",".join((latin, *CJK_FONTS[:1]))

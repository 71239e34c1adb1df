"""Sphinx configuration of the course website (`make site`; sources staged by `python -m nets.course site`).

Sphinx with MyST-NB renders each notebook with its committed outputs (nothing is executed),
sphinx-book-theme gives the book layout, a print stylesheet and the print button, and
Sphinx's own search index works offline. Nothing may load from the network: MathJax is
served from the site itself, and widget JavaScript (which comes from a CDN) is left out; the
Stepper's outputs fall back to their static HTML, and its saved pages are linked instead.
"""

project = "stepgrad: backprop, one node at a time"
author = "the stepgrad developers"
copyright = "the stepgrad developers"  # noqa: A001 - Sphinx's name for it

extensions = ["myst_nb"]
myst_enable_extensions = ["dollarmath", "amsmath"]
nb_execution_mode = "off"  # the committed outputs, as the test-suite checks them
nb_ipywidgets_js = {}  # no require.js or widget manager from a CDN
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None),
                              ("html", "application/vnd.jupyter.widget-state+json", None)]
exclude_patterns = ["_build", "_mathjax", "_course", "_locale", "**.ipynb_checkpoints"]
# `language` is set for each site by `python -m nets.course site` (zh_CN for the Chinese one), so the
# theme's navigation, search and print labels are in it; _locale adds the words its catalogues lack
locale_dirs = ["_locale"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# MathJax 2 from the jupyter-server-mathjax package, and the course's CSS and Stepper pages:
# staged beside the sources (see setup below), served from _static
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {
    # that package ships the STIX-Web fonts only
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None,
                 # MathJax measures with a blank font at url('about:blank'), which Chromium logs as a CORS error
                 "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": "local('MathJax_Blank')"}}},
    "showMathMenu": False,
    # its hidden MathML copies ask for TeX fonts the package does not ship
    "menuSettings": {"assistiveMML": False}, "AssistiveMML": {"disabled": True},
    # MyST-NB marks a notebook's page tex2jax_ignore and its math spans "math", as MathJax 3 expects
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True,
                "processClass": "math", "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
}
html_favicon = "static/favicon.ico"
html_extra_path = ["static/favicon.ico"]  # at the root too: pages without a favicon link (the Stepper pages) ask for /favicon.ico
html_css_files = ["course.css"]

html_theme = "sphinx_book_theme"
html_title = "stepgrad course"
html_show_sphinx = False
html_show_copyright = False
html_last_updated_fmt = None
html_theme_options = {
    "use_download_button": True,  # .ipynb, and .pdf through the browser's print dialog
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": [],
    "footer_center": [],
    "footer_end": [],
    "extra_footer": "",
}


def setup(app):
    """Static files come from the staged sources' folders (html_static_path is relative to this file's)."""
    from pathlib import Path

    def static_from_sources(app, config):
        config.html_static_path = [str(Path(app.srcdir) / folder) for folder in ("_mathjax", "_course")]

    app.connect("config-inited", static_from_sources)

    from sphinx import search
    from sphinx.search.zh import SearchChinese

    class ChineseSearch(SearchChinese):
        """Chinese split with jieba, Latin words stemmed as English: Sphinx 9.0 loads English's
        stemmer for it but names a `ChineseStemmer` in language_data.js that it never defines
        (a console error on every page, and no search)."""

        language_name = "English"

    search.languages["zh"] = ChineseSearch

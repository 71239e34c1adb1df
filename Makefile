# Set-up is part of every target: a fresh Debian/Ubuntu machine needs only python3 and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.installed
DOT ?= dot
APT := DEBIAN_FRONTEND=noninteractive apt-get
# Every pip install takes the versions the suite was last run with (README: "Versions");
# `make constraints` moves them to the newest, on purpose.
CONSTRAINTS := .ci/constraints.txt
PIP := $(PY) -m pip install --quiet --constraint $(CONSTRAINTS)
# The suite runs on every core (pytest-xdist); tests that share one server or one build are kept
# on one worker by their xdist_group mark. PYTEST_WORKERS=0 runs it in this process.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

.PHONY: demo test quick bench notebooks site site-tools dot fonts catalogues translations browser clean

demo: $(READY) dot fonts catalogues
	$(VENV)/bin/stepgrad demo

test: $(READY) dot fonts catalogues browser site-tools
	$(PYTEST)

# For developers between edits: everything but the tests marked slow (`make test` and CI run all).
quick: $(READY) dot fonts catalogues
	$(PYTEST) -m "not slow"

bench: $(READY)
	$(PIP) -e '.[bench]'
	$(PY) -m benchmarks

notebooks: $(READY) dot fonts catalogues
	$(PIP) -e '.[notebooks]'
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# The course website: every notebook as a page, the Stepper pages, the teacher's guide, search and a
# print view, offline, in build/site (open build/site/index.html). Sphinx + MyST-NB (the `site` extra).
site: $(READY) dot site-tools
	$(PY) -m nets.course site

site-tools: $(READY)
	@$(PY) -c "import sphinx, myst_nb, sphinx_book_theme, jupyter_server_mathjax, jieba" 2>/dev/null || $(PIP) -e '.[site]'

# The virtual environment, with the project installed editable and its dev extra.
$(READY): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -m venv $(VENV) >/dev/null 2>&1 && [ -x $(VENV)/bin/pip ] || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "python3-venv is missing; installing it with apt-get"; \
	    $(APT) update -qq && $(APT) install -y -qq python3-venv >/dev/null && $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "error: '$(PYTHON) -m venv' does not work here; run: sudo apt-get install python3-venv"; exit 1; \
	  fi; }
	$(PIP) --upgrade pip
	$(PIP) -e '.[dev]'
	@touch $(READY)

# Graphviz's `dot` renders the drawings; the Python package only writes DOT source.
dot:
	@command -v $(DOT) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Graphviz's dot is missing; installing it with apt-get"; \
	    $(APT) update -qq && $(APT) install -y -qq graphviz >/dev/null; \
	  else \
	    echo "error: Graphviz's 'dot' is missing; run: sudo apt-get install graphviz"; exit 1; \
	  fi; }

# Chinese in figures, drawings and pages needs a CJK font: Debian's WenQuanYi Micro Hei, which
# autograd.i18n.CJK_FONTS names for matplotlib, Graphviz and the saved pages.
fonts:
	@fc-list 2>/dev/null | grep -q "WenQuanYi Micro Hei" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "The CJK font is missing; installing fonts-wqy-microhei with apt-get"; \
	    $(APT) update -qq && $(APT) install -y -qq fonts-wqy-microhei fontconfig >/dev/null; \
	  else \
	    echo "error: the CJK font is missing; run: sudo apt-get install fonts-wqy-microhei"; exit 1; \
	  fi; }

# The translation catalogues (autograd/locale/<lang>/LC_MESSAGES/stepgrad.po), compiled for gettext.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard autograd/locale/*/LC_MESSAGES/*.po))
catalogues: $(CATALOGUES)
%.mo: %.po $(READY)
	@$(VENV)/bin/pybabel -q compile -i $< -o $@

# For developers after changing English text: bring the catalogues and notebooks/zh/ in step
# (new text is added untranslated; translate it, then run this again). See nets/translations.py.
translations: $(READY) fonts
	$(PY) -m nets.translations

# The browser test drives JupyterLab and the --html page in headless Chromium: Debian's
# chromium and chromium-driver (nothing is downloaded when the test runs), and the Python side
# from the `browser` extra (selenium, jupyterlab).
browser: $(READY)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Chromium or its driver is missing; installing them with apt-get"; \
	    $(APT) update -qq && $(APT) install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "error: Chromium is missing; run: sudo apt-get install chromium chromium-driver"; exit 1; \
	  fi; }
	@[ $(VENV)/.browser -nt $(READY) ] || { $(PIP) -e '.[browser]' && touch $(VENV)/.browser; }

# The newest versions of every extra, resolved in a scratch environment, become the constraints;
# then run `make test` and commit .ci/constraints.txt with what had to change.
constraints:
	set -e; scratch=$$(mktemp -d); \
	$(PYTHON) -m venv $$scratch; \
	$$scratch/bin/python -m pip install --quiet --upgrade pip; \
	$$scratch/bin/python -m pip install --quiet '.[dev,browser,notebooks,widgets,bench,site]'; \
	{ echo "# pip constraints for every install of the Makefile (README: Versions); written by make constraints"; \
	  echo "# on $$(date -u +%Y-%m-%d), $$($$scratch/bin/python -V)"; \
	  $$scratch/bin/python -m pip freeze | grep -v -i '^stepgrad[ =@]'; } > $(CONSTRAINTS).tmp; \
	mv $(CONSTRAINTS).tmp $(CONSTRAINTS); rm -rf $$scratch

clean:
	rm -rf $(VENV) stepgrad-demo .pytest_cache .hypothesis

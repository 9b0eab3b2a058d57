# Two commands for readers: `make book` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD_FLAGS := -W -n --keep-going
export JUPYTER_PREFER_ENV_PATH := 1

# The browser test drives the system's Chromium (Debian package `chromium`).
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || echo /usr/bin/chromium)

.PHONY: help setup book test lint unit notebooks site pdf bundle browser chromium lab bench clean

help:
	@echo "make book   build the HTML book, the course bundle, the wheel and the PDF into _build/html"
	@echo "make test   lint, unit tests, notebooks (nbval), a strict build of the book, browser test of the site"
	@echo "make lint   ruff: lint and format check of the package, tests and notebooks"
	@echo "make pdf    print the built site into one PDF (_build/html/mmcl-book.pdf) and check it"
	@echo "make lab    JupyterLab on the book, with the project's environment"
	@echo "make bench  speed benchmarks"
	@echo "make clean  remove build output and caches"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

book: setup chromium
	$(BIN)/jupyter-book build .
	CHROMIUM=$(CHROMIUM) $(BIN)/python book/_ext/print_pdf.py _build/html
	@echo "Open file://$(CURDIR)/_build/html/index.html"

lint: setup
	$(BIN)/ruff check mmcl tests book
	$(BIN)/ruff format --check mmcl tests book

unit: setup
	$(BIN)/python -m pytest -q tests mmcl

notebooks: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env book

site: setup
	$(BIN)/jupyter-book build . $(BUILD_FLAGS)

# The PDF of the whole book: the built site printed by headless Chromium, then checked.
pdf: site chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python book/_ext/print_pdf.py _build/html
	$(BIN)/python tests/check_pdf.py _build/html/mmcl-book.pdf

# The course bundle and the wheel, installed into a fresh environment and run there.
bundle: site
	$(BIN)/python tests/check_bundle.py _build/html

# Installs Chromium with apt-get where it can (root, as on CI); otherwise says how.
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Chromium for the browser test (apt-get install chromium) ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "The browser test needs Chromium. Install it, e.g. 'sudo apt-get install chromium'"; \
	  echo "(Debian/Ubuntu), or point CHROMIUM=/path/to/chromium at an installed one."; \
	  exit 1; \
	fi

# Opens every page of the built site in headless Chromium (tests/browser_check.py).
browser: site chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python tests/browser_check.py _build/html

# Independent steps run two at a time (2 cores): the Python and Chromium installs,
# then the notebook tests next to the strict build of the site.
test:
	$(MAKE) -j2 setup chromium
	$(MAKE) lint unit
	$(MAKE) -j2 notebooks site
	$(MAKE) pdf browser bundle

lab: setup
	$(BIN)/jupyter lab book

bench: setup
	$(BIN)/python tests/benchmarks.py

clean:
	rm -rf _build .pytest_cache .hypothesis book/_generated
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

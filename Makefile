# Two commands for readers: `make book` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD_FLAGS := -W -n --keep-going
export JUPYTER_PREFER_ENV_PATH := 1

.PHONY: help setup book test unit notebooks site lab bench clean

help:
	@echo "make book   build the HTML book into _build/html"
	@echo "make test   unit tests, notebooks (nbval) and a strict build of the book"
	@echo "make lab    JupyterLab on the book, with the project's environment"
	@echo "make bench  speed benchmarks"
	@echo "make clean  remove build output and caches"

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

book: setup
	$(BIN)/jupyter-book build .
	@echo "Open file://$(CURDIR)/_build/html/index.html"

unit: setup
	$(BIN)/python -m pytest -q tests mmcl

notebooks: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env book

site: setup
	$(BIN)/jupyter-book build . $(BUILD_FLAGS)

test: unit notebooks site

lab: setup
	$(BIN)/jupyter lab book

bench: setup
	$(BIN)/python tests/benchmarks.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
	find . -name .ipynb_checkpoints -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

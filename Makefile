# Every target sets up what it needs: a fresh clone needs only Python 3.10+, Node.js/npm and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KATEX := docs/assets/vendor/katex
PAGE ?=
# Material prints an end-of-life banner on every build; the plan (Zensical) is recorded in
# docs/contributing/architecture.md.
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help setup serve build test lint format snippets bench lighthouse lock clean new-page notebooks

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@echo "==> setting up $(VENV) (locked versions from requirements.lock)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(KATEX)/.installed: package.json package-lock.json
	@echo "==> installing KaTeX (served from the site itself)"
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(KATEX) && mkdir -p $(KATEX)
	cp -r node_modules/katex/dist/katex.min.css node_modules/katex/dist/fonts $(KATEX)/
	touch $@

setup: $(STAMP) $(KATEX)/.installed ## create .venv and install the locked versions

serve: setup ## run the snippets, build and serve the site at http://127.0.0.1:8000
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

build: setup ## build the site into site/ (DLCV_SNIPPET_CACHE=off runs every snippet afresh)
	$(BIN)/mkdocs build --strict

snippets: setup ## run snippets afresh: all, or PAGE=section/page's, then rebuild that page alone
ifeq ($(strip $(PAGE)),)
	$(BIN)/python -m sitetools.snippets run --fresh
else
	$(BIN)/python -m sitetools.preview "$(PAGE)"
endif

notebooks: setup ## regenerate docs/<section>/walkthrough.ipynb from walkthrough.py
	$(BIN)/python -m sitetools.notebooks sync

new-page: setup ## start a page: SECTION=fundamentals TITLE="Batch normalization"
	$(BIN)/python -m sitetools.scaffold "$$SECTION" "$$TITLE"

lint: setup ## ruff, mypy, codespell, zizmor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/codespell
	$(BIN)/zizmor --offline --no-progress .github

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup ## everything CI checks: lint, every snippet, unit tests, code blocks, strict site build
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m sitetools.snippets run --fresh
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadgroup

bench: setup ## the benchmarks the pages quote: device table, dlcv vs NumPy, train vs fit, streaming, JPEG folders
	$(BIN)/python -m dlcv.bench
	$(BIN)/python benchmarks/bench_vs_numpy.py
	$(BIN)/python benchmarks/train_vs_fit.py
	$(BIN)/python benchmarks/streaming_vs_memory.py
	$(BIN)/python benchmarks/folder_pipeline.py

lighthouse: setup ## build the site, then Lighthouse scores of three pages (needs Chromium)
	$(BIN)/python benchmarks/lighthouse.py --build

lock: ## re-resolve requirements.lock from pyproject.toml (needs network)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra docs --extra test --universal \
		--python-version 3.10 --no-header -o requirements.lock

clean: ## remove build outputs and caches (keeps .venv)
	rm -rf site .cache .pytest_cache .mypy_cache .ruff_cache node_modules $(KATEX)

# Every target sets up what it needs: a fresh clone needs only a supported Python, Node.js/npm
# and make. Choose another interpreter with PYTHON, e.g. `make test PYTHON=python3.12`.
PYTHON ?= python3
# The Pythons on which every package that shapes a page resolves to one version of the lock;
# pyproject.toml's requires-python says the same (tests/site/test_environment.py checks it).
SUPPORTED_PYTHONS := 3.11 3.12 3.13
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)
KATEX := docs/assets/vendor/katex
PAGE ?=
# FRESH=1: make test and make build run every snippet afresh, cache or not (publishing, canary).
FRESH ?=
# RUNTIME_LOG=1: make snippets also prints the log lines TensorFlow's C++ runtime wrote.
RUNTIME_LOG ?=
SHOW_LOG := $(if $(strip $(RUNTIME_LOG)),--show-runtime-log)
# The snippets run before the site generator, which only reads their results (sitetools/mdext.py):
# as a reader runs them, with dlcv installed from its wheel (sitetools/reader_env.py). The runner
# also honours DLCV_SNIPPET_CACHE=off.
RUN_SNIPPETS = READER_PYTHON="$$($(BIN)/python -m sitetools.reader_env)" && \
	$(BIN)/python -m sitetools.snippets run $(if $(strip $(FRESH)),--fresh) --python "$$READER_PYTHON"
# The walkthrough notebooks run beside the snippets at the lowest priority, filling the cores the
# snippets leave idle (a pass ends with one long snippet on one core); the site build then finds
# them executed instead of running them itself. Their failure stops the target here.
RUN_SNIPPETS_AND_NOTEBOOKS = nice -n 19 $(BIN)/python -m sitetools.notebooks run & notebooks=$$!; \
	$(RUN_SNIPPETS); snippets=$$?; \
	wait $$notebooks || { echo "error: a walkthrough notebook failed (above)" >&2; exit 1; }; \
	exit $$snippets
# `python -m` puts the repository on sys.path: mkdocs.yml names the extension sitetools.mdext.
MKDOCS := $(BIN)/python -m mkdocs
# Material prints an end-of-life banner on every build; docs/contributing/architecture.md records
# the plan (Zensical).
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help check-python device-check setup serve build test lint lint-quick format snippets bench lighthouse lock clean new-page notebooks

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check-python: # refuse an unsupported (or missing) interpreter before anything is installed
ifeq ($(filter $(PYTHON_VERSION),$(SUPPORTED_PYTHONS)),)
	@echo "error: PYTHON=$(PYTHON) is $(if $(PYTHON_VERSION),Python $(PYTHON_VERSION),not a working Python);" \
		"dlcv supports Python $(SUPPORTED_PYTHONS)." >&2
	@echo "       Choose one with PYTHON, e.g. 'make test PYTHON=python3.12' (pyenv, uv python" \
		"install, or your system's package)." >&2
	@exit 2
endif

$(STAMP): requirements.lock pyproject.toml | check-python
	@echo "==> setting up $(VENV) with Python $(PYTHON_VERSION) (locked versions from requirements.lock)"
	@# A .venv made by another Python is rebuilt: the lock is the same, the interpreter is not.
	if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYTHON_VERSION)" ]; then \
		rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# uv when it installs (in parallel: about 30 s instead of pip's 80 s on 2 cores), else pip.
	$(BIN)/python -m sitetools.locked_install --lock requirements.lock --project .
	rm -f $(VENV)/.installed*
	touch $@

$(KATEX)/.installed: package.json package-lock.json
	@echo "==> installing KaTeX (served from the site itself)"
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(KATEX) && mkdir -p $(KATEX)
	cp -r node_modules/katex/dist/katex.min.css node_modules/katex/dist/fonts $(KATEX)/
	touch $@

setup: $(STAMP) $(KATEX)/.installed ## create .venv and install the locked versions

serve: setup ## serve the site at http://127.0.0.1:8000 at once; pages fill in as their snippets run
	@# The runner works in the background, saving each result to .cache/snippets; the hooks show
	@# "Running…" until a snippet's result is there, and each saved result rebuilds the site.
	@# They run as make test runs them, with dlcv from its wheel (sitetools/reader_env.py). The
	@# walkthrough notebooks run beside them, at a lower priority still, and are shown without
	@# outputs until then. The background work is niced, so rebuilding and serving stay quick.
	@{ reader="$$($(BIN)/python -m sitetools.reader_env)" && \
		exec nice -n 10 $(BIN)/python -m sitetools.snippets run --shortest-first --python "$$reader"; } & \
	runner=$$!; nice -n 15 $(BIN)/python -m sitetools.notebooks run & notebooks=$$!; \
	trap 'kill $$runner $$notebooks 2>/dev/null; wait $$runner $$notebooks 2>/dev/null' EXIT INT TERM; \
	DLCV_PLACEHOLDERS=1 $(MKDOCS) serve --strict --dev-addr 127.0.0.1:8000

build: setup ## run the snippets (those not cached; FRESH=1 or DLCV_SNIPPET_CACHE=off: all), then build the site into site/
	$(RUN_SNIPPETS_AND_NOTEBOOKS)
	$(MKDOCS) build --strict

snippets: setup ## run snippets afresh: all, or PAGE=section/page's, then rebuild that page alone (RUNTIME_LOG=1 shows TF's log)
ifeq ($(strip $(PAGE)),)
	$(BIN)/python -m sitetools.snippets run --fresh $(SHOW_LOG)
else
	$(BIN)/python -m sitetools.preview "$(PAGE)" $(SHOW_LOG)
endif

notebooks: setup ## regenerate docs/<section>/walkthrough.ipynb and the page notebooks in notebooks/
	$(BIN)/python -m sitetools.notebooks sync
	$(BIN)/python -m sitetools.page_notebooks sync

new-page: setup ## start a page: SECTION=fundamentals TITLE="Batch normalization"
	$(BIN)/python -m sitetools.scaffold "$$SECTION" "$$TITLE"

lint: lint-quick ## ruff, mypy, codespell, zizmor
	$(BIN)/mypy

lint-quick: setup # the linters that take a second or two: all but mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/codespell
	$(BIN)/zizmor --offline --no-progress .github

format: setup ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: setup ## everything CI checks: lint, the snippets (those not cached), unit tests, code blocks, strict site build
	$(MAKE) --no-print-directory lint-quick
	@# The snippets run as a reader runs them, with dlcv installed from its wheel
	@# (sitetools/reader_env.py). A result is reused only while the snippet, the dlcv modules it
	@# loads, the lock, the runner and Python are unchanged; a fresh clone has no cache, so every
	@# snippet runs (FRESH=1 runs them all anyway).
	@# mypy keeps one core busy for about 15 s: it runs beside the snippet pass, which fills the
	@# other, and what it says is shown when the pass ends.
	@mypy_log="$$(mktemp)"; trap 'rm -f "$$mypy_log"' EXIT; \
	$(BIN)/mypy >"$$mypy_log" 2>&1 & mypy=$$!; \
	( $(RUN_SNIPPETS_AND_NOTEBOOKS) ); pass=$$?; \
	wait $$mypy; typed=$$?; echo "$(BIN)/mypy"; cat "$$mypy_log"; \
	if [ $$typed -ne 0 ]; then echo "error: mypy found errors (above)" >&2; exit 1; fi; \
	exit $$pass
	@# loadfile: each test file in one worker, so its module-scoped fixtures are made once.
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder --durations=20

bench: setup ## the benchmarks the pages quote: device table, dlcv vs NumPy, train vs fit, streaming, JPEG folders
	$(BIN)/python -m dlcv.bench
	$(BIN)/python benchmarks/bench_vs_numpy.py
	$(BIN)/python benchmarks/train_vs_fit.py
	$(BIN)/python benchmarks/streaming_vs_memory.py
	$(BIN)/python benchmarks/folder_pipeline.py

lighthouse: setup ## run the snippets, build the site, then Lighthouse scores of three pages (needs Chromium)
	$(RUN_SNIPPETS)
	$(BIN)/python benchmarks/lighthouse.py --build

lock: setup ## re-resolve requirements.lock from pyproject.toml (needs network)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	@# One version of each package for every supported Python and platform: the lock must carry
	@# no Python-version marker (fewest forks; the test suite checks it).
	rm -f requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra docs --extra test --universal \
		--python-version $(firstword $(SUPPORTED_PYTHONS)) --fork-strategy fewest --no-header \
		-o requirements.lock

clean: ## remove build outputs and caches (keeps .venv)
	rm -rf site .cache .pytest_cache .mypy_cache .ruff_cache node_modules $(KATEX)

device-check: setup ## on a GPU machine: GPU extra, bench, hardware snippets, short mixed-precision training -> device-check.json
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[gpu]"
	timeout 480 $(BIN)/python benchmarks/device_check.py --out device-check.json

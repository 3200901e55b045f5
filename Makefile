# `make test` and `make chat` are the two commands of the README. Everything else is set up on demand.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-browser browser-extra chat serve lint typecheck bench openapi package clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall only when the dependencies change, so a second `make test` starts at once.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# checkov (the templates' policy scan in make test) in a venv of its own: its pins clash with the project's
# (infrastructure/checkov-requirements.txt says which).
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

$(CHECKOV_STAMP): infrastructure/checkov-requirements.txt | $(BIN)/python
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q -r infrastructure/checkov-requirements.txt
	@touch $@

install: $(STAMP) $(CHECKOV_STAMP)

test: $(STAMP) $(CHECKOV_STAMP)
	$(BIN)/python -m pytest -q

# The console's browser tests (tests/browser, also part of make test): Playwright from the `browser` extra (165 MB,
# so not in dev) driving the system's Chromium (apt-get install chromium, or CHROMIUM=path); nothing downloaded.
BROWSER_STAMP := $(VENV)/.browser-stamp

$(BROWSER_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,browser]'
	@touch $@

browser-extra: $(BROWSER_STAMP)

test-browser: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest -q tests/browser

# The whole system on 127.0.0.1 (embedded S3, the search API, the skill's endpoint), offline, no AWS account.
chat: $(STAMP)
	@$(if $(HANDOVER),HANDOVER=$(HANDOVER) )$(BIN)/python -m local_stack chat $(if $(REPLAY),--replay $(REPLAY)) $(if $(VERBOSE),--verbose)

serve: $(STAMP)
	@$(if $(HANDOVER),HANDOVER=$(HANDOVER) )$(BIN)/python -m local_stack serve

lint: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .

# mypy over the product code, as [tool.mypy] in pyproject.toml says; tests/ is not checked.
typecheck: $(STAMP)
	$(BIN)/python -m mypy

# The benchmarks' extra (matplotlib, for the chart) is installed by make bench only, when pyproject.toml changes.
$(VENV)/.bench-stamp: pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	@touch $@

bench: $(STAMP) $(VENV)/.bench-stamp
	$(BIN)/python -m bench $(BENCH_ARGS)

openapi: $(STAMP)
	$(BIN)/python -m search_service.api.openapi --write

# The Lambda deployment artifacts: build/search-service.zip (the start and search Lambdas) and build/skill.zip.
package: $(STAMP)
	$(BIN)/python -m tools.package

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache local_stack.log artifacts

# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?=
OUT ?= outputs

.PHONY: run test lint format typecheck imports floors docs bench clean web

## make run: create .venv with the core only (no torch), map INPUT with the bundled model
## (default: the sample scene shipped in the package) and write the run's HTML report
## (prints the path of OUT/index.html).
run: $(VENV)/.core
	$(BIN)/landcover predict $(if $(INPUT),$(INPUT),--sample) --out $(OUT) --overwrite --report

## make test: create .venv with [train,gis,dask,dev] and run the test suite (fast tests first,
## then the slow ones).
test: $(VENV)/.dev
	$(BIN)/python -m pytest -q -m "not slow"
	$(BIN)/python -m pytest -q -m slow

## make docs: build the documentation site into site/ (offline; strict: a broken link,
## reference or notebook cell fails the build). Open site/index.html.
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

## make lint: every static check CI runs: ruff (lint and format), mypy (strict, see
## [tool.mypy]) and the architecture contracts (import-linter, see [tool.importlinter]).
lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

## make format: apply ruff's fixes and formatting.
format: $(VENV)/.dev
	$(BIN)/ruff check --fix src tests benchmarks scripts
	$(BIN)/ruff format src tests benchmarks scripts

typecheck: $(VENV)/.dev
	$(BIN)/mypy

imports: $(VENV)/.dev
	$(BIN)/lint-imports

## make floors: install the oldest versions pyproject.toml allows (core only) in a throwaway
## venv and run the core tests there (scripts/check_floors.sh).
floors:
	scripts/check_floors.sh

$(VENV)/.core: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[train,gis,dask,dev]'
	touch $@ $(VENV)/.core

$(VENV)/.docs: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@

## make web: rebuild the report's map viewer (OpenLayers, bundled by esbuild) from web/ into
## src/landcover/report/static/ (committed: installing the package needs no npm).
web:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) $(OUT) site

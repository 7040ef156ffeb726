# Two set-up commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INPUT ?=
OUT ?= outputs

.PHONY: run test lint bench clean

## make run: create .venv with the core only (no torch) and map INPUT with the bundled model
## (default: the sample scene shipped in the package).
run: $(VENV)/.core
	$(BIN)/landcover predict $(if $(INPUT),$(INPUT),--sample) --out $(OUT) --overwrite

## make test: create .venv with [train,gis,dev] and run the test suite.
test: $(VENV)/.dev
	$(BIN)/python -m pytest -q

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks

$(VENV)/.core: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[train,gis,dev]'
	touch $@ $(VENV)/.core

clean:
	rm -rf $(VENV) $(OUT)

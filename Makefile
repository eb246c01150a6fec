# candleterm: `make run` sets up .venv and launches the app; `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m compileall -q app widgets engine data  # where bytecode is not written by itself
	$(BIN)/candleterm

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m profiling

bench-check: $(STAMP)
	$(BIN)/pytest -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

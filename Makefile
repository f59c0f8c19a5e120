# Two commands for a fresh machine with Python 3.11+ and make:
#   make run    set up and start the MCP server on its default journal (stdio)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench conformance clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# @: make must not echo the command, since stdout belongs to the MCP protocol.
run: $(STAMP)
	@$(BIN)/task-journal-mcp $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/append.py
	$(BIN)/python bench/roundtrip.py
	$(BIN)/python bench/read.py
	$(BIN)/python bench/find.py

conformance: $(STAMP)
	bash scripts/conformance.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage

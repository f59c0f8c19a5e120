# Two commands for a fresh machine with Python 3.11+ and make:
#   make run    set up and start the MCP server on its default journal (stdio)
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The project's bytecode, brought up to date before each use: the tests and benchmarks
# start hundreds of processes, and where PYTHONDONTWRITEBYTECODE is set (as on some CI
# machines) each would compile the project again, about 90 ms of CPU a process.
COMPILE = $(BIN)/python -m compileall -q journal_core server >&2

.PHONY: run test lint bench screenshots conformance claude-check lock clean

# Set-up talks on stderr only: `make run` hands stdout to the MCP protocol. The
# versions come from requirements/dev.lock (exact, with hashes), so a fresh clone
# installs the same set next month as today; `make lock` refreshes it.
# The pip that `python3 -m venv` bundles (23.2.1 on Python 3.11 and 3.12) cannot read a
# hashed lock whose packages ask for extras (pytest-cov wants coverage[toml]), so the
# locked pip is installed first, alone, and installs the rest.
$(STAMP): pyproject.toml requirements/dev.lock requirements/pip.lock
	@echo "make: setting up $(VENV) from requirements/dev.lock" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/pip.lock >&2
	@$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock >&2
	@$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . >&2
	@touch $(STAMP)

# @: make must not echo the command, since stdout belongs to the MCP protocol.
run: $(STAMP)
	@$(COMPILE)
	@$(BIN)/task-journal-mcp $(ARGS)

# The suite runs on every core, up to 4 (pytest-xdist): most of its time is real
# processes starting and waiting, which one core alone leaves idle.
test: $(STAMP)
	$(COMPILE)
	$(BIN)/python -m pytest -n auto --maxprocesses=4 --cov --cov-report=term $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python bench/append.py
	$(BIN)/python bench/roundtrip.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/read.py
	$(BIN)/python bench/pack.py
	$(BIN)/python bench/agents.py
	$(BIN)/python bench/find.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/hooks.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/load.py

# The viewer's pages as docs/ui.md and the README show them, taken by its browser tests.
screenshots: $(STAMP)
	TASK_JOURNAL_SCREENSHOTS=docs $(BIN)/python -m pytest -q -p no:cacheprovider tests/ui/test_pages.py

conformance: $(STAMP)
	bash scripts/conformance.sh

# Pin every dependency again at its newest version allowed by pyproject.toml.
lock:
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet pip-tools
	.lock-venv/bin/pip-compile --quiet --upgrade --extra dev --generate-hashes --allow-unsafe \
	    --strip-extras --no-emit-index-url --no-emit-find-links \
	    --output-file requirements/dev.lock pyproject.toml requirements/build.in
	.lock-venv/bin/python scripts/pip_lock.py requirements/dev.lock requirements/pip.lock
	rm -rf .lock-venv

# The real Claude Code CLI (installed into .claude-check/) validates and installs this
# repository as a plugin from a fresh clone, and must list its MCP server as Connected.
claude-check:
	bash scripts/claude-check.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage bench/data .conformance .claude-check

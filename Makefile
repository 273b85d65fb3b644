# Stint: `make run` serves on SQLite (only Python 3.11+ is needed), `make test` runs every check
# (the tests also need Node.js 18+ with npm: scripts/ensure-node-deps).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint typecheck contracts pytest coverage bench lock translations clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Stint needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A stamp per lock file: reinstall only when the lock changes.
$(VENV)/.app-installed: requirements/app.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/app.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.app-installed

run: $(VENV)/.app-installed
	$(BIN)/stint migrate
	$(BIN)/stint serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

contracts: $(VENV)/.dev-installed
	$(BIN)/lint-imports

# scripts/ensure-chromium: the browser tests' Chromium (root gets it installed with apt-get);
# scripts/ensure-node-deps: node-oidc-provider, an upstream of the social login tests, and
# openid-client, a device-flow client of the interop tests (npm ci).
# Tests run on every core (pytest-xdist), a module at a time to whichever worker is free (module
# fixtures start once), in the order tests/conftest.py gives: the slowest modules first.
PYTEST_XDIST := -n auto --dist loadscope --no-loadscope-reorder
pytest: $(VENV)/.dev-installed
	bash scripts/ensure-chromium
	bash scripts/ensure-node-deps
	$(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# The checks run side by side (mypy from a cold cache takes a while); any failure fails the run.
test: $(VENV)/.dev-installed
	$(MAKE) --no-print-directory -j 4 lint typecheck contracts pytest

# Line coverage of src/stint over the whole suite (not part of `make test`): coverage.json.
coverage: $(VENV)/.dev-installed
	bash scripts/ensure-chromium
	bash scripts/ensure-node-deps
	$(BIN)/python -m pytest $(PYTEST_XDIST) --cov=stint --cov-report=term --cov-report=json:coverage.json $(PYTEST_ARGS)

# Load benchmarks (bench/README.md; Linux): needs wrk, which root gets installed with apt-get.
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
	  else \
	    echo "make bench needs wrk: sudo apt-get install -y wrk" >&2; exit 1; \
	  fi; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Regenerate the locks after changing dependencies in pyproject.toml (needs uv). The app lock is
# constrained by the dev lock, so `make run` installs exactly the versions the tests ran with.
lock:
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -o requirements/dev.lock
	uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -c requirements/dev.lock -o requirements/app.lock

# The pages' languages (src/stint/web/locales): extract every message, add new ones to each
# catalog, compile the .mo files the server reads (commit all three; a test checks they agree).
LOCALES := src/stint/web/locales
LANGS   := de ja ru zh_Hans
translations: $(VENV)/.dev-installed
	$(BIN)/pybabel extract --mapping-file babel.cfg --keywords N_ --no-location --sort-output \
	  --project Stint --output-file $(LOCALES)/messages.pot src/stint
	for lang in $(LANGS); do [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ] || \
	  $(BIN)/pybabel init --input-file $(LOCALES)/messages.pot --output-dir $(LOCALES) --locale $$lang; done
	$(BIN)/pybabel update --input-file $(LOCALES)/messages.pot --output-dir $(LOCALES) \
	  --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile --directory $(LOCALES) --statistics

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage coverage.json

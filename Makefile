# Everyday commands. `make demo` and `make test` work on a fresh machine.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test env assets browser services lint format typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

env: $(STAMP) assets  ## create the virtual environment with every package and the console's assets

assets:  ## install ECharts from npm into src/csqm/web/static/vendor (served by the app itself)
	bash scripts/build-assets.sh

browser:  ## install Debian's chromium for the browser end-to-end tests
	bash scripts/ensure-browser.sh

demo: env  ## generate demo data, ingest it into the embedded store, print the summary
	$(BIN)/csqm demo

services:  ## start the PostgreSQL server the tests use, if it is down
	bash scripts/ensure-services.sh

test: env services browser  ## run every test (PostgreSQL tests included)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: env
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: env
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: env
	$(BIN)/mypy

bench: env  ## run every benchmark (minutes; figures go into docs/benchmarks.md)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python -P $$b || exit 1; done

bench-%: env  ## run one benchmark, e.g. `make bench-ingest`
	$(BIN)/python -P benchmarks/$*.py

clean:
	rm -rf $(VENV) csqm-data .pytest_cache .mypy_cache .ruff_cache

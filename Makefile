# Two commands for a newcomer: `make run` (app with demo data) and `make test` (whole suite).
# `make bench` measures a regency-size dataset on a private PostgreSQL (writes bench/RESULTS.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint translations extract-messages db demo clean install bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt constraints.txt
	$(BIN)/pip install -q --upgrade "pip==26.3"
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

install: $(VENV)/.installed

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -f -d translations

# -w 100: the width the catalogue is kept at, so an update rewrites only what changed.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	$(BIN)/pybabel update -w 100 -i translations/messages.pot -d translations --no-fuzzy-matching

db: translations
	$(BIN)/flask db upgrade
	$(BIN)/flask regions load
	$(BIN)/flask demo seed

run: db
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# On every core (pytest-xdist), each worker with its own database; browser tests stay on one
# worker (tests/conftest.py). TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= auto
test: translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: translations
	bench/run.sh $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -r slrt -lll
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance .pytest_cache

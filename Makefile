# CivicDesk: `make run` starts it, `make test` proves it. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The PostgreSQL run of the test suite; pytest-django creates and drops test_civicdesk.
TEST_POSTGRES_URL ?= postgres://root@127.0.0.1:5432/civicdesk
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test install dev lint test-sqlite test-postgres test-e2e bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements/lock.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements/dev-lock.txt
	$(BIN)/pip install --quiet -r requirements/dev-lock.txt
	touch $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

## Start CivicDesk (web server + worker) with demo data on first run. Ctrl-C stops it.
run: install
	$(BIN)/civicdesk run $(RUN_ARGS)

## Every test: lint, checks, the suite on SQLite and on PostgreSQL, and the browser tests.
test: dev lint test-sqlite test-postgres test-e2e
	@echo "All tests passed."

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	CIVICDESK_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py check
	CIVICDESK_VAR_DIR=$$(mktemp -d) $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: dev
	$(BIN)/pytest -q -n 2 civicdesk

test-postgres: dev
	@$(BIN)/python -m civicdesk.core.testing.require_postgres "$(TEST_POSTGRES_URL)"
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q -n 2 civicdesk

# Browser tests run in their own pytest process (STACK.md: Playwright and pytest-django).
test-e2e: dev
	@test -x $(CHROMIUM) || (echo "Browser tests need Chromium at $(CHROMIUM): sudo apt-get install -y chromium" && exit 1)
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest -q tests/e2e
	CHROMIUM=$(CHROMIUM) DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q tests/e2e

## Benchmarks: print figures, never assert them.
bench: dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache

# The README's commands. `make run` starts the platform, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
# CHECKS=no runs the suite alone (CI lints and type-checks once for both stacks).
CHECKS ?= yes
ARGS ?= --help

.PHONY: run test test-embedded test-fast lint typecheck migrate cli backtest bench clean install

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Run the whole platform (embedded PostgreSQL + Redis unless DATABASE_URL/REDIS_URL are set).
run: $(STAMP)
	$(BIN)/tradebot up

## Lint, type-check and run every test, slow end-to-end and fault suites included, on the
## stack TRADEBOT_TEST_STACK names (default `services`: 127.0.0.1, embedded where none answers).
test: $(STAMP)
ifneq ($(CHECKS),no)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
endif
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## Every test on the embedded PostgreSQL + Redis that `make run` starts, even when others answer.
test-embedded:
	$(MAKE) test TRADEBOT_TEST_STACK=embedded CHECKS=no

## Everything but the slow suites, for editing.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

migrate: $(STAMP)
	$(BIN)/tradebot migrate

## The command line, which lives in .venv/bin: make cli ARGS='deactivate-user me@example.com'.
cli: $(STAMP)
	$(BIN)/tradebot $(ARGS)

## A backtest: make backtest ARGS='--demo BTC/USDT --timeframe 1h --bars 5000 --out reports/demo'.
backtest: $(STAMP)
	$(BIN)/tradebot backtest $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/backtest.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

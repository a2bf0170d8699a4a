# The README's commands. `make run` starts the platform, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=
# CHECKS=no runs the suite alone (CI lints and type-checks once for both stacks).
CHECKS ?= yes
ARGS ?= --help
# Node for the dashboard: the one on PATH when new enough, else the wheel in the virtualenv.
NODE    := VENV_PYTHON=$(abspath $(BIN))/python $(CURDIR)/scripts/node.sh
# The dashboard is rebuilt when any of its files (names or contents) changed.
UI_SUM  := $(shell find frontend -type f -not -path 'frontend/node_modules/*' \
             -not -path 'frontend/dist/*' 2>/dev/null | LC_ALL=C sort | xargs cksum | cksum | cut -d' ' -f1)
UI_STAMP := frontend/dist/.built-$(UI_SUM)
UI_DEPS  := frontend/node_modules/.installed-$(shell cksum < frontend/package-lock.json | cut -d' ' -f1)
CLIENT   := frontend/src/api/schema.d.ts

.PHONY: run test test-embedded test-fast lint typecheck migrate cli backtest bench clean install \
        ui ui-test client client-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## Everything the platform and its tests need: the virtualenv and the dashboard's npm packages.
install: $(STAMP) $(UI_DEPS)

## Run the whole platform (embedded PostgreSQL + Redis unless DATABASE_URL/REDIS_URL are set).
run: $(STAMP) ui
	$(BIN)/tradebot up

$(UI_DEPS): frontend/package-lock.json | $(STAMP)
	cd frontend && $(NODE) npm ci --no-audit --no-fund
	touch $@

$(UI_STAMP): $(UI_DEPS)
	cd frontend && $(NODE) npm run build
	touch $@

## The dashboard (frontend/dist, served at / by the API), built when its sources changed.
ui: $(UI_STAMP)

## The dashboard's type check and unit tests (Vitest).
ui-test: $(UI_DEPS)
	cd frontend && $(NODE) npm run typecheck
	cd frontend && $(NODE) npm test

## Regenerate the dashboard's typed API client from the app's OpenAPI document.
client: $(UI_DEPS)
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/tradebot openapi --out "$$tmp/openapi.json" && \
	cd frontend && $(NODE) npx openapi-typescript "$$tmp/openapi.json" -o src/api/schema.d.ts

## Fail when the committed client differs from what the API's OpenAPI document gives.
client-check: $(UI_DEPS)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/tradebot openapi --out "$$tmp/openapi.json" && \
	(cd frontend && $(NODE) npx openapi-typescript "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" \
	  >/dev/null) && \
	if ! diff -u $(CLIENT) "$$tmp/schema.d.ts"; then \
	  echo "$(CLIENT) is stale: run \`make client\` and commit it" >&2; exit 1; fi

## Lint, type-check and run every test, slow end-to-end and fault suites included, on the
## stack TRADEBOT_TEST_STACK names (default `services`: 127.0.0.1, embedded where none answers).
test: $(STAMP)
ifneq ($(CHECKS),no)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(MAKE) client-check ui-test
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
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache frontend/node_modules frontend/dist

# carbonbridge — one target per everyday task. Everything a fresh machine lacks is installed here:
# a virtualenv with the locked packages (uv, hashes checked) and Debian's chromium for browser tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.9
PYTEST := $(BIN)/python -m pytest
# pytest exits 5 when a marker selects no tests; that is not a failure of a suite
ALLOW_EMPTY := rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

.PHONY: run test lint bench migrate install install-dev chromium fonts-cjk zbar wrk pg-client test-slow test-spark format

run: $(VENV)/.run-installed fonts-cjk  ## install, migrate, load the demo region, serve on :8000
	$(BIN)/carbonbridge serve --demo --host 127.0.0.1 --port 8000

test: $(VENV)/.dev-installed chromium fonts-cjk zbar pg-client  ## the whole suite on SQLite and PostgreSQL, browser tests included
	$(PYTEST) -m "not slow and not spark" -n 2 --dist loadgroup -q

test-slow: $(VENV)/.dev-installed pg-client  ## long suites CI runs after `make test`
	$(PYTEST) -m "slow" -q; $(ALLOW_EMPTY)

test-spark: $(VENV)/.ci-installed  ## the bulk engine on Apache Spark in local mode
	$(PYTEST) -m "spark" -q; $(ALLOW_EMPTY)

lint: $(VENV)/.dev-installed  ## ruff, import contracts, mypy strict
	$(BIN)/ruff check src tests benchmarks devtools
	$(BIN)/ruff format --check src tests benchmarks devtools
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(VENV)/.dev-installed wrk  ## performance figures named in the issues (printed, not asserted)
	for b in benchmarks/bench_*.py; do m=$$(basename $$b .py); echo "== $$m"; $(BIN)/python -m benchmarks.$$m || exit 1; done

migrate: $(VENV)/.run-installed
	$(BIN)/carbonbridge migrate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.run-installed: requirements/run.lock pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/run.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src
	touch $@ $(VENV)/.run-installed

$(VENV)/.ci-installed: requirements/ci.lock pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -r requirements/ci.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src
	touch $@ $(VENV)/.dev-installed $(VENV)/.run-installed

wrk:  ## Debian's wrk (HTTP load generator) for the API benchmarks, when absent
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian wrk for the API benchmarks"; \
	  (apt-get install -y -q wrk >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null)); }

fonts-cjk:  ## Debian's Noto CJK fonts, for the tourism certificate's PDF in Chinese, when absent
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  echo "installing Debian fonts-noto-cjk for PDF certificates"; \
	  (apt-get install -y -q fonts-noto-cjk >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q fonts-noto-cjk >/dev/null)); }

zbar:  ## Debian's zbar-tools (zbarimg), which the tests read the certificate's QR code with, when absent
	@command -v zbarimg >/dev/null 2>&1 || { \
	  echo "installing Debian zbar-tools for QR code tests"; \
	  (apt-get install -y -q zbar-tools >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q zbar-tools >/dev/null)); }

chromium:  ## Debian's chromium for the browser tests, when absent
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); }

pg-client:  ## Debian's PostgreSQL client tools (pg_dump, pg_restore: backup/restore), when absent
	@command -v pg_dump >/dev/null 2>&1 || { \
	  echo "installing Debian postgresql-client for backup/restore"; \
	  (apt-get install -y -q postgresql-client >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q postgresql-client >/dev/null)); }

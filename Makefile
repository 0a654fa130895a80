# The two commands a newcomer needs: `make run` and `make test`. See README.md.
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: help setup run test lint bench loadtest test-scaleout test-faults

help:
	@echo "make run       set up, then start the dashboard at http://127.0.0.1:8000 (sandbox, worker, demo users)"
	@echo "make test      set up, then run ruff and every test (unit, integration, browser)"
	@echo "make bench     print benchmark medians (directory, sync, CAD, schedules, sandbox, change history)"
	@echo "make loadtest  50 users for 60 s against a production-like setup"
	@echo "make test-scaleout  the test suite on PostgreSQL and Redis (the fault suite included; browser tests with SCALEOUT_BROWSER=1)"
	@echo "make test-faults    only the fault suite (PostgreSQL; its own redis-server)"

setup:
	@scripts/bootstrap.sh

run: setup
	@scripts/run.sh

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: setup
	@scripts/ensure_chromium.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	@scripts/ensure_chromium.sh
	$(PY) bench/run.py

loadtest: setup
	$(PY) bench/loadtest.py

# The same suite on the scale-out path: PostgreSQL and Redis (both at 127.0.0.1 on CI machines).
SCALEOUT_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
SCALEOUT_REDIS_URL ?= redis://127.0.0.1:6379/15
test-scaleout: setup
	@scripts/ensure_chromium.sh
	DATABASE_URL=$(SCALEOUT_DATABASE_URL) REDIS_URL=$(SCALEOUT_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

# Only the fault suite (tests/faults): the production processes on PostgreSQL, with their own
# redis-server, faulted one way after another. `make test-scaleout` runs it too.
test-faults: setup
	DATABASE_URL=$(SCALEOUT_DATABASE_URL) REDIS_URL=$(SCALEOUT_REDIS_URL) $(PY) -m pytest -m faults tests/faults $(PYTEST_ARGS)

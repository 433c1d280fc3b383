# warroom — `make run` serves the product on SQLite; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test`: tests wait on servers, SMTP and browsers, so more workers than cores help
TEST_WORKERS ?= 3
export WARROOM_DATABASE_URL ?= sqlite:///$(CURDIR)/var/warroom.db

RUN_STAMP := $(VENV)/.installed-runtime
STALE := the lock files miss a dependency of pyproject.toml: run 'make lock' and commit requirements*.lock

.PHONY: run test test-fast lint typecheck fmt bench bench-short clean install install-runtime lock audit demo worker

# Exact versions with hashes come from the lock files (`make lock` writes them from pyproject.toml): `make run`
# installs the runtime lock only; `make test` and CI the development lock (runtime + test tools).
$(RUN_STAMP): pyproject.toml requirements.lock
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "$(STALE)"; exit 1; }
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml requirements-dev.lock
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; echo "$(STALE)"; exit 1; }
	touch $(STAMP) $(RUN_STAMP)

install: $(STAMP)

install-runtime: $(RUN_STAMP)

# After changing dependencies in pyproject.toml: re-resolve both locks (the dev lock keeps the runtime pins).
lock:
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q uv
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 --generate-hashes --extra dev \
	  -c requirements.lock -o requirements-dev.lock

# Known advisories in the locked versions; a warning, not a failure, when the advisory database is unreachable.
audit: $(STAMP)
	$(BIN)/python tools/audit_deps.py requirements-dev.lock

run: $(RUN_STAMP)
	$(BIN)/warroom db upgrade
	$(BIN)/warroom setup --demo-if-empty
	$(BIN)/warroom serve --host 127.0.0.1 --port 8000

worker: $(RUN_STAMP)
	$(BIN)/warroom worker

demo: $(RUN_STAMP)
	$(BIN)/warroom db upgrade
	$(BIN)/warroom demo

# ruff first (seconds). The typecheck (mypy ~11 CPU-s without its cache) and the dependency audit (~20 s, nearly all
# of it waiting on the advisory database) run beside the suite; their output (var/test-*.log) is shown after it, and
# any of the three failing fails `make test`.
test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	@mkdir -p var
	@$(MAKE) --no-print-directory typecheck >var/test-typecheck.log 2>&1 & typecheck=$$!; \
	$(BIN)/python tools/audit_deps.py requirements-dev.lock >var/test-audit.log 2>&1 & audit=$$!; \
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup; suite=$$?; \
	wait $$typecheck; typecheck=$$?; wait $$audit; audit=$$?; \
	echo "--- make typecheck (exit $$typecheck)"; cat var/test-typecheck.log; \
	echo "--- dependency audit (exit $$audit)"; cat var/test-audit.log; \
	echo "make test: suite exit $$suite, typecheck exit $$typecheck, audit exit $$audit"; \
	[ $$suite -eq 0 ] && [ $$typecheck -eq 0 ] && [ $$audit -eq 0 ]

test-fast: $(STAMP)
	$(BIN)/pytest -x -m "not postgres and not browser and not slow"

# Alert intake against the reference app, interleaved, both databases (docs/bench-ingest.md): about 6 minutes.
bench: $(STAMP)
	$(BIN)/python bench/ingest.py

# CI's speed report, not a gate: A and B, 3 s each, ratios only, loopback only; it stops measuring at 70 s and is
# killed at 75 (+10 s to clean up).
bench-short: $(STAMP)
	@echo "bench-short: a report, not a gate: warroom / reference ratios (docs/bench-ingest.md, How to measure)"
	timeout -k 10 75 $(BIN)/python bench/ingest.py --short

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools

# The layer contracts (pyproject.toml [tool.importlinter]) and mypy on src/, strict on the pure modules
# (pyproject.toml [tool.mypy]); docs/architecture.md, "Layers, checked". mypy keeps its cache in .mypy_cache.
typecheck: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench tools

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache

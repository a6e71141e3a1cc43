# Two set-up commands for a fresh machine (see README): `make demo` and `make test`.
# Each creates the virtual environment in .venv on first use and installs what it needs.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
SEED ?= 1
OUT ?= output/baseline

.PHONY: demo test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/practicesim run scenarios/baseline.yaml --seed $(SEED) --out $(OUT)

test: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/practice_year.py

clean:
	rm -rf $(VENV) output

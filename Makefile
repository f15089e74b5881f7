# Two commands do all the set-up: `make build` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# dbt reads the project's own profile; no ~/.dbt needed, and nothing is sent home.
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install build test lint dbt-build pytest sample-data clean

# The stamp file makes a second run reuse the environment; it is rebuilt only when the pins change.
$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --requirement requirements.txt
	touch $@

install: $(BIN)/.installed

build: install dbt-build

test: install lint dbt-build pytest

dbt-build: install
	$(BIN)/dbt build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models tests/singular

pytest: install
	$(BIN)/pytest

# Regenerates the bundled e-commerce sample (the files in data/ecommerce are this command's output).
sample-data: install
	$(BIN)/python -m retail_warehouse.ecommerce_generator --rows 300000 --customers 53000 \
		--items 69000 --seed 42 --gzip --out data/ecommerce

clean:
	rm -rf target logs warehouse.duckdb warehouse.duckdb.wal

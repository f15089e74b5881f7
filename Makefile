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

test: install lint dbt-build pytest spark-test

# Builds into a new file and swaps it in, so a BI tool holding the warehouse open read-only
# does not make the build fail with a lock error (scripts/build_swap.py).
dbt-build: install
	$(BIN)/python scripts/build_swap.py build

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models tests/singular

# MetricFlow's own environment comes first so that the semantic-layer tests run, not skip.
pytest: install metricflow-install
	MF_BIN=$(MF_VENV)/bin/mf $(BIN)/pytest

# Regenerates the bundled e-commerce sample (the files in data/ecommerce are this command's output).
sample-data: install
	$(BIN)/python -m datagen.ecommerce --rows 300000 --customers 53000 \
		--items 69000 --seed 42 --gzip --out data/ecommerce

# Reviewers and BI tools (README: BI access, Data diff, Semantic layer, Slim CI).
BASE ?= main
DIFF_DIR ?= target/diff
PARQUET_DIR ?= target/parquet
STATE_DIR ?= target/state
MF_VENV ?= $(VENV)/metricflow

.PHONY: docs docs-serve export diff metricflow-install metrics slim-ci-state slim-ci

# The documentation site, offline: target/static_index.html is one self-contained file (open it
# in a browser); `make docs-serve` serves target/ on http://localhost:8080 instead.
docs: install
	$(BIN)/dbt docs generate --static

docs-serve: docs
	$(BIN)/dbt docs serve --port 8080

# The marts as Parquet files, one per table, for tools that do not read DuckDB.
export: install
	$(BIN)/python scripts/export_parquet.py --out-dir $(PARQUET_DIR)

# What the working tree changes in the marts against BASE: `make diff BASE=<git ref>`.
diff: install
	$(BIN)/python scripts/warehouse_diff.py --base $(BASE) --out-dir $(DIFF_DIR) $(DIFF_ARGS)

# The HTML report (README: Report): one self-contained file from the built warehouse, opened
# read-only; WAREHOUSE_DUCKDB_PATH picks another warehouse, REPORT another output file.
REPORT ?= target/report.html

.PHONY: report

report: install
	$(BIN)/python -m retail_warehouse.report --out $(REPORT)

# MetricFlow in its own environment (requirements-metricflow.txt), and a metric query.
$(MF_VENV)/.installed: requirements.txt requirements-metricflow.txt
	$(PYTHON) -m venv $(MF_VENV)
	$(MF_VENV)/bin/pip install --quiet --disable-pip-version-check \
		--requirement requirements.txt --requirement requirements-metricflow.txt
	touch $@

metricflow-install: $(MF_VENV)/.installed

metrics: metricflow-install
	$(BIN)/dbt parse
	$(MF_VENV)/bin/mf query --metrics customers,revenue,orders,revenue_per_customer,average_order_value,share_of_revenue \
		--group-by customer__store_id,customer__segment --order customer__store_id,customer__segment

# Slim CI: save the manifest of the base (e.g. on main), then build only what changed.
slim-ci-state: install
	$(BIN)/dbt parse --target-path $(STATE_DIR)

slim-ci: install
	$(BIN)/python scripts/build_swap.py --copy-current build --select state:modified+ --state $(STATE_DIR) \
		--warn-error-options '{"error": ["UnversionedBreakingChange"]}'

# Spark (README: Running at scale on Spark or Databricks): the SQL layers built again on a
# local PySpark session (`dbt build --target spark`), then compared with the DuckDB build
# (scripts/compare_engines.py). PySpark and dbt-spark are an optional install on top of the
# default one (requirements-spark.txt); Java 17 must be on PATH. Each build starts from an empty
# Spark warehouse and metastore; its dbt artifacts go to their own folder, not target/.
SPARK_DIR ?= target/spark
export SPARK_WAREHOUSE_DIR ?= $(CURDIR)/$(SPARK_DIR)/warehouse
export SPARK_METASTORE_DIR ?= $(CURDIR)/$(SPARK_DIR)/metastore

.PHONY: install-spark spark-build spark-compare spark-test

$(BIN)/.installed-spark: $(BIN)/.installed requirements-spark.txt
	$(BIN)/pip install --quiet --disable-pip-version-check \
		--requirement requirements.txt --requirement requirements-spark.txt
	touch $@

install-spark: $(BIN)/.installed-spark

spark-build: install-spark
	rm -rf $(SPARK_WAREHOUSE_DIR) $(SPARK_METASTORE_DIR)
	$(BIN)/dbt build --target spark --target-path $(SPARK_DIR)/dbt --log-path $(SPARK_DIR)/logs

# Needs both builds: the DuckDB warehouse (make dbt-build) and the Spark one (make spark-build).
spark-compare: install-spark
	$(BIN)/python scripts/compare_engines.py --spark-warehouse $(SPARK_WAREHOUSE_DIR)

spark-test: spark-build spark-compare

# The full-scale benchmark (README: Performance at full scale): generates the 16.1M-row feed
# into BENCH_DIR unless it is there, then times dbt build, raw-to-segments, the two references
# and a monthly incremental load. BENCH_ARGS adds options, e.g. `--rows 1000000 4000000 16100000`.
BENCH_DIR ?= target/bench

.PHONY: bench load profile

# Know your input before you build (docs/sources-and-cleaning.md, Input profile): the lines and
# the input-profile models of the configured raw files in a warehouse of their own, then per
# file its lines, dates, months, rejection reasons with examples, unreadable values and the
# item codes that look like non-products. PROFILE_VARS adds dbt vars (read options, say).
PROFILE_DIR ?= target/profile
PROFILE_VARS ?= {}

profile: install
	$(BIN)/python -m retail_warehouse.inputs.profile --work-dir $(PROFILE_DIR) --vars '$(PROFILE_VARS)'

# A monthly load, in place: the staging and line models read only the raw files the warehouse
# does not hold yet; the order- and customer-level models are rebuilt. Unlike `make build` it
# writes to the warehouse file itself, so BI tools must not hold it open.
load: install
	$(BIN)/dbt build

bench: install
	$(BIN)/python benchmarks/full_scale_benchmark.py --work-dir $(BENCH_DIR) $(BENCH_ARGS)

clean:
	rm -rf target logs warehouse.duckdb warehouse.duckdb.wal .warehouse-build

# Two commands do all the set-up: `make build` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# dbt reads the project's own profile; no ~/.dbt needed, and nothing is sent home.
export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: install build test lint dbt-build pytest sample-data clean

# The stamp file makes a second run reuse the environment; it is rebuilt only when the pins change.
# scripts/install_env.py says what pip is doing and how long each step takes.
INSTALL_ENV = $(PYTHON) scripts/install_env.py --python $(PYTHON)

$(BIN)/.installed: requirements.txt
	$(INSTALL_ENV) --venv $(VENV) --requirements requirements.txt
	touch $@

install: $(BIN)/.installed

build: install dbt-build

test: install lint dbt-build duckdb-client-check pytest spark-test

# Extra dbt arguments for build, load and slim-ci, e.g. DBT_ARGS="--exclude resource_type:test".
DBT_ARGS ?=

# Builds into a new file and swaps it in, so a BI tool holding the warehouse open read-only
# does not make the build fail with a lock error; one build or load at a time per warehouse
# (scripts/build_swap.py, docs/bi-access-and-safe-builds.md).
dbt-build: install
	$(BIN)/python scripts/build_swap.py build $(DBT_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models tests/singular

# MetricFlow's, the older DuckDB's and Spark's environments come first so that their tests run,
# not skip.
pytest: install metricflow-install duckdb-client-install install-spark
	MF_BIN=$(MF_VENV)/bin/mf OLD_DUCKDB_PYTHON=$(DUCKDB_CLIENT_VENV)/bin/python $(BIN)/pytest

# Regenerates the bundled e-commerce sample (the files in data/ecommerce are this command's output).
sample-data: install
	$(BIN)/python -m datagen.ecommerce --rows 300000 --customers 53000 \
		--items 69000 --seed 42 --gzip --out data/ecommerce

# Reviewers and BI tools (docs/bi-access-and-review.md). The folders
# reach the recipes as env vars, quoted there, so that they may hold spaces and quotes.
BASE ?= main
export DIFF_DIR ?= target/diff
export PARQUET_DIR ?= target/parquet
export STATE_DIR ?= target/state
MF_VENV ?= $(VENV)/metricflow

.PHONY: docs docs-serve export diff metricflow-install metrics slim-ci-state slim-ci

# The documentation site, offline: target/static_index.html is one self-contained file (open it
# in a browser); `make docs-serve` serves target/ on http://localhost:8080 instead. It opens the
# warehouse read-only, so it works next to a BI tool holding the file open.
docs: install
	$(BIN)/python scripts/read_only_warehouse.py $(BIN)/dbt docs generate --static

docs-serve: docs
	$(BIN)/dbt docs serve --port 8080

# The marts as Parquet files, one per table, for tools that do not read DuckDB.
export: install
	$(BIN)/python scripts/export_parquet.py --out-dir "$$PARQUET_DIR"

# What the working tree changes in the marts against BASE: `make diff BASE=<git ref>`.
diff: install
	$(BIN)/python scripts/warehouse_diff.py --base $(BASE) --out-dir "$$DIFF_DIR" $(DIFF_ARGS)

# The HTML report (docs/report.md): one self-contained file from the built warehouse, opened
# read-only; WAREHOUSE_DUCKDB_PATH picks another warehouse, REPORT another output file.
export REPORT ?= target/report.html

.PHONY: report

report: install
	$(BIN)/python -m retail_warehouse.report --out "$$REPORT"

# MetricFlow in its own environment (requirements-metricflow.txt), and a metric query.
$(MF_VENV)/.installed: requirements.txt requirements-metricflow.txt
	$(INSTALL_ENV) --venv $(MF_VENV) --requirements requirements.txt requirements-metricflow.txt
	touch $@

metricflow-install: $(MF_VENV)/.installed

# --decimals: plain fixed-point numbers (mf's default prints 2442807.02 as 2.44281e+06).
metrics: metricflow-install
	$(BIN)/dbt parse
	$(BIN)/python scripts/read_only_warehouse.py $(MF_VENV)/bin/mf query --metrics customers,revenue,orders,revenue_per_customer,average_order_value,share_of_revenue \
		--group-by customer__store_id,customer__segment --order customer__store_id,customer__segment \
		--decimals 4

# The segment dashboard in a real Apache Superset (docs/bi-access-and-review.md, Superset): its own
# environment (requirements-superset.txt), then scripts/superset_dashboard.py imports
# bi/superset/segment_dashboard into a Superset on 127.0.0.1, checks a chart's numbers and the
# column descriptions against the warehouse, and saves a screenshot (SUPERSET_SCREENSHOT).
# `make superset` keeps serving it until Ctrl-C. Not part of `make test`: a first run takes about
# five minutes (install and Superset's own set-up), later runs under a minute.
SUPERSET_VENV ?= $(VENV)/superset
SUPERSET_PORT ?= 8088
SUPERSET_SCREENSHOT ?= target/superset/dashboard.png
SUPERSET = SUPERSET_BIN=$(SUPERSET_VENV)/bin/superset $(BIN)/python scripts/superset_dashboard.py \
	--port $(SUPERSET_PORT) --screenshot $(SUPERSET_SCREENSHOT)

.PHONY: superset-install superset-check superset

$(SUPERSET_VENV)/.installed: requirements-superset.txt
	$(INSTALL_ENV) --venv $(SUPERSET_VENV) --requirements requirements-superset.txt
	touch $@

superset-install: $(SUPERSET_VENV)/.installed

superset-check: install superset-install
	$(SUPERSET)

superset: install superset-install
	$(SUPERSET) --serve

# Slim CI: save the manifest of the base (e.g. on main), then build only what changed.
slim-ci-state: install
	$(BIN)/dbt parse --target-path "$$STATE_DIR"

slim-ci: install
	$(BIN)/python scripts/build_swap.py --copy-current build --select state:modified+ --state "$$STATE_DIR" \
		--warn-error-options '{"error": ["UnversionedBreakingChange"]}' $(DBT_ARGS)

# Spark (docs/spark.md): the SQL layers built again on a local PySpark session (`dbt build
# --target spark`), the clustering and recommendation tables written on it with Spark MLlib and
# tested (`python -m retail_warehouse.spark_ml`: dbt-spark runs Python models on Databricks
# only), then both compared with the DuckDB build (scripts/compare_engines.py --ml). PySpark
# and dbt-spark are an optional install on top of the default one (requirements-spark.txt);
# Java 17 must be on PATH. Each build starts from an empty Spark warehouse and metastore; its dbt
# artifacts go to their own folder, not target/.
export SPARK_DIR ?= target/spark
export SPARK_WAREHOUSE_DIR ?= $(CURDIR)/$(SPARK_DIR)/warehouse
export SPARK_METASTORE_DIR ?= $(CURDIR)/$(SPARK_DIR)/metastore

.PHONY: install-spark spark-build spark-ml spark-compare spark-test

$(BIN)/.installed-spark: $(BIN)/.installed requirements-spark.txt
	$(INSTALL_ENV) --venv $(VENV) --requirements requirements.txt requirements-spark.txt
	touch $@

install-spark: $(BIN)/.installed-spark

spark-build: install-spark
	rm -rf "$$SPARK_WAREHOUSE_DIR" "$$SPARK_METASTORE_DIR"
	$(BIN)/dbt build --target spark --target-path "$$SPARK_DIR/dbt" --log-path "$$SPARK_DIR/logs"

# Needs the Spark build (make spark-build); writes the ml tables, then runs their dbt tests.
# SPARK_ML_ARGS adds options, e.g. SPARK_ML_ARGS="--vars '{cluster_k: 5}'".
SPARK_ML_ARGS ?=

spark-ml: install-spark
	DBT_TARGET_PATH="$$SPARK_DIR/dbt" DBT_LOG_PATH="$$SPARK_DIR/logs" \
		$(BIN)/python -m retail_warehouse.spark_ml $(SPARK_ML_ARGS)

# Needs both builds: the DuckDB warehouse (make dbt-build) and the Spark one with its ml tables
# (make spark-build spark-ml).
spark-compare: install-spark
	$(BIN)/python scripts/compare_engines.py --spark-warehouse "$$SPARK_WAREHOUSE_DIR" --ml

spark-test: spark-build spark-ml spark-compare

# The full-scale benchmark (docs/performance.md): generates the 16.1M-row feed
# into BENCH_DIR unless it is there, then times dbt build, raw-to-segments, the two references
# and a monthly incremental load. BENCH_ARGS adds options, e.g. `--rows 1000000 4000000 16100000`.
export BENCH_DIR ?= target/bench

.PHONY: bench load profile

# Know your input before you build (docs/sources-and-cleaning.md, Input profile): the lines and
# the input-profile models of the configured raw files in a warehouse of their own, then per
# file its lines, dates, months, rejection reasons with examples, unreadable values and the
# item codes that look like non-products. PROFILE_VARS adds dbt vars (read options, say).
PROFILE_DIR ?= target/profile
PROFILE_VARS ?= {}

profile: install
	$(BIN)/python -m retail_warehouse.inputs.profile --work-dir $(PROFILE_DIR) --vars '$(PROFILE_VARS)'

# A monthly load: the staging and line models read only the raw files the warehouse does not
# hold yet; the order- and customer-level models are rebuilt. Like `make build` it builds into a
# new file, a copy of the warehouse, and swaps it in: BI tools may hold the warehouse open, and a
# kill at any moment leaves the previous warehouse whole.
load: install
	$(BIN)/python scripts/build_swap.py --copy-current build $(DBT_ARGS)

bench: install
	$(BIN)/python benchmarks/full_scale_benchmark.py --work-dir "$$BENCH_DIR" $(BENCH_ARGS)

# An older DuckDB (requirements-duckdb-client.txt) in its own environment, and the check that it
# reads every table of marts and ml in the built warehouse (docs/bi-access-and-safe-builds.md).
DUCKDB_CLIENT_VENV ?= $(VENV)/duckdb-client

.PHONY: duckdb-client-install duckdb-client-check

$(DUCKDB_CLIENT_VENV)/.installed: requirements-duckdb-client.txt
	$(PYTHON) -m venv $(DUCKDB_CLIENT_VENV)
	$(DUCKDB_CLIENT_VENV)/bin/pip install --quiet --disable-pip-version-check \
		--requirement requirements-duckdb-client.txt
	touch $@

duckdb-client-install: $(DUCKDB_CLIENT_VENV)/.installed

duckdb-client-check: duckdb-client-install
	$(DUCKDB_CLIENT_VENV)/bin/python scripts/check_duckdb_client.py

clean:
	rm -rf target logs warehouse.duckdb warehouse.duckdb.wal .warehouse-build

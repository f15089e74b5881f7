"""BI access: the Parquet export, and a build that a reader holding the warehouse open survives."""

import json
import os
import shutil
import sys

import duckdb
import pyarrow.parquet as pq
import pytest
from dbt_project_runner import PROJECT_DIR
from small_warehouse import QUICK_BUILD, dbt_env, dbt_paths, quick_build, run, write_inputs

BUILD_SWAP = [sys.executable, str(PROJECT_DIR / "scripts" / "build_swap.py")]
EXPORT = [sys.executable, str(PROJECT_DIR / "scripts" / "export_parquet.py")]


@pytest.fixture(scope="module")
def small_warehouse(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp("bi_access")
    warehouse = work_dir / "warehouse.duckdb"
    completed = quick_build(warehouse, work_dir, write_inputs(work_dir / "input"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return warehouse


def marts(connection) -> dict[str, int]:
    tables = connection.sql(
        "select table_name from duckdb_tables() where schema_name = 'marts'"
    ).fetchall()
    return {
        name: connection.execute(f"select count(*) from marts.{name}").fetchone()[0]
        for (name,) in tables
    }


def test_export_writes_every_mart_to_parquet_with_its_rows_and_types(small_warehouse, tmp_path):
    with duckdb.connect(str(small_warehouse), read_only=True) as connection:
        expected = marts(connection)
        # The export must work while a BI tool holds the file open read-only.
        completed = run(
            [*EXPORT, "--warehouse", str(small_warehouse), "--out-dir", str(tmp_path / "out")],
            dbt_env(small_warehouse, tmp_path),
        )
    assert completed.returncode == 0, completed.stderr

    files = {path.stem: path for path in (tmp_path / "out" / "marts").glob("*.parquet")}
    assert set(files) == set(expected) >= {"dim_customers", "fct_customer_rfm", "fct_orders"}
    for name, rows in expected.items():
        assert pq.read_metadata(files[name]).num_rows == rows, name
    customers = pq.read_table(files["dim_customers"])
    assert str(customers.schema.field("lifetime_spend").type) == "decimal128(18, 4)"
    assert sorted(customers.column("customer_id").to_pylist()) == [
        "104233", "104234", "104235", "17001", "17002", "17003", "17004", "17005", "17006",
    ]  # fmt: skip
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {entry["table"]: entry["rows"] for entry in manifest} == {
        f"marts.{name}": rows for name, rows in expected.items()
    }
    assert not list((tmp_path / "out").glob(".export-*")), "the staging directory is left over"


def test_export_covers_the_ml_tables_and_the_views_by_default(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts; create schema ml; create schema staging")
        connection.execute("create table marts.dim_items as select 'i1' as item_id, 'Lamp' as name")
        connection.execute("create table ml.ml_recs as select 'c1' as customer_id, 'i1' as item_id")
        connection.execute(
            "create view marts.rpt_recs as"
            " select * from ml.ml_recs join marts.dim_items using (item_id)"
        )
        connection.execute("create table staging.not_for_bi as select 1 as x")
    completed = run(
        [*EXPORT, "--warehouse", str(warehouse), "--out-dir", str(tmp_path / "out")],
        dbt_env(warehouse, tmp_path),
    )
    assert completed.returncode == 0, completed.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {entry["table"]: entry["rows"] for entry in manifest} == {
        "marts.dim_items": 1, "marts.rpt_recs": 1, "ml.ml_recs": 1,
    }  # fmt: skip
    view = pq.read_table(tmp_path / "out" / "marts" / "rpt_recs.parquet")
    assert view.to_pylist() == [{"item_id": "i1", "customer_id": "c1", "name": "Lamp"}]


# Lists every table and view of a warehouse and reads a row of each, as a BI tool browsing it.
BROWSE = """
import sys, duckdb
with duckdb.connect(sys.argv[1], read_only=True) as connection:
    relations = connection.sql(
        "select schema_name, table_name from duckdb_tables() union all"
        " select schema_name, view_name from duckdb_views() where not internal"
    ).fetchall()
    for schema, name in relations:
        connection.sql(f'select * from "{schema}"."{name}" limit 1').fetchall()
        print(schema, name)
"""


def test_everything_a_bi_tool_lists_can_be_queried_from_anywhere(small_warehouse, tmp_path):
    """No `raw` schema is left (its views read the inputs by relative paths, so they work only
    inside dbt), no `staging` either (ephemeral models over those views), and every table and
    view in the file answers in a process started elsewhere."""
    completed = run(
        [sys.executable, "-c", BROWSE, str(small_warehouse)], dict(os.environ), cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    schemas = {line.split()[0] for line in completed.stdout.splitlines()}
    assert {"marts", "intermediate"} <= schemas
    with duckdb.connect(str(small_warehouse), read_only=True) as connection:
        listed = connection.sql("select schema_name from duckdb_schemas()").fetchall()
    assert not {"raw", "staging"} & {name for (name,) in listed}


def test_descriptions_are_in_the_warehouse_for_bi_tools(small_warehouse):
    """Every mart's and column's YAML description is the table's or column's comment in the file
    (dbt persist_docs), which BI tools show beside them."""
    manifest = json.loads((small_warehouse.parent / "target" / "manifest.json").read_text())
    expected = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["schema"] == "marts":
            expected[(node["name"], None)] = node["description"].strip()
            for column in node["columns"].values():
                expected[(node["name"], column["name"])] = column["description"].strip()
    with duckdb.connect(str(small_warehouse), read_only=True) as connection:
        tables = connection.sql(
            "select table_name, null, comment from duckdb_tables() where schema_name = 'marts'"
            " union all select table_name, column_name, comment from duckdb_columns()"
            " where schema_name = 'marts'"
        ).fetchall()
    found = {(table, column): (comment or "").strip() for table, column, comment in tables}
    assert ("dim_customers", "lifetime_spend") in found
    assert found == {key: expected[key] for key in found}


def test_a_writer_fails_on_a_file_a_reader_holds_open(small_warehouse, tmp_path):
    """The problem the swap solves: DuckDB's lock stops any writer (a plain `dbt build` into the
    file included) while a reader has the file open."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, warehouse)
    writer = f"import duckdb; duckdb.connect({str(warehouse)!r}).execute('create table t (x int)')"
    with duckdb.connect(str(warehouse), read_only=True):
        completed = run([sys.executable, "-c", writer], dbt_env(warehouse, tmp_path))
    assert completed.returncode != 0
    assert "Conflicting lock is held" in completed.stderr


def test_build_swap_replaces_the_warehouse_while_a_reader_holds_it_open(small_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, warehouse)
    variables = write_inputs(tmp_path / "input", with_new_customer=True)
    command = [*BUILD_SWAP, *QUICK_BUILD, *dbt_paths(tmp_path), "--vars", json.dumps(variables)]
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        before = reader.execute("select count(*) from marts.dim_customers").fetchone()[0]
        completed = run(command, dbt_env(warehouse, tmp_path))
        assert completed.returncode == 0, completed.stdout + completed.stderr
        # The open reader keeps its (old) build; it is not broken by the swap.
        assert reader.execute("select count(*) from marts.dim_customers").fetchone()[0] == before
    finally:
        reader.close()
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.dim_customers").fetchone()[0] == (
            before + 1
        )
        # Views still resolve in the swapped-in file (the catalog is named after the file).
        cleaned = "select count(*) from intermediate.int_order_lines_cleaned"
        assert connection.execute(cleaned).fetchone()[0] > 0
    # The build directory is gone; the lock file beside it stays (warehouse_lock.py).
    assert [path.name for path in (tmp_path / ".warehouse-build").iterdir()] == [
        "warehouse.duckdb.lock"
    ]
    assert not (tmp_path / "warehouse.duckdb.wal").exists()


def test_build_swap_carries_the_snapshots_and_nothing_else_into_the_new_build(
    small_warehouse, tmp_path
):
    """A snapshot's past exists only in the warehouse, so the swap keeps the schema `snapshots`;
    anything else in the old file that dbt does not build again is gone."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table snapshots.earlier_snapshot as select 42 as kept")
        connection.execute("create table marts.left_over as select 1 as dropped")
    variables = write_inputs(tmp_path / "input")
    command = [*BUILD_SWAP, *QUICK_BUILD, *dbt_paths(tmp_path), "--vars", json.dumps(variables)]
    completed = run(command, dbt_env(warehouse, tmp_path))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select kept from snapshots.earlier_snapshot").fetchall() == [
            (42,)
        ]
        tables = connection.sql("select schema_name, table_name from duckdb_tables()").fetchall()
        versions = "select count(*) from snapshots.snap_customer_segments"
        assert connection.execute(versions).fetchone()[0] > 0
    assert ("marts", "left_over") not in tables


def test_a_failed_build_leaves_the_warehouse_as_it_was(small_warehouse, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, warehouse)
    before = warehouse.read_bytes()
    variables = {"online_retail_path": str(tmp_path / "missing.csv")}
    completed = run(
        [*BUILD_SWAP, *QUICK_BUILD, *dbt_paths(tmp_path), "--vars", json.dumps(variables)],
        dbt_env(warehouse, tmp_path),
    )
    assert completed.returncode != 0
    assert "is unchanged" in completed.stderr
    assert warehouse.read_bytes() == before


def test_make_build_goes_through_the_swap():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    recipe = makefile.split("\ndbt-build:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/build_swap.py build" in recipe


def test_a_command_that_writes_no_duckdb_file_swaps_nothing(small_warehouse, tmp_path):
    """E.g. `make build` with DBT_TARGET=spark: the DuckDB warehouse must not become empty (nor
    hold only the snapshots the swap carried into the new file)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        snapshot = "select count(*) from snapshots.snap_customer_segments"
        assert connection.execute(snapshot).fetchone()[0] > 0
    before = warehouse.read_bytes()
    completed = run(
        [*BUILD_SWAP, "ls", "-s", "dim_customers", *dbt_paths(tmp_path)],
        dbt_env(warehouse, tmp_path),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "wrote no DuckDB file" in completed.stdout
    assert warehouse.read_bytes() == before

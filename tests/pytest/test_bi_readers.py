"""What a BI reader sees when a build is swapped in, for a single connection and for pooled ones,
and every command next to a reader that holds the warehouse open or polls it
(docs/bi-access-and-safe-builds.md)."""

import sys

import duckdb
import pytest
from dbt_project_runner import PROJECT_DIR
from small_warehouse import run, write_inputs
from warehouse_commands import (
    Poller,
    build_swap_command,
    command_env,
    make_command,
    make_quick,
)

CUSTOMERS = "select count(*) from marts.dim_customers"


def count(connection) -> int:
    return connection.execute(CUSTOMERS).fetchone()[0]


def swap_in_a_new_customer(warehouse, work_dir) -> None:
    variables = write_inputs(work_dir / "input", with_new_customer=True)
    completed = run(build_swap_command(work_dir / "build", variables),
                    command_env(warehouse, work_dir))  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr


def attach_read_only(warehouse) -> duckdb.DuckDBPyConnection:
    """The pooled-reader connection of the docs: an in-memory database of its own that attaches
    the warehouse read-only, under the catalog name the file gives it."""
    connection = duckdb.connect()
    connection.execute("attach ? (read_only)", [str(warehouse)])
    connection.execute("use warehouse")
    return connection


# --- what a reader sees after a swap ------------------------------------------------------------


def test_a_connection_open_through_a_swap_reads_the_old_build_until_it_closes(
    warehouse_copy, tmp_path
):
    reader = duckdb.connect(str(warehouse_copy), read_only=True)
    before = count(reader)
    swap_in_a_new_customer(warehouse_copy, tmp_path)
    assert count(reader) == before
    reader.close()
    with duckdb.connect(str(warehouse_copy), read_only=True) as reopened:
        assert count(reopened) == before + 1


def test_a_new_plain_connection_reads_the_old_build_while_another_one_is_open(
    warehouse_copy, tmp_path
):
    """DuckDB keeps one database per file and process while any connection to it is open, and a
    new duckdb.connect(path) joins it: a pool of plain connections keeps the old build."""
    pooled = duckdb.connect(str(warehouse_copy), read_only=True)
    before = count(pooled)
    swap_in_a_new_customer(warehouse_copy, tmp_path)
    with duckdb.connect(str(warehouse_copy), read_only=True) as new_connection:
        assert count(new_connection) == before
    pooled.close()
    with duckdb.connect(str(warehouse_copy), read_only=True) as after_all_closed:
        assert count(after_all_closed) == before + 1


def test_a_pooled_connection_that_attaches_the_file_reads_the_new_build(warehouse_copy, tmp_path):
    pooled = attach_read_only(warehouse_copy)
    before = count(pooled)
    swap_in_a_new_customer(warehouse_copy, tmp_path)
    new_connection = attach_read_only(warehouse_copy)
    try:
        assert count(new_connection) == before + 1
        assert count(pooled) == before  # an open connection keeps its build
        # Views resolve too: the catalog has the name they were created under.
        views = "select count(*) from intermediate.int_order_lines_cleaned"
        assert new_connection.execute(views).fetchone()[0] > 0
    finally:
        new_connection.close()
        pooled.close()


# --- every command next to a reader -------------------------------------------------------------


@pytest.fixture
def linked_project(tmp_path):
    """A directory of links to the project with a target/ of its own: `make metrics` runs
    MetricFlow, which reads target/ under the directory it runs in."""
    project = tmp_path / "project"
    project.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in {"target", "logs", ".git"}:
            (project / entry.name).symlink_to(entry)
    (tmp_path / "target").mkdir()
    (project / "target").symlink_to(tmp_path / "target")
    return project


def read_only_commands(warehouse, tmp_path, swapped_build, linked_project):
    other = tmp_path / "other.duckdb"
    other.write_bytes(warehouse.read_bytes())
    manifest = swapped_build[1] / "target" / "manifest.json"
    diff = [sys.executable, str(PROJECT_DIR / "scripts" / "warehouse_diff.py")]
    return {
        "docs": make_command("docs"),
        "metrics": make_command("metrics", project_dir=linked_project),
        "report": make_command("report", REPORT=str(tmp_path / "report.html")),
        "export": make_command("export", PARQUET_DIR=str(tmp_path / "parquet")),
        "diff": [*diff, "--compare", str(other), str(warehouse), "--manifest", str(manifest)],
    }


@pytest.mark.parametrize("name", ["docs", "metrics", "report", "export", "diff"])
def test_a_read_only_command_works_next_to_a_reader_that_holds_the_file_open(
    name, warehouse_copy, tmp_path, swapped_build, linked_project
):
    command = read_only_commands(warehouse_copy, tmp_path, swapped_build, linked_project)[name]
    env = command_env(warehouse_copy, tmp_path, swapped_build[2])
    before = warehouse_copy.read_bytes()
    with duckdb.connect(str(warehouse_copy), read_only=True) as reader:
        completed = run(command, env)
        assert count(reader) == 9
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert warehouse_copy.read_bytes() == before, f"make {name} wrote to the warehouse"


def test_make_load_works_next_to_a_reader_that_holds_the_file_open_and_one_that_polls(
    warehouse_copy, tmp_path, swapped_build
):
    """A load with no new file still rebuilds the order-level models: it writes."""
    variables = swapped_build[2]
    inode = warehouse_copy.stat().st_ino
    poller = Poller(warehouse_copy, tmp_path)
    try:
        with duckdb.connect(str(warehouse_copy), read_only=True) as reader:
            completed = run(make_quick("load", tmp_path, variables),
                            command_env(warehouse_copy, tmp_path, variables))  # fmt: skip
            assert count(reader) == 9
    finally:
        polled = poller.stop()
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert polled["errors"] == [] and polled["polls"] > 10
    assert warehouse_copy.stat().st_ino != inode


def test_make_docs_without_a_warehouse_names_the_file(tmp_path):
    """Read-only cannot create the file: the command stops first, naming it."""
    missing = tmp_path / "not built.duckdb"
    completed = run(make_command("docs"), command_env(missing, tmp_path))
    assert completed.returncode != 0
    assert str(missing) in completed.stderr and "make build" in completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert not missing.exists()

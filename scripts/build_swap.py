"""Runs a dbt command into a fresh DuckDB file, then swaps it in place of the warehouse.

A BI tool that holds the warehouse open (even read-only) keeps a lock on the file, and a dbt
run writing to that same file would stop with "Conflicting lock is held". So the build goes
to `<dir>/.warehouse-build/<name>`, a new file with the same name (DuckDB names the catalog
after the file, so views and qualified names stay valid), and only when dbt succeeds is it
renamed over the warehouse (an atomic rename on the same file system). Readers that had the
old file open keep reading the old build until they reconnect; new connections see the new one.

When dbt fails, the warehouse is left as it was and the failed build stays in the build
directory for inspection (its path is printed).

    python scripts/build_swap.py [--copy-current] build [dbt arguments...]

--copy-current starts the new file as a copy of the current warehouse, for a dbt command that
builds only part of the project (`--select state:modified+` in slim CI) and needs the rest.

Without it, the new file starts with the current warehouse's snapshots (schema `snapshots`)
and nothing else: a snapshot's past versions exist only there and cannot be rebuilt from the
inputs, while everything else is rebuilt by dbt.

The warehouse is WAREHOUSE_DUCKDB_PATH (default warehouse.duckdb, relative to the current
directory), as in profiles/profiles.yml.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

BUILD_DIR_NAME = ".warehouse-build"
# The schema of every dbt snapshot (dbt_project.yml, `snapshots: +schema`).
SNAPSHOT_SCHEMA = "snapshots"


def build_path_for(warehouse: Path) -> Path:
    return warehouse.parent / BUILD_DIR_NAME / warehouse.name


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def snapshot_tables(warehouse: Path) -> list[str]:
    """The tables in the warehouse's snapshot schema."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by table_name",
            [SNAPSHOT_SCHEMA],
        ).fetchall()
    return [name for (name,) in rows]


def carry_snapshots_forward(warehouse: Path, build: Path, tables: list[str]) -> None:
    """Starts the new file with a copy of the current warehouse's snapshot tables."""
    with duckdb.connect(str(build)) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(f"attach '{warehouse}' as current_build (read_only)")
        connection.execute(f'create schema "{SNAPSHOT_SCHEMA}"')
        for name in tables:
            connection.execute(
                f'create table "{SNAPSHOT_SCHEMA}"."{name}" as'
                f' select * from current_build."{SNAPSHOT_SCHEMA}"."{name}"'
            )


def holds_only_snapshots(build: Path) -> bool:
    """True when dbt added nothing to a file that started with the carried snapshots."""
    with duckdb.connect(str(build), read_only=True) as connection:
        (relations,) = connection.execute(
            "select (select count(*) from duckdb_tables() where schema_name <> $1)"
            " + (select count(*) from duckdb_views() where not internal and schema_name <> $1)",
            [SNAPSHOT_SCHEMA],
        ).fetchone()
    return relations == 0


def swap_in(build: Path, warehouse: Path) -> None:
    """Checkpoints the new file (so no WAL is left behind) and renames it over the warehouse."""
    with duckdb.connect(str(build)) as connection:
        connection.execute("checkpoint")
    build_wal = Path(str(build) + ".wal")
    if build_wal.exists():
        raise SystemExit(f"build_swap: {build_wal} still exists after a checkpoint; not swapping.")
    warehouse_wal = Path(str(warehouse) + ".wal")
    if warehouse_wal.exists():
        # A WAL beside the warehouse belongs to the old file (a writer has it open or crashed);
        # replaying it onto the new file would corrupt it.
        raise SystemExit(
            f"build_swap: {warehouse_wal} exists: another process is writing to {warehouse} or "
            "one crashed. Close it (or open the file once to replay the WAL) and run again. "
            f"The new build is in {build}."
        )
    os.replace(build, warehouse)


def main(argv: list[str]) -> int:
    copy_current = bool(argv) and argv[0] == "--copy-current"
    if copy_current:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    warehouse = Path(os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")).absolute()
    build = build_path_for(warehouse)
    if build.parent.exists():
        shutil.rmtree(build.parent)
    build.parent.mkdir(parents=True)
    if copy_current and warehouse.exists():
        # Copied through DuckDB (not as bytes) so that a reader's open handle does not matter.
        with duckdb.connect(str(build)) as connection:
            connection.execute(f"attach '{warehouse}' as current_build (read_only)")
            connection.execute(f"copy from database current_build to {build.stem}")
    carried = [] if copy_current or not warehouse.exists() else snapshot_tables(warehouse)
    if carried:
        carry_snapshots_forward(warehouse, build, carried)
        print(f"build_swap: carried the snapshots {', '.join(carried)} into the new build.")
    env = {**os.environ, "WAREHOUSE_DUCKDB_PATH": str(build)}
    completed = subprocess.run([dbt_executable(), *argv], env=env, check=False)
    if completed.returncode != 0:
        print(
            f"build_swap: dbt failed (exit {completed.returncode}); {warehouse} is unchanged. "
            f"The failed build is in {build}.",
            file=sys.stderr,
        )
        return completed.returncode
    if not build.exists() or (carried and holds_only_snapshots(build)):
        # Another target (DBT_TARGET=spark) or a command that writes nothing: nothing to swap.
        shutil.rmtree(build.parent, ignore_errors=True)
        print(f"build_swap: dbt wrote no DuckDB file; {warehouse} is unchanged.")
        return 0
    swap_in(build, warehouse)
    shutil.rmtree(build.parent, ignore_errors=True)
    print(f"build_swap: the new build replaced {warehouse}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

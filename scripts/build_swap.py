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


def build_path_for(warehouse: Path) -> Path:
    return warehouse.parent / BUILD_DIR_NAME / warehouse.name


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


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
    env = {**os.environ, "WAREHOUSE_DUCKDB_PATH": str(build)}
    completed = subprocess.run([dbt_executable(), *argv], env=env, check=False)
    if completed.returncode != 0:
        print(
            f"build_swap: dbt failed (exit {completed.returncode}); {warehouse} is unchanged. "
            f"The failed build is in {build}.",
            file=sys.stderr,
        )
        return completed.returncode
    if not build.exists():
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

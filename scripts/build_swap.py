"""Runs a dbt command into a new DuckDB file, then swaps it in place of the warehouse.

A BI tool that holds the warehouse open (even read-only) keeps a lock on the file, and a dbt
run writing to that same file would stop with "Conflicting lock is held". So the build goes to
`<dir>/.warehouse-build/<name>.build/<name>`, a new file with the same name (DuckDB names the
catalog after the file, so views and qualified names stay valid), and only when dbt succeeds is
it renamed over the warehouse (an atomic rename on the same file system): a kill at any moment
leaves the previous warehouse whole. What readers see after a swap (single and pooled
connections) is in docs/bi-access-and-safe-builds.md.

One build at a time per warehouse: a second command waits for the first (warehouse_lock.py,
WAREHOUSE_LOCK_TIMEOUT). When dbt fails, the warehouse is left as it was and the failed build
stays in the build directory for inspection (its path is printed) until the next build.

    python scripts/build_swap.py [--copy-current] build [dbt arguments...]

--copy-current starts the new file as a copy of the current warehouse, for a dbt command that
builds on what the warehouse holds: a monthly load (`make load`: the incremental models read
only the files they do not hold yet) or a part of the project (`--select state:modified+` in
slim CI). The copy is a byte copy when the file is in the configured storage format, else DuckDB
copies it into a file of that format.

Without it, the new file starts with the current warehouse's snapshots (schema `snapshots`)
and nothing else: a snapshot's past versions exist only there and cannot be rebuilt from the
inputs, while everything else is rebuilt by dbt.

The warehouse and the options DuckDB opens it with are those of the DuckDB target of
profiles/profiles.yml (WAREHOUSE_DUCKDB_PATH, default warehouse.duckdb relative to the current
directory); with another target (`--target spark`) dbt runs as it is and nothing is swapped.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from duckdb_limits import check_spill_directory, failure_hints
from warehouse_lock import LockNotAcquired, timeout_seconds, warehouse_lock
from warehouse_profile import duckdb_target

BUILD_DIR_NAME = ".warehouse-build"
# The schema of every dbt snapshot (dbt_project.yml, `snapshots: +schema`).
SNAPSHOT_SCHEMA = "snapshots"
# dbt-duckdb 1.11 writes the catalog name (the file name) into SQL string literals unescaped.
UNSAFE_IN_FILE_NAME = ("'", '"')
# The DuckDB file header: b"DUCK" at byte 8, then the storage version (8 bytes, little-endian).
MAGIC_OFFSET, VERSION_OFFSET = 8, 12
LOCK_GIVEN_UP_EXIT = 75  # EX_TEMPFAIL: try again later


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def option_value(argv: list[str], *names: str) -> str | None:
    """The value of a dbt option (`--target spark`, `--target=spark`, `-t spark`) in argv."""
    for index, argument in enumerate(argv):
        for name in names:
            if argument == name and index + 1 < len(argv):
                return argv[index + 1]
            if argument.startswith(name + "="):
                return argument.split("=", 1)[1]
    return None


def check_file_name(warehouse: Path) -> None:
    unsafe = [character for character in UNSAFE_IN_FILE_NAME if character in warehouse.name]
    if unsafe:
        raise SystemExit(
            f"build_swap: the warehouse file name {warehouse.name!r} (WAREHOUSE_DUCKDB_PATH) holds "
            f"{' and '.join(unsafe)}. DuckDB names the database after the file and dbt-duckdb "
            "puts that name into SQL unescaped, so dbt would fail. Choose a file name without "
            "quotes (spaces and hyphens are fine, and the folders may hold anything)."
        )


def connection_config(config: dict) -> dict:
    """The profile's options for a connection of this script (read-only or not is its own)."""
    return {key: value for key, value in config.items() if key != "access_mode"}


def refuse_if_wal(warehouse: Path, build: Path | None = None) -> None:
    warehouse_wal = Path(str(warehouse) + ".wal")
    if warehouse_wal.exists():
        # A WAL beside the warehouse belongs to the old file (a writer has it open or crashed);
        # a copy without it would lose its changes, and replaying it onto a new file corrupts it.
        kept = f" The new build is in {build}." if build else ""
        raise SystemExit(
            f"build_swap: {warehouse_wal} exists: another process is writing to {warehouse} or "
            f"one crashed. Close it (or open the file once to replay the WAL) and run again.{kept}"
        )


def storage_version(path: Path) -> int:
    with path.open("rb") as file:
        header = file.read(VERSION_OFFSET + 8)
    if header[MAGIC_OFFSET:VERSION_OFFSET] != b"DUCK":
        raise SystemExit(f"build_swap: {path} is not a DuckDB database file.")
    return int.from_bytes(header[VERSION_OFFSET:], "little")


def configured_storage_version(build_dir: Path, config: dict) -> int:
    """The storage version DuckDB gives a new file with the profile's options."""
    probe = build_dir / "storage-version-probe.duckdb"
    duckdb.connect(str(probe), config=config).close()
    version = storage_version(probe)
    probe.unlink()
    return version


def copy_current(warehouse: Path, build: Path, config: dict) -> None:
    """Starts the new file as a copy of the warehouse, in the configured storage format."""
    started = time.monotonic()
    # The read-only connection holds DuckDB's shared lock through the copy: no writer can
    # change the file meanwhile, and one that holds it now makes this fail with DuckDB's message.
    with duckdb.connect(str(warehouse), read_only=True, config=config):
        same_format = storage_version(warehouse) == configured_storage_version(build.parent, config)
        if same_format:
            shutil.copyfile(warehouse, build)
    if not same_format:
        # Once: an older warehouse in another format (e.g. before storage_compatibility_version).
        with duckdb.connect(str(build), config=config) as connection:
            connection.execute("attach ? as current_build (read_only)", [str(warehouse)])
            (catalog,) = connection.execute("select current_database()").fetchone()
            connection.execute(f"copy from database current_build to {quoted(catalog)}")
    how = "byte copy" if same_format else "copied by DuckDB into the configured storage format"
    print(
        f"build_swap: started the new build as a copy of {warehouse} ({how}, "
        f"{warehouse.stat().st_size / 1e6:,.0f} MB in {time.monotonic() - started:.1f} s)."
    )


def snapshot_tables(warehouse: Path, config: dict) -> list[str]:
    """The tables in the warehouse's snapshot schema."""
    with duckdb.connect(str(warehouse), read_only=True, config=config) as connection:
        rows = connection.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by table_name",
            [SNAPSHOT_SCHEMA],
        ).fetchall()
    return [name for (name,) in rows]


def carry_snapshots_forward(warehouse: Path, build: Path, tables: list[str], config: dict) -> None:
    """Starts the new file with a copy of the current warehouse's snapshot tables."""
    schema = quoted(SNAPSHOT_SCHEMA)
    with duckdb.connect(str(build), config=config) as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute("attach ? as current_build (read_only)", [str(warehouse)])
        connection.execute(f"create schema {schema}")
        for name in tables:
            connection.execute(
                f"create table {schema}.{quoted(name)} as"
                f" select * from current_build.{schema}.{quoted(name)}"
            )


def holds_only_snapshots(build: Path, config: dict) -> bool:
    """True when dbt added nothing to a file that started with the carried snapshots."""
    with duckdb.connect(str(build), read_only=True, config=config) as connection:
        (relations,) = connection.execute(
            "select (select count(*) from duckdb_tables() where schema_name <> $1)"
            " + (select count(*) from duckdb_views() where not internal and schema_name <> $1)",
            [SNAPSHOT_SCHEMA],
        ).fetchone()
    return relations == 0


def run_dbt(argv: list[str], build: Path, lock_descriptor: int, config: dict) -> int:
    """Runs dbt on the new file, its output passed through; adds the project's hints to DuckDB's
    memory and spill errors."""
    env = {**os.environ, "WAREHOUSE_DUCKDB_PATH": str(build)}
    process = subprocess.Popen(
        [dbt_executable(), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        pass_fds=(lock_descriptor,),
    )
    errors = []
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if "Error" in line:
            errors.append(line)
    returncode = process.wait()
    if returncode != 0:
        for hint in failure_hints(errors, config):
            print(hint, file=sys.stderr)
    return returncode


def swap_in(build: Path, warehouse: Path, config: dict) -> None:
    """Checkpoints the new file (so no WAL is left behind) and renames it over the warehouse."""
    with duckdb.connect(str(build), config=config) as connection:
        connection.execute("checkpoint")
    build_wal = Path(str(build) + ".wal")
    if build_wal.exists():
        raise SystemExit(f"build_swap: {build_wal} still exists after a checkpoint; not swapping.")
    refuse_if_wal(warehouse, build)
    os.replace(build, warehouse)


def build_and_swap(warehouse: Path, argv: list[str], copy: bool, config: dict) -> int:
    build_dir = warehouse.parent / BUILD_DIR_NAME / f"{warehouse.name}.build"
    build = build_dir / warehouse.name
    lock_file = warehouse.parent / BUILD_DIR_NAME / f"{warehouse.name}.lock"
    with warehouse_lock(lock_file, warehouse, timeout_seconds()) as lock_descriptor:
        # Holding the lock, this is the only command using the build directory: what is in it
        # is a failed or killed build, kept for inspection until now.
        shutil.rmtree(build_dir, ignore_errors=True)
        build_dir.mkdir(parents=True)
        carried = []
        if warehouse.exists():
            refuse_if_wal(warehouse)
            if copy:
                copy_current(warehouse, build, config)
            else:
                carried = snapshot_tables(warehouse, config)
        if carried:
            carry_snapshots_forward(warehouse, build, carried, config)
            print(f"build_swap: carried the snapshots {', '.join(carried)} into the new build.")
        returncode = run_dbt(argv, build, lock_descriptor, config)
        if returncode != 0:
            print(
                f"build_swap: dbt failed (exit {returncode}); {warehouse} is unchanged. "
                f"The failed build is in {build}.",
                file=sys.stderr,
            )
            return returncode
        if not build.exists() or (carried and holds_only_snapshots(build, config)):
            # A command that writes nothing (dbt ls, or a selection that builds nothing).
            shutil.rmtree(build_dir, ignore_errors=True)
            print(f"build_swap: dbt wrote no DuckDB file; {warehouse} is unchanged.")
            return 0
        swap_in(build, warehouse, config)
        shutil.rmtree(build_dir, ignore_errors=True)
    print(f"build_swap: the new build replaced {warehouse}.")
    return 0


def main(argv: list[str]) -> int:
    copy = bool(argv) and argv[0] == "--copy-current"
    if copy:
        argv = argv[1:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    profiles_dir = option_value(argv, "--profiles-dir")
    target = duckdb_target(
        Path.cwd(),
        Path(profiles_dir) if profiles_dir else None,
        option_value(argv, "--target", "-t"),
    )
    if target is None:
        print("build_swap: the target is not DuckDB; running dbt without a swap.")
        return subprocess.run([dbt_executable(), *argv], check=False).returncode
    warehouse = target.path.absolute()
    check_file_name(warehouse)
    config = connection_config(target.config)
    check_spill_directory(config)
    try:
        return build_and_swap(warehouse, argv, copy, config)
    except LockNotAcquired as refused:
        print(refused, file=sys.stderr)
        return LOCK_GIVEN_UP_EXIT
    except KeyboardInterrupt:
        print(f"build_swap: interrupted; {warehouse} is unchanged.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Builds and loads that cannot lose work: one at a time per warehouse (the second waits or gives
up with a message), `make load` through the same build-and-swap as `make build` (a kill at any
moment leaves the previous warehouse whole, and loads stay incremental), and clear errors for
paths, memory and spill settings (docs/bi-access-and-safe-builds.md)."""

import os
import re
import signal
import sys

import duckdb
import pytest
from dbt_project_runner import ECOMMERCE_HEADER, PROJECT_DIR, write_csv
from small_warehouse import ECOMMERCE_ROWS, NEW_ECOMMERCE_ROWS, dbt_env, run, write_inputs
from warehouse_commands import (
    build_swap_command,
    command_env,
    kill_group,
    make_command,
    make_quick,
    read_until,
    start,
)

LOCK_VAR = "WAREHOUSE_LOCK_TIMEOUT"


def customers(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute("select count(*) from marts.dim_customers").fetchone()[0]


def dbt_started(line: str) -> bool:
    return "Running with dbt" in line


# --- one build at a time -----------------------------------------------------------------------


def test_a_second_build_waits_for_the_first_and_both_land(warehouse_copy, tmp_path):
    variables = write_inputs(tmp_path / "input", with_new_customer=True)
    env = command_env(warehouse_copy, tmp_path)
    first = start(build_swap_command(tmp_path / "first", variables), env)
    first_output = read_until(first, dbt_started)
    second = start(build_swap_command(tmp_path / "second", variables), env)
    first_output += first.communicate()[0]
    second_output = second.communicate()[0]

    assert first.returncode == 0, first_output
    assert second.returncode == 0, second_output
    for output in (first_output, second_output):
        assert "the new build replaced" in output
        assert "wrote no DuckDB file" not in output
    assert "waiting" in second_output and LOCK_VAR in second_output
    assert customers(warehouse_copy) == 10


def test_two_builds_started_at_the_same_instant_give_no_traceback(warehouse_copy, tmp_path):
    variables = write_inputs(tmp_path / "input", with_new_customer=True)
    env = command_env(warehouse_copy, tmp_path)
    processes = [
        start(build_swap_command(tmp_path / name, variables), env) for name in ("one", "two")
    ]
    outputs = [process.communicate()[0] for process in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert "Traceback" not in output
        assert process.returncode == 0, output
    assert sum("waiting" in output for output in outputs) == 1
    assert customers(warehouse_copy) == 10


def test_a_second_build_gives_up_with_a_message_after_the_lock_timeout(warehouse_copy, tmp_path):
    variables = write_inputs(tmp_path / "input", with_new_customer=True)
    first = start(build_swap_command(tmp_path / "first", variables),
                  command_env(warehouse_copy, tmp_path))  # fmt: skip
    first_output = read_until(first, dbt_started)
    second = run(
        build_swap_command(tmp_path / "second", variables),
        command_env(warehouse_copy, tmp_path, **{LOCK_VAR: "0"}),
    )
    first_output += first.communicate()[0]

    assert second.returncode != 0
    message = second.stdout + second.stderr
    assert "Traceback" not in message and "Running with dbt" not in message
    assert LOCK_VAR in message and f"pid {first.pid}" in message
    assert first.returncode == 0, first_output
    assert customers(warehouse_copy) == 10


def test_a_killed_build_swap_keeps_the_lock_until_its_dbt_run_has_ended(warehouse_copy, tmp_path):
    """dbt inherits the lock: no later build may delete the files an orphaned dbt still writes."""
    before = warehouse_copy.read_bytes()
    variables = write_inputs(tmp_path / "input", with_new_customer=True)
    env = command_env(warehouse_copy, tmp_path)
    first = start(build_swap_command(tmp_path / "first", variables), env)
    read_until(first, dbt_started)
    os.kill(first.pid, signal.SIGKILL)  # build_swap alone: its dbt goes on
    first.wait()
    second = run(build_swap_command(tmp_path / "second", variables), {**env, LOCK_VAR: "0"})
    first.communicate()  # the orphaned dbt has closed its output: it has ended

    assert second.returncode != 0
    assert LOCK_VAR in second.stderr and "Running with dbt" not in second.stdout
    assert (tmp_path / ".warehouse-build" / "warehouse.duckdb.build" / "warehouse.duckdb").exists()
    assert warehouse_copy.read_bytes() == before, "nobody swaps an orphaned build in"


# --- make load: build and swap ------------------------------------------------------------------


@pytest.fixture
def january_warehouse(tmp_path):
    """A warehouse of its own that holds January, and the input folder February is added to."""
    variables = write_inputs(tmp_path / "input")
    warehouse = tmp_path / "warehouse.duckdb"
    completed = run(build_swap_command(tmp_path / "january", variables),
                    command_env(warehouse, tmp_path))  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    february = tmp_path / "input" / "ecommerce" / "sales_2021_02.csv"
    write_csv(february, ECOMMERCE_HEADER, [row.replace("2021-01", "2021-02") for row in
                                           ECOMMERCE_ROWS[:1] + NEW_ECOMMERCE_ROWS])  # fmt: skip
    return warehouse, variables


def ecommerce_lines_by_file(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select regexp_extract(source_file, 'sales_[0-9_]+'), count(*)"
            " from intermediate.int_order_lines where store_id = 'ecommerce'"
            " group by 1 order by 1"
        ).fetchall()


def test_kill_9_during_make_load_leaves_the_warehouse_whole_and_a_load_then_lands(
    january_warehouse, tmp_path
):
    """Killed once the lines have loaded the new month (in place, int_order_lines would hold
    February and the marts January); the next load reads only the new month and swaps its build
    in."""
    warehouse, variables = january_warehouse
    before, inode = warehouse.read_bytes(), warehouse.stat().st_ino
    env = command_env(warehouse, tmp_path / "load", variables)
    load = start(make_quick("load", tmp_path / "load", variables), env)
    read_until(load, lambda line: "OK created" in line and "int_order_lines " in line)
    kill_group(load)

    assert warehouse.read_bytes() == before
    assert not (tmp_path / "warehouse.duckdb.wal").exists()

    completed = run(make_quick("load", tmp_path / "load", variables), env)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "the new build replaced" in completed.stdout
    assert warehouse.stat().st_ino != inode, "the load wrote into the warehouse file itself"
    assert ecommerce_lines_by_file(warehouse) == [("sales_2021_01", 4), ("sales_2021_02", 2)]
    assert customers(warehouse) == 10
    # Incremental: the lines model's SQL leaves out the files it already holds.
    compiled_dir = tmp_path / "load" / "target" / "compiled"
    compiled = next(compiled_dir.rglob("int_order_lines.sql"))
    excluded = re.search(r"where source_file not in \((.*?)\)", compiled.read_text(), re.DOTALL)
    assert excluded
    ecommerce_files = [f for f in re.findall(r"'([^']+)'", excluded.group(1)) if "sales_" in f]
    assert ecommerce_files == [str(tmp_path / "input" / "ecommerce" / "sales_2021_01.csv")]


def test_make_build_and_load_share_the_build_and_swap():
    makefile = PROJECT_DIR / "Makefile"
    recipes = {}
    for block in makefile.read_text().split("\n\n"):
        for target in ("dbt-build", "load"):
            if block.startswith(f"{target}:") or f"\n{target}:" in block:
                recipes[target] = block.split(f"{target}:", 1)[1]
    assert "scripts/build_swap.py build" in recipes["dbt-build"]
    assert "scripts/build_swap.py --copy-current build" in recipes["load"]


# --- paths ---------------------------------------------------------------------------------------

AWKWARD = "it's a-dir 1"


def test_every_path_may_hold_spaces_quotes_and_hyphens(tmp_path):
    root = tmp_path / AWKWARD
    variables = write_inputs(root / "in put's-1")
    warehouse = root / "ware house's-dir 1" / "ware house-1.duckdb"
    warehouse.parent.mkdir(parents=True)
    work = root / "dbt's work-1"
    env = command_env(warehouse, work, variables, WAREHOUSE_TEMP_DIR=str(root / "spill's dir-1"))

    # The second build carries the first's snapshots forward; a load copies the warehouse.
    for step, command in [
        ("build", make_quick("build", work, variables)),
        ("build again", make_quick("build", work, variables)),
        ("load", make_quick("load", work, variables)),
        ("slim-ci state", make_command("slim-ci-state", STATE_DIR=str(root / "state's dir-1"))),
        ("slim-ci", make_quick("slim-ci", work, variables, STATE_DIR=str(root / "state's dir-1"))),
        ("export", make_command("export", PARQUET_DIR=str(root / "parquet's dir-1"))),
        ("report", make_command("report", REPORT=str(root / "report's dir-1" / "r e'p-1.html"))),
    ]:
        completed = run(command, env)
        assert completed.returncode == 0, f"{step}:\n{completed.stdout}\n{completed.stderr}"
    assert customers(warehouse) == 9
    assert (root / "parquet's dir-1" / "marts" / "dim_customers.parquet").exists()
    assert (root / "report's dir-1" / "r e'p-1.html").exists()
    assert not list(warehouse.parent.glob("*.wal"))


def test_a_quote_in_the_warehouse_file_name_is_refused_with_the_reason(tmp_path, swapped_build):
    variables = swapped_build[2]
    warehouse = tmp_path / "it's.duckdb"
    completed = run(build_swap_command(tmp_path, variables), command_env(warehouse, tmp_path))
    message = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "Running with dbt" not in message and "Traceback" not in message
    assert "it's.duckdb" in message and "WAREHOUSE_DUCKDB_PATH" in message


# --- memory and spill ---------------------------------------------------------------------------


def test_too_small_a_memory_limit_names_the_setting_and_a_value_that_works(tmp_path):
    """On the bundled data (the small input fits in any limit)."""
    warehouse = tmp_path / "warehouse.duckdb"
    quick_bundled = build_swap_command(tmp_path, {})
    quick_bundled = quick_bundled[: quick_bundled.index("--vars")]
    env = {**dbt_env(warehouse, tmp_path), "WAREHOUSE_MEMORY_LIMIT": "350MB"}
    completed = run(quick_bundled, env)
    assert completed.returncode != 0
    message = completed.stdout + completed.stderr
    suggested = re.search(r"WAREHOUSE_MEMORY_LIMIT=(\d+\w+)", message)
    assert suggested, message[-3000:]
    assert "350MB" in message

    retried = run(quick_bundled, {**env, "WAREHOUSE_MEMORY_LIMIT": suggested.group(1)})
    assert retried.returncode == 0, retried.stdout[-3000:]


def test_an_unusable_spill_directory_is_named_before_the_build_starts(warehouse_copy, tmp_path):
    before = warehouse_copy.read_bytes()
    not_a_directory = tmp_path / "a file"
    not_a_directory.write_text("")
    variables = write_inputs(tmp_path / "input")
    env = command_env(warehouse_copy, tmp_path, WAREHOUSE_TEMP_DIR=str(not_a_directory / "spill"))
    completed = run(build_swap_command(tmp_path, variables), env)
    message = completed.stdout + completed.stderr
    assert completed.returncode != 0
    assert "Running with dbt" not in message and "Traceback" not in message
    assert "WAREHOUSE_TEMP_DIR" in message and str(not_a_directory / "spill") in message
    assert warehouse_copy.read_bytes() == before


def test_a_spill_failure_during_the_build_names_the_setting():
    """DuckDB's own message for a spill directory that fails mid-build (e.g. a full disk)."""
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    import duckdb_limits

    output = [
        '  IO Error: Could not write file "/data/spill/duckdb_temp_storage-0.tmp": '
        "No space left on device\n"
    ]
    hints = duckdb_limits.failure_hints(output, {"temp_directory": "/data/spill"})
    assert any("WAREHOUSE_TEMP_DIR" in hint and "/data/spill" in hint for hint in hints)
    assert duckdb_limits.failure_hints(["Compilation Error in model x\n"], {}) == []

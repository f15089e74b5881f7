"""Monthly loads: adding a month to an incremental build gives the same warehouse as a full build.

The feed is the project's generator output (twelve monthly files, with its planted duplicates
and dirty lines), plus one line of November delivered again in December's file: a duplicate
that only a check against the lines already loaded can find.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import DBT, ONLINE_RETAIL_HEADER, PROJECT_DIR, write_csv
from small_warehouse import ONLINE_RETAIL_ROWS, QUICK_BUILD, dbt_env, dbt_paths, run

COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


def generate_feed(directory: Path) -> list[Path]:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "datagen.ecommerce",
            "--rows",
            "20000",
            "--customers",
            "3000",
            "--items",
            "2500",
            "--seed",
            "7",
            "--out",
            str(directory),
        ],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    (directory / "customer_types.csv").unlink()
    months = sorted(directory.glob("sales_*.csv"))
    assert len(months) == 12
    return months


def redeliver_one_line(from_month: Path, to_month: Path) -> str:
    """Appends a valid line of one month's file to another's; returns the line."""
    line = next(
        row
        for row in from_month.read_text().splitlines()[1:]
        if not row.startswith(("-1", ",")) and ",-" not in row
    )
    with to_month.open("a") as file:
        file.write(line + "\n")
    return line


def build(work_dir: Path, warehouse: Path, variables: dict, *extra: str):
    command = [str(DBT), *QUICK_BUILD, *extra, *dbt_paths(work_dir)]
    command += ["--vars", json.dumps(variables)]
    completed = run(command, dbt_env(warehouse, work_dir))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def compiled_lines_sql(work_dir: Path) -> str:
    paths = list((work_dir / "target" / "compiled").rglob("int_order_lines.sql"))
    assert len(paths) == 1
    return paths[0].read_text()


def differing_tables(left: Path, right: Path) -> dict[str, tuple[int, int]]:
    """Tables of the compared schemas whose rows differ: {name: (only left, only right)}."""
    differences = {}
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left}' as left_build (read_only)")
        connection.execute(f"attach '{right}' as right_build (read_only)")
        tables = connection.sql(
            "select table_schema, table_name from information_schema.tables"
            " where table_catalog = 'left_build' and table_schema in "
            f"{COMPARED_SCHEMAS} order by all"
        ).fetchall()
        assert len(tables) > 10
        for schema, table in tables:
            left_table = f"left_build.{schema}.{table}"
            right_table = f"right_build.{schema}.{table}"
            only_left, only_right = (
                connection.execute(
                    f"select count(*) from (select * from {a} except all select * from {b})"
                ).fetchone()[0]
                for a, b in ((left_table, right_table), (right_table, left_table))
            )
            if only_left or only_right:
                differences[f"{schema}.{table}"] = (only_left, only_right)
    return differences


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """One warehouse built month 1-11 then December added, one built from all twelve at once."""
    root = tmp_path_factory.mktemp("incremental")
    months = generate_feed(root / "generated")
    feed = root / "feed"
    feed.mkdir()
    for month in months[:11]:
        shutil.copy(month, feed / month.name)
    december = feed / months[11].name
    shutil.copy(months[11], december)
    redelivered = redeliver_one_line(months[10], december)
    december_text = december.read_text()
    december.unlink()

    online_retail = write_csv(root / "online_retail.csv", ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS)
    # December's file holds a line of November, so the files share a month: allowed here.
    variables = {
        "online_retail_path": str(online_retail),
        "ecommerce_path": f"{feed}/sales_*.csv",
        "allow_overlapping_files": True,
    }

    incremental = root / "incremental"
    build(incremental, incremental / "warehouse.duckdb", variables)
    december.write_text(december_text)
    build(incremental, incremental / "warehouse.duckdb", variables)

    full = root / "full"
    build(full, full / "warehouse.duckdb", variables, "--full-refresh")
    return {
        "incremental": incremental,
        "full": full,
        "months": [feed / month.name for month in months],
        "redelivered": redelivered,
    }


def test_adding_a_month_reads_only_the_new_file(builds):
    sql = compiled_lines_sql(builds["incremental"])
    ecommerce_scan = sql[sql.index("stg_ecommerce__order_lines") :]
    excluded = re.search(r"where source_file not in \((.*?)\)", ecommerce_scan, re.DOTALL)
    assert excluded, "the second build of int_order_lines read every e-commerce file again"
    excluded_files = re.findall(r"'([^']+)'", excluded.group(1))
    # Every file the lines model holds, of both stores: the eleven months and Online Retail's.
    loaded_months = [name for name in excluded_files if "sales_" in name]
    assert loaded_months == [str(month) for month in builds["months"][:11]]
    assert len(excluded_files) == 12


def test_incremental_build_equals_full_build(builds):
    differences = differing_tables(
        builds["incremental"] / "warehouse.duckdb", builds["full"] / "warehouse.duckdb"
    )
    assert differences == {}


def test_a_line_delivered_again_in_a_later_month_is_a_duplicate(builds):
    customer_id, item_id, *_ = builds["redelivered"].split(",")
    customer_id = customer_id.removesuffix(".0")
    for build_name in ("incremental", "full"):
        with duckdb.connect(str(builds[build_name] / "warehouse.duckdb"), read_only=True) as db:
            flags = db.execute(
                "select source_file like '%sales_2021_12.csv' as in_december, is_duplicate"
                " from intermediate.int_order_lines"
                " where customer_id = ? and item_id = ? and ordered_at = ?::timestamp"
                " order by source_file",
                [customer_id, item_id, builds["redelivered"].split(",")[-1]],
            ).fetchall()
        assert flags == [(False, False), (True, True)], build_name

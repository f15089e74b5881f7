"""Segment history: the incremental history after new data equals a full rebuild, the as-of dates
var is checked, and the snapshot keeps every version across `build_swap.py` builds."""

import json
import shutil
import sys
from datetime import date, timedelta

import duckdb
import pytest
from dbt_project_runner import ECOMMERCE_HEADER, ONLINE_RETAIL_HEADER, PROJECT_DIR, write_csv
from small_warehouse import (
    DBT,
    ECOMMERCE_ROWS,
    ONLINE_RETAIL_ROWS,
    QUICK_BUILD,
    dbt_env,
    dbt_paths,
    run,
    write_inputs,
)

BUILD_SWAP = [sys.executable, str(PROJECT_DIR / "scripts" / "build_swap.py")]
HISTORY = "marts.fct_customer_segment_history"
# The models that are incremental by as-of date, with their schemas.
INCREMENTAL = {
    "int_customer_values": "intermediate",
    "fct_customer_segment_history": "marts",
    "rpt_segment_transitions": "marts",
}
# The first half of the year arrives first; the second half is the next "monthly" load.
FIRST_HALF = [row for row in ONLINE_RETAIL_ROWS if row.split(",")[4] < "2011-07-01"]
SECOND_HALF = [row for row in ONLINE_RETAIL_ROWS if row not in FIRST_HALF]
# cut_points, so that the end-to-end runs cover the scoring the default build does not use.
CUT_POINTS = {"rfm_scoring_method": "cut_points"}


def query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.sql(sql).fetchall()


def dbt(work_dir, *args: str, variables: dict) -> None:
    command = [str(DBT), *args, *dbt_paths(work_dir), "--vars", json.dumps(variables)]
    completed = run(command, dbt_env(work_dir / "warehouse.duckdb", work_dir))
    assert completed.returncode == 0, completed.stdout + completed.stderr


def inputs(directory, online_retail_rows: list[str]) -> dict:
    online_retail = write_csv(
        directory / "online_retail.csv", ONLINE_RETAIL_HEADER, online_retail_rows
    )
    write_csv(directory / "ecommerce" / "sales_2021_01.csv", ECOMMERCE_HEADER, ECOMMERCE_ROWS)
    return {
        "online_retail_path": str(online_retail),
        "ecommerce_path": str(directory / "ecommerce" / "sales_*.csv"),
        **CUT_POINTS,
    }


def monthly_as_of_dates(rows: list[str]) -> list[date]:
    """The 1st of every month after the first order's, then the day after the last order."""
    days = sorted(date.fromisoformat(row.split(",")[4][:10]) for row in rows)
    last_as_of_date = days[-1] + timedelta(days=1)
    month, dates = days[0].replace(day=1), []
    while (month := (month + timedelta(days=32)).replace(day=1)) < last_as_of_date:
        dates.append(month)
    return [*dates, last_as_of_date]


def copy_of(work_dir, tmp_path):
    """A copy of the module's warehouse to change, so that the tests do not depend on order."""
    shutil.copy(work_dir / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    return tmp_path


@pytest.fixture(scope="module")
def incremental_history(tmp_path_factory):
    """A warehouse built on the first half of the year, then on the whole year incrementally."""
    work_dir = tmp_path_factory.mktemp("segment_history")
    select = ["--select", "+rpt_segment_transition_summary", "+fct_customer_rfm"]
    first = inputs(work_dir / "first", FIRST_HALF)
    dbt(work_dir, *QUICK_BUILD, *select, variables=first)
    first_dates = query(
        work_dir / "warehouse.duckdb",
        f"select distinct as_of_date from {HISTORY} where store_id = 'online_retail' order by 1",
    )
    # The second half arrives as a new file beside the first (a file that repeated months
    # already scored would stop the load); the e-commerce month is loaded already.
    write_csv(
        work_dir / "first" / "online_retail_second_half.csv", ONLINE_RETAIL_HEADER, SECOND_HALF
    )
    variables = {**first, "online_retail_path": str(work_dir / "first" / "online_retail*.csv")}
    dbt(work_dir, *QUICK_BUILD, *select, variables=variables)
    return work_dir, variables, [day for (day,) in first_dates]


def test_a_monthly_run_replaces_the_open_month_and_adds_the_new_ones(incremental_history):
    work_dir, _, first_dates = incremental_history
    assert first_dates == monthly_as_of_dates(FIRST_HALF)
    dates = query(
        work_dir / "warehouse.duckdb",
        f"select distinct as_of_date from {HISTORY} where store_id = 'online_retail' order by 1",
    )
    # The first load's last date (2011-06-02, the day after its last order) is gone.
    assert [day for (day,) in dates] == monthly_as_of_dates(ONLINE_RETAIL_ROWS)


def test_the_incremental_history_and_transitions_equal_a_full_rebuild(
    incremental_history, tmp_path
):
    work_dir, variables, _ = incremental_history
    work_dir = copy_of(work_dir, tmp_path)
    warehouse = work_dir / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        for table, schema in INCREMENTAL.items():
            connection.execute(f"create table main.{table} as select * from {schema}.{table}")
    dbt(
        work_dir,
        "run",
        "--full-refresh",
        "--select",
        *INCREMENTAL,
        variables=variables,
    )
    for table, schema in INCREMENTAL.items():
        only_one_side = query(
            warehouse,
            f"(select * from main.{table} except select * from {schema}.{table}) union all"
            f" (select * from {schema}.{table} except select * from main.{table})",
        )
        assert only_one_side == [], table
        assert query(warehouse, f"select count(*) from main.{table}")[0][0] > 0


def test_a_list_of_as_of_dates_is_scored_at_those_dates_and_the_rfm_date(
    incremental_history, tmp_path
):
    """Listed dates before each store's RFM as-of date, then that date; a date after the data
    is not a date the RFM scores can be at, so it is left out."""
    work_dir, variables, _ = incremental_history
    work_dir = copy_of(work_dir, tmp_path)
    listed = {
        **variables,
        "segment_history_as_of_dates": ["2011-09-01", "2011-03-15", "2011-03-15", "2012-06-01"],
    }
    dbt(
        work_dir,
        "run",
        "--full-refresh",
        "--select",
        "int_as_of_dates",
        "int_customer_values",
        "fct_customer_rfm",
        "fct_customer_segment_history",
        variables=listed,
    )
    dates = query(
        work_dir / "warehouse.duckdb",
        f"select distinct as_of_date from {HISTORY} where store_id = 'online_retail' order by 1",
    )
    rfm_date = monthly_as_of_dates(ONLINE_RETAIL_ROWS)[-1]
    assert dates == [(date(2011, 3, 15),), (date(2011, 9, 1),), (rfm_date,)]


@pytest.mark.parametrize("value", ["weekly", ["2021-02-30"], []])
def test_an_unknown_as_of_dates_value_stops_the_build_naming_the_var(incremental_history, value):
    work_dir, variables, _ = incremental_history
    command = [
        str(DBT), "compile", "--select", "fct_customer_segment_history", *dbt_paths(work_dir),
        "--vars", json.dumps({**variables, "segment_history_as_of_dates": value}),
    ]  # fmt: skip
    completed = run(command, dbt_env(work_dir / "warehouse.duckdb", work_dir))
    assert completed.returncode != 0
    assert "var segment_history_as_of_dates must be 'monthly' or a list of dates" in (
        completed.stdout + completed.stderr
    )


def test_the_snapshot_keeps_every_version_across_swapped_builds(tmp_path):
    """Two `make build`s (build_swap.py, a fresh file each) with a new customer in between: the
    other e-commerce customers' scores change, so each has its first version closed when the
    second opened; the unchanged Online Retail customers keep one version."""
    warehouse = tmp_path / "warehouse.duckdb"
    env = dbt_env(warehouse, tmp_path)
    command = [
        *BUILD_SWAP,
        *QUICK_BUILD,
        "--select",
        "+snap_customer_segments",
        *dbt_paths(tmp_path),
    ]
    scores = (
        "select store_id, customer_id, r_score, f_score, m_score, segment"
        " from marts.fct_customer_rfm"
    )

    builds = []
    for with_new_customer in (False, True):
        variables = write_inputs(tmp_path / "input", with_new_customer=with_new_customer)
        completed = run([*command, "--vars", json.dumps(variables)], env)
        assert completed.returncode == 0, completed.stdout + completed.stderr
        builds.append({row[:2]: row[2:] for row in query(warehouse, scores)})
    first, second = builds
    assert "carried the snapshots snap_customer_segments" in completed.stdout

    versions: dict[tuple, list[tuple]] = {}
    for row in query(
        warehouse,
        "select store_id, customer_id, r_score, f_score, m_score, segment, dbt_valid_from,"
        " dbt_valid_to from snapshots.snap_customer_segments order by dbt_valid_from",
    ):
        versions.setdefault(row[:2], []).append(row[2:])
    assert set(versions) == set(second)
    changed = {key for key in first if first[key] != second[key]}
    assert {store for store, _ in changed} == {"ecommerce"}
    for key, rows in versions.items():
        if key in changed:
            (old, new) = rows
            assert old[:4] == first[key] and new[:4] == second[key]
            assert old[5] == new[4] and new[5] is None
        else:
            (only,) = rows
            assert only[:4] == second[key] and only[5] is None
    # Versions of the first build's customers start with it; the new customer's with the second.
    valid_from = {rows[0][4] for key, rows in versions.items() if key in first}
    assert len(valid_from) == 1
    assert versions[("ecommerce", "104236")][0][4] > valid_from.pop()

"""The semantic layer: MetricFlow's metrics on a small input give the numbers the marts give.

MetricFlow lives in its own environment (`make metricflow-install`, requirements-metricflow.txt);
the test finds its `mf` in MF_BIN or .venv/metricflow/bin/mf and is skipped without it.
"""

import csv
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import PROJECT_DIR
from small_warehouse import dbt_env, quick_build, run, write_inputs

MF = Path(os.environ.get("MF_BIN", PROJECT_DIR / ".venv" / "metricflow" / "bin" / "mf"))
METRICS = "customers,revenue,orders,revenue_per_customer,average_order_value,share_of_revenue"

pytestmark = pytest.mark.skipif(
    not MF.exists(), reason=f"MetricFlow not installed ({MF}); run `make metricflow-install`"
)


@pytest.fixture(scope="module")
def metricflow(tmp_path_factory):
    """Builds the small input and returns a function that runs `mf query` on it.

    mf reads target/semantic_manifest.json under the project directory, so it runs in a
    directory of links to the project whose target/ is this test's own.
    """
    work_dir = tmp_path_factory.mktemp("semantic")
    warehouse = work_dir / "warehouse.duckdb"
    completed = quick_build(warehouse, work_dir, write_inputs(work_dir / "input"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    project = work_dir / "project"
    project.mkdir()
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in {"target", "logs", ".git"}:
            (project / entry.name).symlink_to(entry)
    (project / "target").symlink_to(work_dir / "target")

    def query(*args: str) -> list[dict]:
        output = work_dir / "result.csv"
        output.unlink(missing_ok=True)
        env = {**dbt_env(warehouse, work_dir), "DBT_LOG_PATH": str(work_dir / "logs")}
        completed = run([str(MF), "query", *args, "--csv", str(output)], env, cwd=project)
        assert completed.returncode == 0 and output.exists(), completed.stdout + completed.stderr
        with output.open() as handle:
            return list(csv.DictReader(handle))

    query.warehouse = warehouse
    query.project = project
    query.env = {**dbt_env(warehouse, work_dir), "DBT_LOG_PATH": str(work_dir / "logs")}
    yield query
    shutil.rmtree(project)


def test_segment_metrics_match_known_numbers(metricflow):
    rows = metricflow(
        "--metrics",
        METRICS,
        "--group-by",
        "customer__store_id,customer__segment",
        "--order",
        "customer__store_id,customer__segment",
    )
    by_segment = {(r["customer__store_id"], r["customer__segment"]): r for r in rows}
    # The small input (tests/pytest/small_warehouse.py): customers 17001 (4 orders, 44.00) and
    # 17002 (2 orders, 53.55) are the online shop's Loyal Customers.
    loyal = by_segment[("online_retail", "Loyal Customers")]
    assert int(loyal["customers"]) == 2
    assert float(loyal["revenue"]) == pytest.approx(97.55)
    assert int(loyal["orders"]) == 6
    assert float(loyal["revenue_per_customer"]) == pytest.approx(97.55 / 2)
    assert float(loyal["average_order_value"]) == pytest.approx(97.55 / 6)
    assert float(loyal["share_of_revenue"]) == pytest.approx(97.55 / 216.74)

    with duckdb.connect(str(metricflow.warehouse), read_only=True) as connection:
        summary = connection.execute(
            "select store_id, segment, customers, revenue, orders, share_of_revenue"
            " from marts.rpt_segment_summary"
            " where segmentation = 'rfm_segment' and customers > 0"
        ).fetchall()
    # Scored by cut points (the default): on-line Loyal (17001, 17002), New Customers (17005) and
    # Hibernating (17003, 17004, 17006); e-commerce Loyal, New Customers and Hibernating.
    assert len(summary) == len(by_segment) == 6
    for store, segment, customers, revenue, orders, share in summary:
        row = by_segment[(store, segment)]
        assert int(row["customers"]) == customers
        assert float(row["revenue"]) == pytest.approx(float(revenue))
        assert int(row["orders"]) == orders
        assert float(row["share_of_revenue"]) == pytest.approx(share)


def test_store_totals_and_a_filter(metricflow):
    rows = metricflow(
        "--metrics",
        "customers,revenue,share_of_revenue",
        "--group-by",
        "customer__store_id",
        "--where",
        "{{ Dimension('customer__store_id') }} = 'online_retail'",
    )
    assert len(rows) == 1
    assert int(rows[0]["customers"]) == 6
    assert float(rows[0]["revenue"]) == pytest.approx(216.74)
    assert float(rows[0]["share_of_revenue"]) == pytest.approx(1.0)


def test_order_metrics_by_month_match_monthly_sales(metricflow):
    rows = metricflow(
        "--metrics",
        "net_order_revenue,gross_order_revenue,purchase_orders",
        "--group-by",
        "metric_time__month,order__store_id",
    )
    got = {
        (r["order__store_id"], r["metric_time__month"][:10]): (
            float(r["net_order_revenue"]),
            float(r["gross_order_revenue"]),
            int(float(r["purchase_orders"])),
        )
        for r in rows
    }
    with duckdb.connect(str(metricflow.warehouse), read_only=True) as connection:
        monthly = connection.execute(
            "select store_id, strftime(order_month, '%Y-%m-%d'), revenue, gross_revenue, orders"
            " from marts.rpt_monthly_sales where orders > 0 or return_orders > 0"
        ).fetchall()
    assert got.keys() == {(store, month) for store, month, *_ in monthly}
    for store, month, revenue, gross, orders in monthly:
        assert got[(store, month)] == pytest.approx((float(revenue), float(gross), orders))


def test_make_metrics_prints_plain_numbers(metricflow):
    """`make metrics` prints fixed-point numbers, never `2.44281e+06`: the online shop's Loyal
    Customers have a share of revenue of 97.55 / 216.74 = 0.450078..., printed 0.4501."""
    completed = run(["make", "--no-print-directory", "metrics"], metricflow.env, metricflow.project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    # Rows come in MetricFlow's order, which need not put the online shop first.
    loyal = next(
        line
        for line in completed.stdout.splitlines()
        if line.split()[:3] == ["online_retail", "Loyal", "Customers"]
    )
    assert loyal.split()[3] == "2"
    assert loyal.split()[4:7] == ["97.5500", "6", "0.4501"]
    assert not re.search(r"\d[eE][+-]\d", completed.stdout)

"""scripts/compare_engines.py on two small builds it writes itself: a DuckDB file and the
Parquet folders a Spark build leaves (<warehouse>/<schema>.db/<table>/*.parquet)."""

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import compare_engines

# The columns the checks read, per table; every other table needs only store_id.
TABLE_SQL = {
    "int_order_lines": "select * from (values ('a', null), ('a', 'missing_customer'), ('b', null))"
    " t(store_id, rejection_reason)",
    "fct_orders": "select * from (values ('a', 10.5::decimal(18,4)), ('b', 3::decimal(18,4)))"
    " t(store_id, amount)",
    "fct_customer_rfm": """select * from (values
        ('a', '1', 3, 1, 10.5::decimal(18,4), 10.5::decimal(18,4), 5, 1, 5, '515', 'New', 'VIPs'),
        ('b', '2', 9, 2, 3::decimal(18,4), 2::decimal(18,4), 1, 5, 1, '151', 'Lost', 'Hibernating')
        ) t(store_id, customer_id, recency_days, frequency, monetary, net_monetary, r_score,
            f_score, m_score, rfm_cell, segment, marketing_group)""",
    "rpt_rfm_cells": """select * from (values
        ('a', '515', 'New', 1::bigint, 10.5::decimal(18,4), 10.5::double, 1.0::double, false),
        ('a', '111', 'Lost', 0::bigint, 0::decimal(18,4), null::double, 0.0::double, false),
        ('b', '151', 'Lost', 1::bigint, 3::decimal(18,4), 3.0::double, 1.0::double, false)
        ) t(store_id, rfm_cell, segment, customers, revenue, mean_monetary, share_of_revenue,
            is_large_enough_to_act_on)""",
    "rpt_segment_summary": """select * from (values
        ('a', 'rfm_segment', 'New', 1::bigint, 1::bigint, 10.5::decimal(18,4), 10.5::double,
         1.0::double),
        ('b', 'rfm_segment', 'Lost', 1::bigint, 2::bigint, 3::decimal(18,4), 3.0::double,
         1.0::double)
        ) t(store_id, segmentation, segment, customers, orders, revenue, mean_monetary,
            share_of_customers)""",
    "dim_customers": """select * from (values
        ('a', '1', 8::bigint, 177.39::decimal(18,4), 0::decimal(18,4), 177.39::decimal(18,4),
         22.1737::decimal(18,4), 'UK')
        ) t(store_id, customer_id, orders, lifetime_spend, returned_amount, net_spend,
            average_order_value, country)""",
    "rpt_store_summary": """select * from (values
        ('a', 1::bigint, 1::bigint, 10.5::decimal(18,4), 10.5::decimal(18,4), 1.0::double,
         10.5::decimal(18,4))
        ) t(store_id, customers, orders, revenue, average_order_value, median_lines_per_order,
            median_revenue_per_customer)""",
}


def build_both(tmp_path: Path) -> tuple[Path, Path]:
    """The same tables twice: in a DuckDB file and as Spark-style Parquet folders."""
    duckdb_path = tmp_path / "warehouse.duckdb"
    spark_warehouse = tmp_path / "spark-warehouse"
    with duckdb.connect(str(duckdb_path)) as connection:
        for schema, table in compare_engines.TABLES:
            connection.execute(f"create schema if not exists {schema}")
            sql = TABLE_SQL.get(table, "select * from (values ('a'), ('b')) t(store_id)")
            connection.execute(f"create table {schema}.{table} as {sql}")
            folder = compare_engines.spark_table_path(spark_warehouse, schema, table)
            folder.mkdir(parents=True)
            connection.execute(
                f"copy {schema}.{table} to '{folder}/part-00000.snappy.parquet' (format parquet)"
            )
    return duckdb_path, spark_warehouse


def rewrite_spark_table(spark_warehouse: Path, schema: str, table: str, select: str) -> None:
    """Replaces a Spark table's Parquet with `select` over its old content (`old`)."""
    path = (
        compare_engines.spark_table_path(spark_warehouse, schema, table)
        / "part-00000.snappy.parquet"
    )
    with duckdb.connect() as connection:
        connection.execute(f"create table old as select * from read_parquet('{path}')")
        connection.execute(f"copy ({select}) to '{path}' (format parquet)")


def run(duckdb_path: Path, spark_warehouse: Path) -> int:
    return compare_engines.main(
        ["--duckdb", str(duckdb_path), "--spark-warehouse", str(spark_warehouse)]
    )


def test_identical_builds_pass(tmp_path, capsys):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    assert run(duckdb_path, spark_warehouse) == 0
    output = capsys.readouterr().out
    assert "Same answers on both engines" in output
    assert "OK   the 125 RFM cells per store (rpt_rfm_cells): 3 compared, 0 differ" in output


def test_a_cell_count_that_differs_fails_and_is_named(tmp_path, capsys):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    rewrite_spark_table(
        spark_warehouse,
        "marts",
        "rpt_rfm_cells",
        "select * replace (case when rfm_cell = '111' then 1::bigint else customers end"
        " as customers) from old",
    )
    assert run(duckdb_path, spark_warehouse) == 1
    assert "a/111 customers: duckdb=0 spark=1" in capsys.readouterr().out


def test_a_decimal_sum_must_match_exactly(tmp_path, capsys):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    rewrite_spark_table(
        spark_warehouse,
        "marts",
        "fct_customer_rfm",
        "select * replace (case when customer_id = '1' then monetary + 0.0001"
        " else monetary end as monetary) from old",
    )
    assert run(duckdb_path, spark_warehouse) == 1
    assert "summed monetary per store: 2 compared, 1 differ" in capsys.readouterr().out


def test_a_missing_row_fails(tmp_path, capsys):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    rewrite_spark_table(
        spark_warehouse, "marts", "rpt_segment_summary", "select * from old where store_id = 'a'"
    )
    assert run(duckdb_path, spark_warehouse) == 1
    assert "b/rfm_segment/Lost: only in DuckDB" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("relative_change", "expected_exit"),
    [(1e-12, 0), (1e-6, 1)],
    ids=["rounding-is-allowed", "a-real-difference-is-not"],
)
def test_doubles_may_differ_only_by_rounding(tmp_path, relative_change, expected_exit):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    rewrite_spark_table(
        spark_warehouse,
        "marts",
        "rpt_rfm_cells",
        f"select * replace (mean_monetary * (1 + {relative_change}) as mean_monetary) from old",
    )
    assert run(duckdb_path, spark_warehouse) == expected_exit


def test_a_missing_spark_table_says_what_to_build(tmp_path, capsys):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    folder = compare_engines.spark_table_path(spark_warehouse, "marts", "rpt_store_summary")
    for file in folder.iterdir():
        file.unlink()
    assert run(duckdb_path, spark_warehouse) == 2
    assert "Spark table marts.rpt_store_summary" in capsys.readouterr().err


def test_values_equal_rules():
    assert compare_engines.values_equal(None, None)
    assert not compare_engines.values_equal(None, 0)
    assert compare_engines.values_equal(1.0, 1.0 + 1e-13)
    assert not compare_engines.values_equal(1.0, 1.001)
    assert not compare_engines.values_equal("Champions", "Loyal Customers")


@pytest.mark.parametrize(
    ("spark_value", "expected_exit"),
    [("22.1738", 0), ("22.1739", 1)],
    ids=["half-rounded-the-other-way-is-allowed", "two-places-off-is-not"],
)
def test_a_mean_of_money_may_differ_only_in_its_last_place(
    tmp_path, capsys, spark_value, expected_exit
):
    duckdb_path, spark_warehouse = build_both(tmp_path)
    rewrite_spark_table(
        spark_warehouse,
        "marts",
        "dim_customers",
        f"select * replace ({spark_value}::decimal(18,4) as average_order_value) from old",
    )
    assert run(duckdb_path, spark_warehouse) == expected_exit
    if expected_exit == 0:
        assert "1 by last-place rounding" in capsys.readouterr().out


# --- --ml: the checks with a margin (MLlib's K-Means and ALS against the DuckDB path's) ------
def ml_connection(sides: dict[str, dict[str, str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with views <side>_<table> from `select` statements."""
    connection = duckdb.connect()
    for side, tables in sides.items():
        for table, sql in tables.items():
            connection.execute(f"create view {side}_{table} as {sql}")
    return connection


def clusters_sql(cluster_ids: list[int], k: int) -> str:
    rows = ", ".join(
        f"('a', 'c{customer}', {k}, {cluster}, {cluster % 4}, {cluster % 5})"
        for customer, cluster in enumerate(cluster_ids)
    )
    return (
        f"select * from (values {rows})"
        " t(store_id, customer_id, k, cluster_id, cluster_id_k4, cluster_id_k5)"
    )


DUCKDB_CLUSTERS = [0, 0, 0, 1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize(
    ("spark_clusters", "spark_k", "difference"),
    [
        ([2, 2, 2, 0, 0, 0, 1, 1, 1], 3, None),
        ([0, 0, 0, 1, 1, 1, 2, 2, 2], 4, "a chosen k: duckdb k=[3] spark k=[4]"),
        ([0, 1, 2, 0, 1, 2, 0, 1, 2], 3, "a chosen k: ARI"),
    ],
    ids=["relabelled-clusters-agree", "another-k-differs", "other-groups-differ"],
)
def test_kmeans_clusters_compare_by_grouping_not_by_label(spark_clusters, spark_k, difference):
    connection = ml_connection(
        {
            "duckdb": {"ml_customer_clusters": clusters_sql(DUCKDB_CLUSTERS, 3)},
            "spark": {"ml_customer_clusters": clusters_sql(spark_clusters, spark_k)},
        }
    )
    result, _ = compare_engines.cluster_agreement(connection)
    assert result.compared == 3  # the chosen k, k = 4 and k = 5
    if difference is None:
        assert result.differences == []
    else:
        assert any(line.startswith(difference) for line in result.differences)


def eval_sql(als_ndcg: float, popularity_ndcg: float) -> str:
    return f"""select * from (values
        ('a', 'als', '(all customers)', {als_ndcg}::double, {als_ndcg}::double, null),
        ('a', 'popularity', '(all customers)', {popularity_ndcg}::double,
         {popularity_ndcg}::double, null)
        ) t(store_id, algorithm, segment, ndcg_at_k, map_at_k, note)"""


@pytest.mark.parametrize(
    ("spark_als", "spark_popularity", "passes"),
    [(0.19, 0.05, True), (0.15, 0.05, False), (0.19, 0.19, False)],
    ids=["within-the-margin", "beyond-the-margin", "not-above-popularity"],
)
def test_als_quality_within_the_margin_and_above_popularity(spark_als, spark_popularity, passes):
    connection = ml_connection(
        {
            "duckdb": {"ml_recommendation_eval": eval_sql(0.2, 0.05)},
            "spark": {"ml_recommendation_eval": eval_sql(spark_als, spark_popularity)},
        }
    )
    result = compare_engines.recommendation_quality(connection)
    assert result.compared == 1
    assert (result.differences == []) is passes


def test_ml_lists_and_fixed_size_arrays():
    assert compare_engines.values_equal([1.0, 2.0], [1.0, 2.0 + 1e-13])
    assert not compare_engines.values_equal([1.0, 2.0], [1.0, 2.1])
    assert not compare_engines.values_equal([1.0], [1.0, 2.0])
    assert compare_engines._list_type("DOUBLE[9]") == "DOUBLE[]"
    assert compare_engines._list_type("DOUBLE[]") == "DOUBLE[]"

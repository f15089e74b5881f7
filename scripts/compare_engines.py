"""Compares the key marts of a DuckDB build with those of a Spark build of the same data.

    python scripts/compare_engines.py [--duckdb PATH] [--spark-warehouse DIR] [--ml]

The DuckDB side is the warehouse file (WAREHOUSE_DUCKDB_PATH, default warehouse.duckdb). The
Spark side is read straight from the Parquet files the Spark target writes (SPARK_WAREHOUSE_DIR,
default target/spark/warehouse; a table `<schema>.<name>` is the folder `<schema>.db/<name>`),
so no second Spark session is needed and the Derby metastore stays free.

What is compared, per store: row counts of the line, customer-value and mart tables; the lines
kept and rejected for each reason (int_order_lines); segment
counts (customers, orders, revenue of every segment of both schemes in rpt_segment_summary);
the summed monetary value of fct_customer_rfm and the summed amount of fct_orders; the 125 RFM
cells of rpt_rfm_cells (customers, revenue, mean monetary); and, customer by customer,
fct_customer_rfm's scores, cell, segment and marketing group, and dim_customers' spend.

Tolerance: counts, scores, labels and decimal(18,4) money must be equal, except a per-customer
mean of money (dim_customers.average_order_value), which may differ by 0.0001 at an exact half
(see ROUNDING_NOTE; such values are counted and shown). Double columns
(means and shares) may differ by FLOAT_RELATIVE_TOLERANCE relative to their size: Spark adds a
group's values in partitions and then adds the partial sums, DuckDB in another order, and
floating-point addition is not associative, so the last bits of a mean can differ.

With --ml, also the `ml` tables (the Spark ML command's, python -m retail_warehouse.spark_ml,
against the DuckDB build's dbt Python models; see ML_DOC below).

Prints one line per check and every difference (up to --max-shown per check); exits 1 when a
difference is beyond the tolerance, 2 when a table is missing.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

FLOAT_RELATIVE_TOLERANCE = 1e-9

# (schema, table) of every table read from both engines.
# Staging and the kept and rejected lines are views over int_order_lines, which holds every line.
TABLES = [
    ("intermediate", "int_order_lines"),
    ("intermediate", "int_customer_values"),
    ("marts", "fct_orders"),
    ("marts", "dim_items"),
    ("marts", "dim_customers"),
    ("marts", "fct_customer_rfm"),
    ("marts", "rpt_rfm_cells"),
    ("marts", "rpt_segment_summary"),
    ("marts", "rpt_monthly_sales"),
    ("marts", "rpt_sales_by_country"),
    ("marts", "rpt_purchase_frequency"),
    ("marts", "rpt_store_summary"),
    ("marts", "fct_customer_segment_history"),
    ("marts", "rpt_segment_transitions"),
    ("marts", "rpt_segment_transition_summary"),
]


# A decimal(18,4) mean of money (amount / orders) can differ in its last place: Spark divides
# decimals exactly and rounds half up (177.39 / 8 = 22.17375 -> 22.1738), DuckDB divides in
# double precision, where 22.17375 is 22.1737499..., and the cast keeps 22.1737.
ROUNDING_NOTE = "last-place rounding of a decimal mean at an exact half"
LAST_PLACE = Decimal("0.0001")


@dataclass(frozen=True)
class Check:
    """One comparison: a query over `{side}_<table>` views giving key columns, then values."""

    name: str
    sql: str
    key_columns: int
    # Decimal columns allowed to differ by this much (see ROUNDING_NOTE).
    rounding: dict[str, Decimal] = field(default_factory=dict)


def _row_counts_sql() -> str:
    parts = [
        f"select '{table}' as table_name, store_id, count(*) as row_count "
        f"from {{side}}_{table} group by store_id"
        for _, table in TABLES
    ]
    return " union all ".join(parts)


CHECKS = [
    Check("row counts per table and store", _row_counts_sql(), key_columns=2),
    Check(
        "lines per store and rejection reason (int_order_lines)",
        """select store_id, coalesce(rejection_reason, 'kept') as reason, count(*) as lines
           from {side}_int_order_lines group by store_id, coalesce(rejection_reason, 'kept')""",
        key_columns=2,
    ),
    Check(
        "segment counts per store (rpt_segment_summary)",
        """select store_id, segmentation, segment, customers, orders, revenue,
                  mean_monetary, share_of_customers
           from {side}_rpt_segment_summary""",
        key_columns=3,
    ),
    Check(
        "summed monetary per store",
        """select rfm.store_id, rfm.customers, rfm.monetary, rfm.net_monetary, orders.amount
           from (
               select store_id, count(*) as customers, sum(monetary) as monetary,
                      sum(net_monetary) as net_monetary
               from {side}_fct_customer_rfm group by store_id
           ) as rfm
           inner join (
               select store_id, sum(amount) as amount from {side}_fct_orders group by store_id
           ) as orders on rfm.store_id = orders.store_id""",
        key_columns=1,
    ),
    Check(
        "the 125 RFM cells per store (rpt_rfm_cells)",
        """select store_id, rfm_cell, segment, customers, revenue, mean_monetary,
                  share_of_revenue, is_large_enough_to_act_on
           from {side}_rpt_rfm_cells""",
        key_columns=2,
    ),
    Check(
        "customer scores (fct_customer_rfm)",
        """select store_id, customer_id, recency_days, frequency, monetary, r_score, f_score,
                  m_score, rfm_cell, segment, marketing_group
           from {side}_fct_customer_rfm""",
        key_columns=2,
    ),
    Check(
        "customer spend (dim_customers)",
        """select store_id, customer_id, orders, lifetime_spend, returned_amount, net_spend,
                  average_order_value, country
           from {side}_dim_customers""",
        key_columns=2,
        rounding={"average_order_value": LAST_PLACE},
    ),
    Check(
        "store summary (rpt_store_summary)",
        """select store_id, customers, orders, revenue, average_order_value,
                  median_lines_per_order, median_revenue_per_customer
           from {side}_rpt_store_summary""",
        key_columns=1,
    ),
]


@dataclass
class Result:
    check: str
    compared: int = 0
    differences: list[str] = field(default_factory=list)
    rounded: int = 0


def values_equal(left: object, right: object) -> bool:
    """Equal, except that doubles may differ by FLOAT_RELATIVE_TOLERANCE of their size (lists
    element by element)."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(values_equal, left, right))
    if isinstance(left, float) or isinstance(right, float):
        left_number, right_number = float(left), float(right)  # type: ignore[arg-type]
        return math.isclose(
            left_number, right_number, rel_tol=FLOAT_RELATIVE_TOLERANCE, abs_tol=1e-12
        )
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return Decimal(str(left)) == Decimal(str(right))
    return left == right


def compare_rows(
    check: Check, duckdb_rows: list[tuple], spark_rows: list[tuple], columns: list[str]
) -> Result:
    result = Result(check.name)
    keys = check.key_columns
    duckdb_by_key = {row[:keys]: row[keys:] for row in duckdb_rows}
    spark_by_key = {row[:keys]: row[keys:] for row in spark_rows}
    for key in sorted(duckdb_by_key.keys() | spark_by_key.keys(), key=str):
        result.compared += 1
        label = "/".join(str(part) for part in key)
        if key not in spark_by_key:
            result.differences.append(f"{label}: only in DuckDB")
            continue
        if key not in duckdb_by_key:
            result.differences.append(f"{label}: only in Spark")
            continue
        for name, left, right in zip(
            columns[keys:], duckdb_by_key[key], spark_by_key[key], strict=True
        ):
            if values_equal(left, right):
                continue
            allowed = check.rounding.get(name)
            if allowed is not None and abs(Decimal(str(left)) - Decimal(str(right))) <= allowed:
                result.rounded += 1
                continue
            result.differences.append(f"{label} {name}: duckdb={left} spark={right}")
    return result


def spark_table_path(spark_warehouse: Path, schema: str, table: str) -> Path:
    return spark_warehouse / f"{schema}.db" / table


def open_both(
    duckdb_path: Path, spark_warehouse: Path, tables: list[tuple[str, str]] = TABLES
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with views duckdb_<table> and spark_<table> for every table."""
    missing = [str(duckdb_path)] if not duckdb_path.exists() else []
    for schema, table in tables:
        folder = spark_table_path(spark_warehouse, schema, table)
        if not any(folder.glob("*.parquet")):
            missing.append(f"{folder}/*.parquet (Spark table {schema}.{table})")
    if missing:
        raise FileNotFoundError("missing: " + "; ".join(missing))
    connection = duckdb.connect()
    connection.execute("attach ? as duckdb_build (read_only)", [str(duckdb_path)])
    for schema, table in tables:
        folder = spark_table_path(spark_warehouse, schema, table)
        connection.execute(
            f"create view duckdb_{table} as select * from duckdb_build.{schema}.{table}"
        )
        # A view takes no parameters: the path is a string literal, its quotes doubled.
        files = str(folder / "*.parquet").replace("'", "''")
        connection.execute(f"create view spark_{table} as select * from read_parquet('{files}')")
    return connection


def run_checks(connection: duckdb.DuckDBPyConnection) -> list[Result]:
    results = []
    for check in CHECKS:
        duckdb_relation = connection.sql(check.sql.format(side="duckdb"))
        spark_rows = connection.sql(check.sql.format(side="spark")).fetchall()
        results.append(
            compare_rows(check, duckdb_relation.fetchall(), spark_rows, duckdb_relation.columns)
        )
    return results


# --- The ml tables -------------------------------------------------------------------------
ML_DOC = """The ml tables: on DuckDB the dbt Python models, on Spark the Spark ML command
(retail_warehouse.spark_ml), which fits K-Means, its silhouette and ALS with Spark MLlib and runs
the package's own code for every other step. So:

- every table has the same columns with the same types on both engines;
- the steps both engines run with the package's code on the same marts give the same values
  (to FLOAT_RELATIVE_TOLERANCE): the feature transform and features, the mixture fits and
  customers, the holdout evidence of k, the mixture BIC, and the evaluation of every
  algorithm but als;
- the MLlib steps differ by the solvers, within stated margins: at the same k, the K-Means
  clusters of the two engines agree to an adjusted Rand index of at least MIN_ENGINE_ARI, both
  engines choose the same k, and ALS's NDCG@k and MAP@k on the same time split are within
  REC_QUALITY_MARGIN (relative) of DuckDB's and above the popularity baseline's."""

ML_TABLES = [
    ("ml", name)
    for name in (
        "ml_cluster_feature_transform",
        "ml_cluster_features",
        "ml_cluster_kmeans_fits",
        "ml_cluster_mixture_fits",
        "ml_cluster_k_holdout",
        "ml_cluster_k_selection",
        "ml_customer_clusters",
        "ml_customer_mixture",
        "ml_cluster_profiles",
        "ml_cluster_segment_crosstab",
        "ml_cluster_agreement",
        "ml_recommendation_fit",
        "ml_item_similarity",
        "ml_customer_recommendations",
        "ml_recommendation_eval",
    )
]
# K-Means on the same standardised features with another initialisation (MLlib's k-means||
# against scikit-learn's k-means++, each with cluster_n_init restarts) ends in nearby local
# optima: on the bundled data the two engines' clusters agree to 0.96 or more (docs/spark.md).
MIN_ENGINE_ARI = 0.9
# ALS solvers differ (MLlib: exact least squares per row with regularisation scaled by each
# row's count and confidence 1 + weight; implicit: conjugate gradient, confidence = weight), so
# the quality on the same split differs by a few per cent: 5% at most on the bundled data
# (docs/spark.md).
REC_QUALITY_MARGIN = 0.10
ML_SAME_CHECKS = [
    Check(
        "feature transform (ml_cluster_feature_transform)",
        "select * from {side}_ml_cluster_feature_transform",
        key_columns=2,
    ),
    Check(
        "customer features and samples (ml_cluster_features)",
        "select * from {side}_ml_cluster_features",
        key_columns=2,
    ),
    Check(
        "mixture fits (ml_cluster_mixture_fits)",
        "select * from {side}_ml_cluster_mixture_fits",
        key_columns=3,
    ),
    Check(
        "mixture components (ml_customer_mixture)",
        "select * from {side}_ml_customer_mixture",
        key_columns=2,
    ),
    Check(
        "holdout evidence of k (ml_cluster_k_holdout)",
        "select * from {side}_ml_cluster_k_holdout",
        key_columns=3,
    ),
    Check(
        "sample sizes and mixture BIC (ml_cluster_k_selection)",
        """select store_id, k, customers, fit_sample_customers, mixture_sample_customers,
                  silhouette_sample_customers, mixture_bic, is_lowest_bic, note
           from {side}_ml_cluster_k_selection""",
        key_columns=2,
    ),
    Check(
        "evaluation of the algorithms but als (ml_recommendation_eval)",
        """select store_id, algorithm, segment, k, cutoff_at, customers, precision_at_k,
                  recall_at_k, map_at_k, ndcg_at_k, hit_rate, catalog_coverage, note
           from {side}_ml_recommendation_eval where algorithm is distinct from 'als'""",
        key_columns=3,
    ),
]
CLUSTERINGS = (("chosen k", "cluster_id", "k"), ("k = 4", "cluster_id_k4", None))
CLUSTERINGS += (("k = 5", "cluster_id_k5", None),)
QUALITY_SQL = """
    select store_id, algorithm, ndcg_at_k, map_at_k from {side}_ml_recommendation_eval
    where segment = '(all customers)' and algorithm in ('als', 'popularity') and note is null
"""


def _list_type(type_name: str) -> str:
    """A fixed-size array type as a list type (DOUBLE[9] -> DOUBLE[]): Spark has lists only."""
    return re.sub(r"\[[0-9]+\]$", "[]", type_name)


def column_check(connection: duckdb.DuckDBPyConnection) -> Result:
    """The same column names and types, in the same order, in every ml table (a fixed-size
    array of DuckDB's is a list on Spark)."""
    result = Result("columns and types of the ml tables")
    for _, table in ML_TABLES:
        result.compared += 1
        duckdb_columns = connection.sql(f"describe duckdb_{table}").fetchall()
        spark_columns = connection.sql(f"describe spark_{table}").fetchall()
        left = [(row[0], _list_type(row[1])) for row in duckdb_columns]
        right = [(row[0], row[1]) for row in spark_columns]
        if left != right:
            result.differences.append(f"{table}: duckdb={left} spark={right}")
    return result


def cluster_agreement(connection: duckdb.DuckDBPyConnection) -> tuple[Result, list[tuple]]:
    """Adjusted Rand index between the engines' K-Means clusters of the same customers, per
    store and clustering; the chosen k must be the same."""
    from sklearn.metrics import adjusted_rand_score

    result = Result(f"K-Means clusters agree between engines (ARI >= {MIN_ENGINE_ARI})")
    figures = []
    stores = connection.sql(
        "select distinct store_id from duckdb_ml_customer_clusters order by store_id"
    ).fetchall()
    for (store_id,) in stores:
        for label, column, k_column in CLUSTERINGS:
            k_select = f"d.{k_column}, s.{k_column}" if k_column else "null, null"
            rows = connection.execute(
                f"""select d.{column}, s.{column}, {k_select}
                    from duckdb_ml_customer_clusters as d
                    inner join spark_ml_customer_clusters as s
                        on d.store_id = s.store_id and d.customer_id = s.customer_id
                    where d.store_id = ? and d.{column} is not null""",
                [store_id],
            ).fetchall()
            result.compared += 1
            if not rows:
                result.differences.append(f"{store_id} {label}: no customers in both")
                continue
            duckdb_k, spark_k = {row[2] for row in rows}, {row[3] for row in rows}
            if duckdb_k != spark_k:
                result.differences.append(
                    f"{store_id} {label}: duckdb k={sorted(duckdb_k)} spark k={sorted(spark_k)}"
                )
                continue
            index = adjusted_rand_score([row[0] for row in rows], [row[1] for row in rows])
            figures.append((store_id, f"ARI between engines, {label}", None, f"{index:.4f}"))
            if index < MIN_ENGINE_ARI:
                result.differences.append(f"{store_id} {label}: ARI {index:.4f}")
    return result, figures


def recommendation_quality(connection: duckdb.DuckDBPyConnection) -> Result:
    """ALS's NDCG@k and MAP@k on Spark within REC_QUALITY_MARGIN of DuckDB's, and above
    popularity's on Spark, per store evaluated."""
    result = Result(f"ALS quality within {REC_QUALITY_MARGIN:.0%} of DuckDB's, above popularity's")
    sides = {
        side: {
            (row[0], row[1]): row[2:]
            for row in connection.sql(QUALITY_SQL.format(side=side)).fetchall()
        }
        for side in ("duckdb", "spark")
    }
    stores = sorted({store for store, _ in sides["duckdb"]})
    for store_id in stores:
        result.compared += 1
        duckdb_als = sides["duckdb"].get((store_id, "als"))
        spark_als = sides["spark"].get((store_id, "als"))
        spark_popularity = sides["spark"].get((store_id, "popularity"))
        if duckdb_als is None or spark_als is None or spark_popularity is None:
            result.differences.append(f"{store_id}: als or popularity row missing")
            continue
        for name, duckdb_value, spark_value, baseline in zip(
            ("ndcg_at_k", "map_at_k"), duckdb_als, spark_als, spark_popularity, strict=True
        ):
            if abs(spark_value - duckdb_value) > REC_QUALITY_MARGIN * duckdb_value:
                result.differences.append(
                    f"{store_id} als {name}: duckdb={duckdb_value:.4f} spark={spark_value:.4f}"
                )
            if spark_value <= baseline:
                result.differences.append(
                    f"{store_id} als {name} on spark {spark_value:.4f} <= popularity {baseline:.4f}"
                )
    return result


SELECTION_SQL = (
    "select store_id, max({value}) from {{side}}_ml_cluster_k_selection where {flag} "
    "group by store_id"
)
QUALITY_FIGURE_SQL = (
    "select store_id, round({metric}_at_k, 4) from {{side}}_ml_recommendation_eval "
    "where segment = '(all customers)' and algorithm = '{algorithm}'"
)


def ml_figures(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(store, figure, duckdb, spark) of the headline ml figures, for the summary."""
    queries = [
        ("chosen k", SELECTION_SQL.format(value="k", flag="is_chosen")),
        ("best-silhouette k", SELECTION_SQL.format(value="k", flag="is_best_silhouette")),
        (
            "silhouette at the chosen k",
            SELECTION_SQL.format(value="round(silhouette, 4)", flag="is_chosen"),
        ),
        (
            "inertia at the chosen k",
            SELECTION_SQL.format(value="round(inertia, 1)", flag="is_chosen"),
        ),
        *(
            (
                f"{algorithm} {metric}@k",
                QUALITY_FIGURE_SQL.format(metric=metric, algorithm=algorithm),
            )
            for algorithm in ("als", "popularity")
            for metric in ("ndcg", "map")
        ),
    ]
    figures = []
    for label, sql in queries:
        duckdb_values = dict(connection.sql(sql.format(side="duckdb")).fetchall())
        spark_values = dict(connection.sql(sql.format(side="spark")).fetchall())
        for store_id in sorted(duckdb_values.keys() | spark_values.keys()):
            figures.append(
                (store_id, label, duckdb_values.get(store_id), spark_values.get(store_id))
            )
    overlap = """
        select d.store_id, round(count(s.item_id) / count(*), 4)
        from duckdb_{table} as d
        left join spark_{table} as s
            on d.store_id = s.store_id and d.{key} = s.{key} and d.item_id = s.item_id
        where d.note is null
        group by d.store_id
    """
    for label, table, key in (
        ("top-N recommendations in both", "ml_customer_recommendations", "customer_id"),
    ):
        for store_id, share in connection.sql(overlap.format(table=table, key=key)).fetchall():
            figures.append((store_id, label, None, share))
    return figures


def run_ml_checks(connection: duckdb.DuckDBPyConnection) -> tuple[list[Result], str]:
    """The ml checks, and the summary of their figures."""
    results = [column_check(connection)]
    for check in ML_SAME_CHECKS:
        relation = connection.sql(check.sql.format(side="duckdb"))
        spark_rows = connection.sql(check.sql.format(side="spark")).fetchall()
        results.append(compare_rows(check, relation.fetchall(), spark_rows, relation.columns))
    agreement, agreement_figures = cluster_agreement(connection)
    results += [agreement, recommendation_quality(connection)]
    figures = sorted(ml_figures(connection) + agreement_figures, key=lambda row: row[0])
    lines = [f"{'store':<15}{'ml figure':<40}{'duckdb':>12}{'spark':>12}"]
    for store_id, label, left, right in figures:
        left_text = "" if left is None else str(left)
        lines.append(f"{store_id:<15}{label:<40}{left_text:>12}{right!s:>12}")
    return results, "\n".join(lines)


def summary_table(connection: duckdb.DuckDBPyConnection) -> str:
    """Headline figures side by side, per store."""
    sql = """
        select store_id, '{label}' as figure, {expression} as value from {{side}}_{table}
        group by store_id
    """
    figures = [
        ("orders", "count(*)", "fct_orders"),
        ("customers scored", "count(*)", "fct_customer_rfm"),
        ("summed monetary", "cast(sum(monetary) as varchar)", "fct_customer_rfm"),
        ("rfm cells", "count(*)", "rpt_rfm_cells"),
        ("non-empty rfm cells", "count(case when customers > 0 then 1 end)", "rpt_rfm_cells"),
        ("segments (both schemes)", "count(*)", "rpt_segment_summary"),
    ]
    query = " union all ".join(
        sql.format(label=label, expression=expression, table=table)
        for label, expression, table in figures
    )
    duckdb_rows = connection.sql(query.format(side="duckdb")).fetchall()
    spark_values = {
        (row[0], row[1]): row[2] for row in connection.sql(query.format(side="spark")).fetchall()
    }
    lines = [f"{'store':<15}{'figure':<26}{'duckdb':>22}{'spark':>22}"]
    for store, figure, value in sorted(duckdb_rows, key=lambda row: (row[0], row[1])):
        other = spark_values.get((store, figure))
        lines.append(f"{store:<15}{figure:<26}{value!s:>22}{other!s:>22}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duckdb",
        type=Path,
        default=Path(os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")),
    )
    parser.add_argument(
        "--spark-warehouse",
        type=Path,
        default=Path(os.environ.get("SPARK_WAREHOUSE_DIR", "target/spark/warehouse")),
    )
    parser.add_argument(
        "--ml", action="store_true", help="also the ml tables (python -m retail_warehouse.spark_ml)"
    )
    parser.add_argument("--max-shown", type=int, default=10)
    arguments = parser.parse_args(argv)
    tables = TABLES + ML_TABLES if arguments.ml else TABLES
    try:
        connection = open_both(arguments.duckdb, arguments.spark_warehouse, tables)
    except FileNotFoundError as error:
        print(f"compare_engines: {error}. Build both engines first.", file=sys.stderr)
        return 2
    print(summary_table(connection))
    print()
    results = run_checks(connection)
    if arguments.ml:
        ml_results, ml_summary = run_ml_checks(connection)
        print(ml_summary)
        print()
        results += ml_results
    failed = False
    for result in results:
        status = "OK  " if not result.differences else "DIFF"
        rounded = f" ({result.rounded} by {ROUNDING_NOTE})" if result.rounded else ""
        print(
            f"{status} {result.check}: {result.compared} compared, "
            f"{len(result.differences)} differ{rounded}"
        )
        for difference in result.differences[: arguments.max_shown]:
            print(f"       {difference}")
        failed = failed or bool(result.differences)
    print()
    print(
        "Engines differ beyond the tolerance."
        if failed
        else "Same answers on both engines (doubles to a relative "
        f"{FLOAT_RELATIVE_TOLERANCE:g}; counts, labels and decimals exactly, but for the "
        f"{ROUNDING_NOTE} counted above"
        + ("; the MLlib steps within the margins above)." if arguments.ml else ").")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Compares the key marts of a DuckDB build with those of a Spark build of the same data.

    python scripts/compare_engines.py [--duckdb PATH] [--spark-warehouse DIR]

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

Prints one line per check and every difference (up to --max-shown per check); exits 1 when a
difference is beyond the tolerance, 2 when a table is missing.
"""

from __future__ import annotations

import argparse
import math
import os
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
    """Equal, except that doubles may differ by FLOAT_RELATIVE_TOLERANCE of their size."""
    if left is None or right is None:
        return left is None and right is None
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


def open_both(duckdb_path: Path, spark_warehouse: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with views duckdb_<table> and spark_<table> for every table."""
    missing = [str(duckdb_path)] if not duckdb_path.exists() else []
    for schema, table in TABLES:
        folder = spark_table_path(spark_warehouse, schema, table)
        if not any(folder.glob("*.parquet")):
            missing.append(f"{folder}/*.parquet (Spark table {schema}.{table})")
    if missing:
        raise FileNotFoundError("missing: " + "; ".join(missing))
    connection = duckdb.connect()
    connection.execute("attach ? as duckdb_build (read_only)", [str(duckdb_path)])
    for schema, table in TABLES:
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
    parser.add_argument("--max-shown", type=int, default=10)
    arguments = parser.parse_args(argv)
    try:
        connection = open_both(arguments.duckdb, arguments.spark_warehouse)
    except FileNotFoundError as error:
        print(f"compare_engines: {error}. Build both engines first.", file=sys.stderr)
        return 2
    print(summary_table(connection))
    print()
    results = run_checks(connection)
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
        f"{ROUNDING_NOTE} counted above)."
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

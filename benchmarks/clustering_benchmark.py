"""Times the clustering models' work at full e-commerce scale (16.1M lines, 2.85M customers).

    .venv/bin/python benchmarks/clustering_benchmark.py [--runs 3] [--threads 2]
        [--sales 'target/bench/feed_16100000/sales_*.csv']
        [--warehouse target/bench/rows_16100000/build/warehouse.duckdb [--dbt-only]]

RFM per customer is computed once with DuckDB straight from the generator's CSV files, the
way fct_customer_rfm does it in outline (lines with a customer and a positive price; an order
is a customer's lines at one purchase time; as-of date the day after the last order). The
rule-based segment and marketing group are stand-ins of the same size (R x F score pairs,
R score): they only give the crosstab and the agreement something to compare.

Then each stage runs as its dbt model does: read its inputs from DuckDB (ordered by store and
customer), call the package, write the result back as a table. The stages run one after the
other (dbt may overlap independent ones on its two threads), so the total is an upper bound of
the clustering models' share of `dbt build`. Reports the median of --runs runs per stage; the
machine is shared, so timings are noisy.

With --warehouse (a warehouse built from the --sales files, as `make bench` leaves one), it
also times what the target is about: `dbt run --select path:models/ml/clustering` on it,
the seven models inside dbt on its two threads (`dbt_timing.py`); --dbt-only skips the stages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from dbt_timing import summary, time_dbt_runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_warehouse import clustering
from retail_warehouse.clustering import CLUSTER_ID_COLUMNS, MIXTURE_ID_COLUMNS, RFM_INPUT_COLUMNS
from retail_warehouse.settings import settings_from_project

PROJECT_DIR = Path(__file__).resolve().parents[1]

RFM_SQL = """
create or replace table fct_customer_rfm as
with lines as (
    select
        replace(customer_id, '.0', '') as customer_id,
        cast(purchase_time as timestamp) as ordered_at,
        cast(unit_price as decimal(18, 4)) * cast(item_count as integer) as amount
    from read_csv({path}, all_varchar = true, header = true)
    where customer_id is not null and customer_id <> '' and cast(unit_price as double) > 0
),
orders as (
    select customer_id, ordered_at, sum(amount) as amount
    from lines
    group by customer_id, ordered_at
),
as_of as (
    select cast(max(ordered_at) as date) + 1 as as_of_date from orders
),
customers as (
    select
        'ecommerce' as store_id,
        customer_id,
        cast(date_diff('day', cast(max(ordered_at) as date), any_value(as_of_date)) as integer)
            as recency_days,
        count(*) as frequency,
        cast(sum(amount) as decimal(18, 4)) as monetary
    from orders cross join as_of
    group by customer_id
),
scored as (
    select
        *,
        ntile(5) over (order by recency_days desc, customer_id) as r_score,
        ntile(5) over (order by frequency, customer_id) as f_score
    from customers
)
select
    store_id, customer_id, recency_days, frequency, monetary,
    'R' || r_score || 'F' || f_score as segment,
    'R' || r_score as marketing_group
from scored
"""


def read(connection: duckdb.DuckDBPyConnection, table: str, columns: str = "*") -> pa.Table:
    return clustering.read_ordered(connection.table(table), columns)


def write(connection: duckdb.DuckDBPyConnection, name: str, result) -> None:
    connection.register("result_frame", result)
    connection.execute(f"create or replace table {name} as select * from result_frame")
    connection.unregister("result_frame")


def stages(settings: clustering.ClusteringSettings):
    """(output table, function of the connection returning the result), in dbt's order."""

    def rfm(c):
        return read(c, "fct_customer_rfm", RFM_INPUT_COLUMNS)

    def features(c):
        return read(c, "ml_cluster_features")

    def whole(c, table):
        return c.table(table).to_arrow_table()

    return [
        ("ml_cluster_feature_transform", lambda c: clustering.feature_transform(rfm(c), settings)),
        (
            "ml_cluster_features",
            lambda c: clustering.customer_features(
                rfm(c), whole(c, "ml_cluster_feature_transform"), settings
            ),
        ),
        ("ml_cluster_kmeans_fits", lambda c: clustering.kmeans_fits(features(c), settings)),
        ("ml_cluster_mixture_fits", lambda c: clustering.mixture_fits(features(c), settings)),
        (
            "ml_cluster_k_selection",
            lambda c: clustering.k_selection(
                features(c),
                whole(c, "ml_cluster_kmeans_fits"),
                whole(c, "ml_cluster_mixture_fits"),
                settings,
            ),
        ),
        (
            "ml_customer_clusters",
            lambda c: clustering.customer_clusters(
                features(c),
                whole(c, "ml_cluster_feature_transform"),
                whole(c, "ml_cluster_kmeans_fits"),
                whole(c, "ml_cluster_k_selection"),
            ),
        ),
        (
            "ml_customer_mixture",
            lambda c: clustering.customer_mixture(
                features(c),
                whole(c, "ml_cluster_feature_transform"),
                whole(c, "ml_cluster_mixture_fits"),
                whole(c, "ml_cluster_k_selection"),
                settings,
            ),
        ),
        (
            "ml_cluster_profiles",
            lambda c: clustering.cluster_profiles(
                rfm(c),
                features(c),
                whole(c, "ml_cluster_feature_transform"),
                read(c, "ml_customer_clusters", CLUSTER_ID_COLUMNS),
                read(c, "ml_customer_mixture"),
            ),
        ),
        (
            "ml_cluster_segment_crosstab",
            lambda c: clustering.segment_crosstab(
                rfm(c), read(c, "ml_customer_clusters", CLUSTER_ID_COLUMNS)
            ),
        ),
        (
            "ml_cluster_agreement",
            lambda c: clustering.cluster_agreement(
                rfm(c),
                read(c, "ml_customer_clusters", CLUSTER_ID_COLUMNS),
                read(c, "ml_customer_mixture", MIXTURE_ID_COLUMNS),
            ),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", default="target/bench/feed_16100000/sales_*.csv")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads")
    parser.add_argument("--warehouse", type=Path, help="a full-scale warehouse: time dbt run")
    parser.add_argument("--dbt-only", action="store_true", help="with --warehouse: only dbt run")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory_limit in dbt")
    args = parser.parse_args(argv)
    if args.dbt_only and args.warehouse is None:
        parser.error("--dbt-only needs --warehouse")
    if not args.dbt_only:
        time_stages(args)
    if args.warehouse is not None:
        runs = time_dbt_runs(
            "path:models/ml/clustering",
            args.warehouse.resolve(),
            args.sales,
            runs=args.runs,
            memory_limit=args.memory_limit,
            target_path=PROJECT_DIR / "target" / "clustering_bench",
        )
        models = [name for name, _ in stages(settings_from_project(clustering.ClusteringSettings))]
        print(json.dumps(summary(runs, models), indent=2))
    return 0


def time_stages(args) -> None:

    connection = duckdb.connect()
    connection.execute(f"set threads = {args.threads}")
    started = time.perf_counter()
    connection.execute(RFM_SQL.format(path=repr(args.sales)))
    customers = connection.sql("select count(*) from fct_customer_rfm").fetchall()[0][0]
    print(f"RFM of {customers:,} customers in {time.perf_counter() - started:.1f} s (not timed)")

    settings = settings_from_project(clustering.ClusteringSettings)
    timings: dict[str, list[float]] = {}
    for run in range(args.runs):
        total = 0.0
        for name, stage in stages(settings):
            begun = time.perf_counter()
            write(connection, name, stage(connection))
            elapsed = time.perf_counter() - begun
            timings.setdefault(name, []).append(elapsed)
            total += elapsed
        timings.setdefault("total", []).append(total)
        print(f"run {run + 1}: {total:.1f} s", flush=True)

    print(f"\nmedian of {args.runs} runs, {customers:,} customers (shared 2-core machine: noisy)")
    for name, values in timings.items():
        print(f"  {name:<30} {statistics.median(values):6.1f} s")
    chosen = connection.sql("select k from ml_cluster_k_selection where is_chosen").fetchall()
    print(f"chosen k: {chosen}")


if __name__ == "__main__":
    sys.exit(main())

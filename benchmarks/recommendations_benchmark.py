"""Times the recommendation functions at full scale: median wall time of several runs, peak RSS.

    .venv/bin/python benchmarks/recommendations_benchmark.py \
        --sales '/tmp/ecom_full/sales_*.csv' --runs 3 [--algorithm item_cosine] \
        [--functions item_similarity recommend evaluate] [--eval-max-customers 20000]

The interactions (and, for `evaluate`, the purchase lines) are computed once with DuckDB from
the raw e-commerce files, the way int_customer_item_interactions computes them (purchases
with a customer, a positive count and a positive price; an order is a customer's purchase
time), and written to Parquet in --work-dir. Each run of each function is a fresh process that
reads that Parquet into pandas (as a dbt Python model's `.df()` does) and calls the function,
so a run's peak RSS is its own. The machine is shared: timings are noisy, hence medians.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_warehouse import recommendations as rec

LINES_SQL = """
    select
        regexp_replace(customer_id, '\\.0$', '') as customer_id,
        item_id,
        try_cast(item_count as integer) as quantity,
        try_cast(unit_price as decimal(18, 4)) as unit_price,
        try_cast(purchase_time as timestamp) as ordered_at
    from read_csv('{glob}', header = true, all_varchar = true)
    where coalesce(customer_id, '') <> ''
"""


def prepare(sales_glob: str, work_dir: Path, with_lines: bool) -> dict[str, Path]:
    """Interactions (and purchase lines) as Parquet, computed once with DuckDB."""
    work_dir.mkdir(parents=True, exist_ok=True)
    paths = {"interactions": work_dir / "interactions.parquet"}
    if with_lines:
        paths["purchases"] = work_dir / "purchases.parquet"
    connection = duckdb.connect()
    connection.execute(f"set temp_directory = '{work_dir / 'spill'}'")
    lines = f"""
        select
            'ecommerce' as store_id, customer_id, item_id, quantity, ordered_at,
            customer_id || '@' || cast(ordered_at as varchar) as order_id
        from ({LINES_SQL.format(glob=sales_glob)})
        where quantity > 0 and unit_price > 0 and ordered_at is not null
    """
    if not paths["interactions"].exists():
        connection.execute(
            f"""copy (
                select store_id, customer_id, item_id, count(distinct order_id) as orders
                from ({lines}) group by store_id, customer_id, item_id
            ) to '{paths["interactions"]}' (format parquet)"""
        )
    if with_lines and not paths["purchases"].exists():
        connection.execute(
            f"""copy (
                select store_id, customer_id, item_id, order_id, ordered_at from ({lines})
            ) to '{paths["purchases"]}' (format parquet)"""
        )
    return paths


def _run(function: str, paths: dict, settings: rec.Settings, options: dict, queue) -> None:
    started = time.perf_counter()
    interactions = pd.read_parquet(paths["interactions"])
    loaded = time.perf_counter()
    if function == "item_similarity":
        rows = len(rec.item_similarity(interactions, settings))
    elif function == "recommend":
        # The store's customers have a segment in the warehouse; here everyone shares one, so
        # the fallback does the work of the biggest segment.
        customers = pd.DataFrame(
            {"store_id": "ecommerce", "customer_id": interactions["customer_id"].unique()}
        )
        customers["segment"] = "all"
        customers["country"] = None
        rows = len(rec.recommend(interactions, customers, settings))
    else:
        del interactions
        purchases = pd.read_parquet(paths["purchases"])
        loaded = time.perf_counter()
        rows = len(rec.evaluate(purchases, None, settings, **options))
    finished = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {
            "load_seconds": loaded - started,
            "call_seconds": finished - loaded,
            "total_seconds": finished - started,
            "peak_rss_mb": peak_mb,
            "rows": rows,
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", default="/tmp/ecom_full/sales_*.csv")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/recommendations_benchmark"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--algorithm", default=rec.Settings().algorithm)
    parser.add_argument(
        "--functions",
        nargs="+",
        default=["item_similarity", "recommend"],
        choices=["item_similarity", "recommend", "evaluate"],
    )
    parser.add_argument("--eval-max-customers", type=int, default=20_000)
    parser.add_argument("--min-item-customers", type=int, default=rec.Settings().min_item_customers)
    parser.add_argument("--factors", type=int, default=rec.Settings().factors)
    parser.add_argument("--iterations", type=int, default=rec.Settings().iterations)
    args = parser.parse_args(argv)

    paths = prepare(args.sales, args.work_dir, "evaluate" in args.functions)
    settings = rec.Settings(
        algorithm=args.algorithm,
        min_item_customers=args.min_item_customers,
        factors=args.factors,
        iterations=args.iterations,
    )
    options = {
        "algorithms": ["popularity", args.algorithm],
        "max_customers": args.eval_max_customers,
    }
    context = mp.get_context("spawn")
    report = {"settings": settings.__dict__, "runs": args.runs, "functions": {}}
    for function in args.functions:
        results = []
        for _ in range(args.runs):
            queue = context.Queue()
            process = context.Process(target=_run, args=(function, paths, settings, options, queue))
            process.start()
            results.append(queue.get())
            process.join()
            print(function, json.dumps(results[-1]), flush=True)
        report["functions"][function] = {
            key: statistics.median(r[key] for r in results) for key in results[0]
        }
    total = sum(f["total_seconds"] for f in report["functions"].values())
    report["sum_of_median_total_seconds"] = total
    report["max_peak_rss_mb"] = max(f["peak_rss_mb"] for f in report["functions"].values())
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

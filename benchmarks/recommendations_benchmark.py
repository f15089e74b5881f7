"""Times the recommendation models at full scale: median of several runs, peak memory.

    .venv/bin/python benchmarks/recommendations_benchmark.py \\
        --warehouse target/bench/rows_16100000/build/warehouse.duckdb \\
        --ecommerce-path 'target/bench/feed_16100000/sales_*.csv' \\
        --runs 3 [--package-only | --dbt-only] [--memory-limit 4GB] [--target-path ...]

Both measurements read a warehouse already built at full scale (docs/recommendations.md,
Scale, has the command) and leave it as it was:

* package: the four functions (`recommendation_fit`, `evaluate`, then `recommend` and
  `item_similarity` on the fit) together in one fresh process per run, as dbt runs the four
  models: on two threads, in dbt's order, reading the warehouse tables as relations (the fit
  stays in memory, read-only), with the vars of dbt_project.yml. Wall time, CPU time (user +
  system) and the process's peak resident memory.
* dbt: `dbt run --select path:models/ml/recommendations` against the warehouse. Wall
  time, the dbt process's peak resident memory (the models run inside it, with DuckDB), and
  each model's time from run_results.json.

The machine may be shared with other work: every run also records the load average before
it, and the CPU time is the figure least moved by other processes. Medians are reported.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from queue import Empty

from dbt_timing import summary, time_dbt_runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from retail_warehouse.settings import read_project_vars

PROJECT_DIR = Path(__file__).resolve().parents[1]
MODELS = (
    "ml_recommendation_fit",
    "ml_customer_recommendations",
    "ml_item_similarity",
    "ml_recommendation_eval",
)
INTERACTIONS = "intermediate.int_customer_item_interactions"
RETURNS = "intermediate.int_customer_item_returns"
FIT = "ml.ml_recommendation_fit"


def project_vars(project_dir: Path) -> dict:
    """The `rec_*` vars of dbt_project.yml, as the models' `recommendations` config has them."""
    return {
        name: value
        for name, value in read_project_vars(project_dir).items()
        if name.startswith("rec_")
    }


def _package_run(warehouse: str, memory_limit: str, project_dir: str, queue) -> None:
    """One package run in this (fresh) process; puts its measurements on `queue`."""
    import duckdb

    sys.path.insert(0, project_dir)
    from retail_warehouse import recommendations as rec
    from retail_warehouse.settings import settings_from_project

    settings = settings_from_project(rec.RecommendationSettings, Path(project_dir))
    connection = duckdb.connect(warehouse, read_only=True, config={"memory_limit": memory_limit})
    fitted = {}  # the fit's table once ml_recommendation_fit is done, as dbt would store it

    def customers(c):
        return rec.customer_profiles(
            c.table("marts.dim_customers"), c.table("marts.fct_customer_rfm")
        )

    def fit(c):
        return c.from_arrow(fitted["table"])

    models = {
        "ml_recommendation_fit": lambda c: rec.recommendation_fit(c.table(INTERACTIONS), settings),
        "ml_recommendation_eval": lambda c: rec.evaluate(
            c.table("intermediate.int_order_lines_cleaned").filter("not is_return"),
            customers(c),
            c.table(RETURNS),
            settings,
        ),
        "ml_item_similarity": lambda c: rec.item_similarity(fit(c), settings),
        "ml_customer_recommendations": lambda c: rec.recommend(
            c.table(INTERACTIONS), fit(c), customers(c), c.table(RETURNS), settings
        ),
    }

    def timed(name: str):
        # Each model on a cursor of its own, as each dbt thread has.
        cursor = connection.cursor()
        started = time.perf_counter()
        table = models[name](cursor)
        return name, time.perf_counter() - started, table

    started = time.perf_counter()
    # dbt's order on two threads: the fit and the evaluation, then the two that apply the fit.
    with ThreadPoolExecutor(2) as pool:
        fit_run = pool.submit(timed, "ml_recommendation_fit")
        evaluation = pool.submit(timed, "ml_recommendation_eval")
        fitted["table"] = fit_run.result()[2]
        applying = [pool.submit(timed, name) for name in MODELS[1:3]]
        per_model = [fit_run.result(), evaluation.result(), *(run.result() for run in applying)]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put(
        {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_gb": usage.ru_maxrss / 1024**2,  # KiB, as dbt_timing.run_measured
            "models": {name: seconds for name, seconds, _ in per_model},
            "rows": {name: table.num_rows for name, _, table in per_model},
        }
    )


def package_runs(args) -> list[dict]:
    context = mp.get_context("spawn")
    runs = []
    for number in range(args.runs):
        load = os.getloadavg()[0]
        queue = context.Queue()
        process = context.Process(
            target=_package_run,
            args=(str(args.warehouse), args.memory_limit, str(args.project_dir), queue),
        )
        process.start()
        while True:
            try:
                result = queue.get(timeout=10)
                break
            except Empty:
                if not process.is_alive():
                    raise SystemExit(f"package run failed (exit code {process.exitcode})") from None
        process.join()
        result["load_before"] = load
        runs.append(result)
        print(f"package run {number + 1}: {json.dumps(result)}", flush=True)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument(
        "--ecommerce-path",
        default="target/bench/feed_16100000/sales_*.csv",
        help="the raw files the warehouse was built from (make bench's full-scale feed)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory_limit")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--target-path", type=Path, default=Path("target/recommendations_bench"))
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--package-only", action="store_true")
    only.add_argument("--dbt-only", action="store_true")
    args = parser.parse_args(argv)
    args.warehouse = args.warehouse.resolve()
    args.target_path = args.target_path.resolve()

    report = {"vars": project_vars(args.project_dir)}
    if not args.dbt_only:
        report["package"] = summary(package_runs(args), MODELS)
    if not args.package_only:
        runs = time_dbt_runs(
            "path:models/ml/recommendations",
            args.warehouse,
            args.ecommerce_path,
            runs=args.runs,
            memory_limit=args.memory_limit,
            target_path=args.target_path,
            project_dir=args.project_dir,
        )
        report["dbt"] = summary(runs, MODELS)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

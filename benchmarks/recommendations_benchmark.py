"""Times the three recommendation models at full scale: median of several runs, peak memory.

    .venv/bin/python benchmarks/recommendations_benchmark.py \\
        --warehouse target/bench/rows_16100000/build/warehouse.duckdb \\
        --ecommerce-path 'target/bench/feed_16100000/sales_*.csv' \\
        --runs 3 [--package-only | --dbt-only] [--memory-limit 4GB] [--target-path ...]

Both measurements read a warehouse already built at full scale (README, Recommendations,
Scale, has the command) and leave it as it was:

* package: the three functions (`recommend`, `item_similarity`, `evaluate`) together in one
  fresh process per run, as dbt runs the three models: on two threads, in dbt's order (the
  first two at once, `evaluate` when one of them is done), reading the warehouse tables as
  relations, with the vars of dbt_project.yml. Wall time, CPU time (user + system) and the
  process's peak resident memory.
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

import yaml
from dbt_timing import summary, time_dbt_runs

PROJECT_DIR = Path(__file__).resolve().parents[1]
MODELS = ("ml_customer_recommendations", "ml_item_similarity", "ml_recommendation_eval")
INTERACTIONS = "intermediate.int_customer_item_interactions"


def project_vars(project_dir: Path) -> dict:
    """The `rec_*` vars of dbt_project.yml, as the models' `recommendations` config has them."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    return {name: value for name, value in config["vars"].items() if name.startswith("rec_")}


def _package_run(warehouse: str, memory_limit: str, project_dir: str, queue) -> None:
    """One package run in this (fresh) process; puts its measurements on `queue`."""
    import duckdb

    sys.path.insert(0, project_dir)
    from retail_warehouse import recommendations as rec

    variables = project_vars(Path(project_dir))
    settings = rec.settings_from_config(variables)
    options = rec.eval_options(variables)
    connection = duckdb.connect(warehouse, read_only=True, config={"memory_limit": memory_limit})

    def recommend(ref):
        customers = rec.customer_profiles(ref("marts.dim_customers"), ref("marts.fct_customer_rfm"))
        return rec.recommend(ref(INTERACTIONS), customers, settings)

    def evaluate(ref):
        customers = rec.customer_profiles(ref("marts.dim_customers"), ref("marts.fct_customer_rfm"))
        purchases = ref("intermediate.int_order_lines_cleaned").filter("not is_return")
        return rec.evaluate(purchases, customers, settings, **options)

    models = {
        "ml_customer_recommendations": recommend,
        "ml_item_similarity": lambda ref: rec.item_similarity(ref(INTERACTIONS), settings),
        "ml_recommendation_eval": evaluate,
    }

    def timed(name: str):
        # Each model on a cursor of its own, as each dbt thread has.
        cursor = connection.cursor()
        started = time.perf_counter()
        rows = models[name](cursor.table).num_rows
        return name, time.perf_counter() - started, rows

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        per_model = list(pool.map(timed, MODELS))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put(
        {
            "seconds": time.perf_counter() - started,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_gb": usage.ru_maxrss / 1024**2,  # KiB, as dbt_timing.run_measured
            "models": {name: seconds for name, seconds, _ in per_model},
            "rows": {name: rows for name, _, rows in per_model},
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

"""What the line rules cost: the raw views and the judged lines, built from scratch several times.

    .venv/bin/python benchmarks/lines_benchmark.py --feed DIR [--runs 3] [--work-dir DIR]
        [--project-dir DIR] [--memory-limit 4GB]

Each run is a fresh process of `dbt build --select +int_order_lines` (the seed and the lines,
with the ephemeral staging models inside; no tests) into a new warehouse, reading the
e-commerce files DIR/sales_*.csv* and the bundled Online Retail file, with an empty cache of
checked files (so every file is read through once, as on a first build). It prints, per run
and as medians, the wall and CPU time of the process, the on-run-start hooks (the file checks,
the timestamp detection) and int_order_lines (the staging models are compiled into it).
`--project-dir` measures another checkout (a clone without a change, say) with this script.
Make a feed with the generator, e.g.
`.venv/bin/python -m datagen.ecommerce --rows 2000000 --customers 355000 --items 460000
--seed 42 --out /tmp/feed2m`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
from pathlib import Path

from dbt_timing import DBT, PROJECT_DIR, dbt_env, run_measured


def one_run(project_dir: Path, feed: Path, run_dir: Path, memory_limit: str) -> dict:
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    target = run_dir / "target"
    command = [str(DBT), "build", "--select", "+int_order_lines", "--exclude", "resource_type:test",
               "resource_type:unit_test", "--full-refresh", "--target-path", str(target),
               "--log-path", str(run_dir / "logs")]  # fmt: skip
    env = dbt_env(run_dir / "warehouse.duckdb", str(feed / "sales_*.csv*"), memory_limit)
    env["DBT_PROJECT_DIR"] = str(project_dir)
    env["DBT_PROFILES_DIR"] = str(project_dir / "profiles")
    env["WAREHOUSE_INPUT_CACHE_DIR"] = str(run_dir / "raw_inputs")
    load = os.getloadavg()[0]
    measured = run_measured(command, run_dir / "dbt.log", env, cwd=project_dir)
    results = json.loads((target / "run_results.json").read_text())["results"]
    times = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    hooks = sum(seconds for name, seconds in times.items() if "on-run-start" in name)
    return {
        "wall_seconds": measured["seconds"],
        "cpu_seconds": measured["cpu_seconds"],
        "peak_gb": measured["peak_gb"],
        "hooks_seconds": hooks,
        "int_order_lines_seconds": times["int_order_lines"],
        "load_before": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feed", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "target" / "lines_bench")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    runs = []
    for number in range(args.runs):
        run = one_run(
            args.project_dir.resolve(),
            args.feed.resolve(),
            args.work_dir / f"run_{number + 1}",
            args.memory_limit,
        )
        print(f"run {number + 1}: {json.dumps(run)}", flush=True)
        runs.append(run)
    medians = {key: round(statistics.median(r[key] for r in runs), 2) for key in runs[0]}
    print(f"median of {len(runs)}: {json.dumps(medians)}")


if __name__ == "__main__":
    main()

"""The Spark ML path at full scale on local Spark, next to the DuckDB path (docs/spark.md).

    .venv/bin/python benchmarks/spark_ml_benchmark.py --feed target/bench/feed_16100000 \\
        [--work-dir target/bench/spark_ml] [--steps sql ml duckdb] [--duckdb-warehouse FILE]

Steps (each a fresh process, measured: wall time, CPU time of the whole process tree, the JVM
included, and its peak resident memory):
- `sql`: `dbt build --target spark` of the seeds and models the ml tables read (no tests), from
  the feed's CSV files into an empty Spark warehouse under the work dir;
- `ml`: `python -m retail_warehouse.spark_ml build` on that warehouse, with each table's time;
- `duckdb`: `dbt run` of the same ml models (models/ml/clustering, models/ml/recommendations,
  ml_cluster_k_holdout) on a DuckDB warehouse already built from the same feed (a copy of
  --duckdb-warehouse, so the original stays as it was).
Results go to <work-dir>/results.json, one entry per step, with the Spark settings used.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from dbt_timing import DBT, PROJECT_DIR, dbt_env

# What the Spark ML command reads, and everything they need.
SQL_SELECTION = [
    "+fct_customer_rfm",
    "+dim_customers",
    "+int_customer_item_interactions",
    "+int_customer_item_returns",
    "+int_customer_histories_split",
    "+int_order_lines_cleaned",
]
ML_SELECTION = [
    "path:models/ml/clustering",
    "path:models/ml/recommendations",
    "ml_cluster_k_holdout",
]
POLL_SECONDS = 1.0


def _tree(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, pending = set(), [pid]
    while pending:
        current = pending.pop()
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def _usage(pid: int) -> tuple[float, int] | None:
    """(CPU seconds, resident bytes) of a process, None when it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(
        fields[21]
    ) * os.sysconf("SC_PAGE_SIZE")


def run_tree_measured(command: list[str], log_file: Path, env: dict) -> dict:
    """Runs a command; wall time, and CPU time and peak memory summed over its process tree
    (sampled every POLL_SECONDS: the JVM PySpark starts is not a waited-for child)."""
    started = time.perf_counter()
    cpu: dict[int, float] = {}
    peak = 0
    with log_file.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=output)
        while process.poll() is None:
            resident = 0
            for pid in _tree(process.pid):
                usage = _usage(pid)
                if usage is not None:
                    cpu[pid] = max(cpu.get(pid, 0.0), usage[0])
                    resident += usage[1]
            peak = max(peak, resident)
            time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(command[:4])} ... failed:\n{log_file.read_text()[-4000:]}")
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(sum(cpu.values()), 1),
        "peak_gb": round(peak / 1024**3, 2),
    }


def spark_env(work_dir: Path, feed: Path) -> dict:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ECOMMERCE_PATH": str(feed / "sales_*.csv*"),
        "SPARK_WAREHOUSE_DIR": str(work_dir / "spark" / "warehouse"),
        "SPARK_METASTORE_DIR": str(work_dir / "spark" / "metastore"),
        "DBT_TARGET_PATH": str(work_dir / "spark" / "dbt"),
        "DBT_LOG_PATH": str(work_dir / "spark" / "logs"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feed", type=Path, required=True, help="folder of sales_*.csv files")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "target/bench/spark_ml")
    parser.add_argument(
        "--steps", nargs="+", choices=["sql", "ml", "duckdb"], default=["sql", "ml"]
    )
    parser.add_argument("--duckdb-warehouse", type=Path, help="for `duckdb`: built from --feed")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's, for `duckdb`")
    arguments = parser.parse_args(argv)
    work_dir = arguments.work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    results_file = work_dir / "results.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {}
    env = spark_env(work_dir, arguments.feed.resolve())
    settings = {
        name: os.environ.get(name)
        for name in ("SPARK_MASTER", "SPARK_DRIVER_MEMORY", "SPARK_SHUFFLE_PARTITIONS")
    }
    for step in arguments.steps:
        print(f"bench: {step} ...", flush=True)
        if step == "sql":
            shutil.rmtree(work_dir / "spark", ignore_errors=True)
            command = [str(DBT), "build", "--target", "spark", "--select", *SQL_SELECTION]
            command += ["--exclude", "resource_type:test", "resource_type:unit_test"]
            measured = run_tree_measured(command, work_dir / "sql.log", env)
        elif step == "ml":
            timings = work_dir / "ml_timings.json"
            command = [sys.executable, "-m", "retail_warehouse.spark_ml", "build"]
            measured = run_tree_measured(
                [*command, "--timings", str(timings)], work_dir / "ml.log", env
            )
            measured["build"] = json.loads(timings.read_text())
        else:
            if arguments.duckdb_warehouse is None:
                sys.exit("bench: the duckdb step needs --duckdb-warehouse")
            warehouse = work_dir / "duckdb" / "warehouse.duckdb"
            warehouse.parent.mkdir(exist_ok=True)
            shutil.copy(arguments.duckdb_warehouse, warehouse)
            duckdb_env = {
                **dbt_env(warehouse, env["ECOMMERCE_PATH"], arguments.memory_limit),
                "DBT_TARGET_PATH": str(work_dir / "duckdb" / "dbt"),
                "DBT_LOG_PATH": str(work_dir / "duckdb" / "logs"),
            }
            command = [str(DBT), "run", "--select", *ML_SELECTION]
            measured = run_tree_measured(command, work_dir / "duckdb.log", duckdb_env)
            warehouse.unlink()
        measured["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        measured["load_average_1m_at_end"] = os.getloadavg()[0]
        measured["spark_settings"] = settings
        results[step] = measured
        results_file.write_text(json.dumps(results, indent=2) + "\n")
        print(json.dumps({step: measured}, indent=2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

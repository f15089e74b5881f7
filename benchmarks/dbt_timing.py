"""Times `dbt run --select <selector>` against a warehouse already built (the benchmarks of
the Python models share it): one fresh dbt process per run, its wall time, CPU time and peak
resident memory (the models run inside dbt's process, with DuckDB), and each node's time from
run_results.json. dbt replaces the selected tables with what they already hold."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DBT = Path(sys.executable).parent / "dbt"


def time_dbt_runs(
    selector: str,
    warehouse: Path,
    ecommerce_path: str,
    *,
    runs: int,
    memory_limit: str,
    target_path: Path,
    project_dir: Path,
) -> list[dict]:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_dir / "profiles"),
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "WAREHOUSE_MEMORY_LIMIT": memory_limit,
        "WAREHOUSE_TEMP_DIR": str(warehouse.parent / "spill"),
        # The on-run-start hook re-creates the raw views: they must stay on the full-scale files.
        "ECOMMERCE_PATH": ecommerce_path,
    }
    command = [str(DBT), "run", "--select", selector, "--target-path", str(target_path)]
    target_path.mkdir(parents=True, exist_ok=True)
    results = []
    for number in range(runs):
        load = os.getloadavg()[0]
        log_path = target_path / f"dbt_run_{number + 1}.log"
        started = time.perf_counter()
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=project_dir, env=env, stdout=log, stderr=log)
            # wait4, not wait: it also gives the finished process's own peak memory.
            _, status, usage = os.wait4(process.pid, 0)
        wall_seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"dbt run failed; see {log_path}")
        nodes = json.loads((target_path / "run_results.json").read_text())["results"]
        node_seconds = {n["unique_id"].split(".")[-1]: n["execution_time"] for n in nodes}
        result = {
            "wall_seconds": wall_seconds,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "peak_rss_gb": usage.ru_maxrss / 1e6,
            "load_before": load,
            "models": {name: {"seconds": seconds} for name, seconds in node_seconds.items()},
        }
        results.append(result)
        print(f"dbt run {number + 1}: {json.dumps(result)}", flush=True)
    return results


def summary(runs: list[dict], models) -> dict:
    """Medians over the runs; the peak memory is the highest run's."""
    return {
        "runs": len(runs),
        "median_wall_seconds": statistics.median(r["wall_seconds"] for r in runs),
        "wall_seconds": [round(r["wall_seconds"], 1) for r in runs],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "max_peak_rss_gb": max(r["peak_rss_gb"] for r in runs),
        "load_before": [round(r["load_before"], 1) for r in runs],
        "median_model_seconds": {
            model: statistics.median(r["models"][model]["seconds"] for r in runs)
            for model in models
        },
    }

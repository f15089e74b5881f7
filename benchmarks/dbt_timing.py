"""What the benchmarks share: a command run as a measured process (wall time, CPU time, peak
resident memory), the environment that points dbt at a benchmark's warehouse and feed, and
`time_dbt_runs`, which times `dbt run --select <selector>` on a warehouse already built (the
Python models' benchmarks): one fresh dbt process per run, with each node's time from
run_results.json. dbt replaces the selected tables with what they already hold.

Peak memory is in GB of 2**30 bytes (ru_maxrss is in KiB on Linux)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"


def run_measured(command: list[str], log_file: Path, env: dict | None = None, cwd=PROJECT_DIR):
    """Runs a command (output to log_file): wall and CPU seconds and its peak RSS in GB. A
    failure stops the benchmark with the end of the log."""
    started = time.perf_counter()
    with log_file.open("w") as output:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=output)
        # wait4 rather than wait: it also returns the finished process's own resource usage.
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(command[:4])} ... failed:\n{log_file.read_text()[-4000:]}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_gb": usage.ru_maxrss / 1024**2,
    }


def dbt_env(warehouse: Path, ecommerce_path: str, memory_limit: str) -> dict:
    """dbt on this warehouse file, reading the e-commerce feed from `ecommerce_path` (the
    on-run-start hook re-creates the raw views, so they must stay on the benchmark's files)."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "ECOMMERCE_PATH": ecommerce_path,
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "WAREHOUSE_TEMP_DIR": str(warehouse.parent / "spill"),
        "WAREHOUSE_MEMORY_LIMIT": memory_limit,
    }


def time_dbt_runs(
    selector: str,
    warehouse: Path,
    ecommerce_path: str,
    *,
    runs: int,
    memory_limit: str,
    target_path: Path,
    project_dir: Path = PROJECT_DIR,
) -> list[dict]:
    command = [str(DBT), "run", "--select", selector, "--target-path", str(target_path)]
    env = dbt_env(warehouse, ecommerce_path, memory_limit)
    target_path.mkdir(parents=True, exist_ok=True)
    results = []
    for number in range(runs):
        load = os.getloadavg()[0]
        log_file = target_path / f"dbt_run_{number + 1}.log"
        measured = run_measured(command, log_file, env, cwd=project_dir)
        nodes = json.loads((target_path / "run_results.json").read_text())["results"]
        result = {
            **measured,
            "load_before": load,
            "models": {n["unique_id"].split(".")[-1]: n["execution_time"] for n in nodes},
        }
        results.append(result)
        print(f"dbt run {number + 1}: {json.dumps(result)}", flush=True)
    return results


def summary(runs: list[dict], models) -> dict:
    """Medians over the runs; the peak memory is the highest run's."""
    return {
        "runs": len(runs),
        "median_wall_seconds": statistics.median(r["seconds"] for r in runs),
        "wall_seconds": [round(r["seconds"], 1) for r in runs],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
        "max_peak_gb": max(r["peak_gb"] for r in runs),
        "load_before": [round(r["load_before"], 1) for r in runs],
        "median_model_seconds": {
            model: statistics.median(r["models"][model] for r in runs) for model in models
        },
    }

"""The data tests at full scale: `dbt test` of the data tests alone, on one thread (so each
test's time is its own), on a warehouse `make bench` built, with the seconds per test and per
tested model from run_results.

    .venv/bin/python benchmarks/data_tests_benchmark.py \\
        --warehouse target/bench/rows_16100000/build/warehouse.duckdb \\
        --feed target/bench/feed_16100000 [--runs 2] [--baseline-project DIR]

With --baseline-project (a checkout of another commit), its tests and this project's run
alternately on the same warehouse, the baseline first, so a drift of the machine's speed falls
on both. The first run of a session reads the warehouse from disk and is slower: compare the
medians of two runs or more. The warehouse must have been built by a version whose models the
tests read. Results go to <work-dir>/results.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
from pathlib import Path

from dbt_timing import DBT, PROJECT_DIR, dbt_env, run_measured

TOP = 15  # tested models listed by their tests' seconds


def test_seconds(target_path: Path) -> dict[str, tuple[str, float]]:
    """Each data test's (tested model, seconds) from a run's run_results and manifest."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    nodes = json.loads((target_path / "manifest.json").read_text())["nodes"]
    seconds = {}
    for result in results:
        unique_id = result["unique_id"]
        if not unique_id.startswith("test."):
            continue
        node = nodes[unique_id]
        attached = node.get("attached_node")
        tested = attached.split(".")[-1] if attached else f"(singular) {node['name']}"
        seconds[unique_id] = (tested, result["execution_time"])
    return seconds


def run_tests(project: Path, warehouse: Path, feed: Path, run_dir: Path) -> dict:
    env = dbt_env(warehouse, str(feed / "sales_*.csv*"), "4GB")
    env["DBT_PROFILES_DIR"] = str(project / "profiles")
    command = [str(DBT), "test", "--threads", "1", "--exclude-resource-type", "unit_test"]
    command += ["--target-path", str(run_dir), "--log-path", str(run_dir / "logs")]
    run_dir.mkdir(parents=True, exist_ok=True)
    measured = run_measured(command, run_dir / "dbt.log", env, cwd=project)
    tests = test_seconds(run_dir)
    per_model = collections.Counter()
    for tested, seconds in tests.values():
        per_model[tested] += seconds
    return {
        "wall_seconds": round(measured["seconds"], 1),
        "tests": len(tests),
        "test_seconds": round(sum(seconds for _, seconds in tests.values()), 1),
        "per_model": {model: round(seconds, 2) for model, seconds in per_model.most_common()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--feed", type=Path, required=True, help="the feed it was built from")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--baseline-project", type=Path)
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "target/bench/data_tests")
    arguments = parser.parse_args(argv)
    projects = {"this": PROJECT_DIR}
    if arguments.baseline_project:
        projects = {"baseline": arguments.baseline_project.resolve(), **projects}
    runs: dict[str, list[dict]] = {name: [] for name in projects}
    for number in range(arguments.runs):
        for name, project in projects.items():
            run_dir = arguments.work_dir.resolve() / f"{name}-{number + 1}"
            result = run_tests(project, arguments.warehouse.resolve(), arguments.feed, run_dir)
            runs[name].append(result)
            print(
                f"{name} run {number + 1}: {result['tests']} tests, {result['test_seconds']} s",
                flush=True,
            )
    summary = {}
    for name, results in runs.items():
        last = results[-1]["per_model"]
        summary[name] = {
            "tests": results[-1]["tests"],
            "median_test_seconds": statistics.median(r["test_seconds"] for r in results),
            "test_seconds": [r["test_seconds"] for r in results],
            "median_per_model": {
                model: statistics.median(r["per_model"].get(model, 0.0) for r in results)
                for model in list(last)[:TOP]
            },
        }
    (arguments.work_dir / "results.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

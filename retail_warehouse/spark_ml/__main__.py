"""python -m retail_warehouse.spark_ml [--vars YAML] [build | test]

Without a command: `build` (in a process of its own, whose JVM holds the Derby metastore until
it exits), then `test`. `build` writes the `ml` tables to the Spark catalogue from the Spark
marts; `test` runs the dbt data tests of models/ml/clustering, models/ml/recommendations and
ml_cluster_k_holdout on them with `dbt test --target spark`. `--vars` takes dbt's format and
goes to both, so the tables and their tests see the same settings. Exit status: non-zero when a
step or a test fails.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from retail_warehouse.settings import PROJECT_DIR

# What `test` selects: the models the build writes (their tests, and the singular tests that
# read them, come with them).
TESTED = ["path:models/ml/clustering", "path:models/ml/recommendations", "ml_cluster_k_holdout"]
# The dbt var that enables those models on the spark target for `dbt test` (models/ml YAML).
TABLES_VAR = "spark_ml_tables"


def parse_vars(text: str | None) -> dict:
    """dbt's --vars (a YAML mapping) as a dict."""
    if not text:
        return {}
    value = yaml.safe_load(text)
    if not isinstance(value, dict):
        raise SystemExit(f"--vars must be a YAML mapping, got {text!r}")
    return value


def run_build(variables: dict, timings: Path | None) -> int:
    from retail_warehouse.spark_ml._build import build

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    summary = build(variables)
    print(json.dumps(summary, indent=2))
    if timings is not None:
        timings.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def run_tests(variables: dict) -> int:
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "test",
        "--target",
        "spark",
        "--vars",
        json.dumps({**variables, TABLES_VAR: True}),
        "--select",
        *TESTED,
    ]
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=PROJECT_DIR, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_warehouse.spark_ml", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("step", nargs="?", choices=["build", "test"])
    parser.add_argument("--vars", help="dbt vars, YAML: the same as dbt's --vars")
    parser.add_argument("--timings", type=Path, help="build: also write the timings here (JSON)")
    arguments = parser.parse_args(argv)
    variables = parse_vars(arguments.vars)
    if arguments.step == "build":
        return run_build(variables, arguments.timings)
    if arguments.step == "test":
        return run_tests(variables)
    build_command = [sys.executable, "-m", "retail_warehouse.spark_ml", "build"]
    if arguments.vars:
        build_command += ["--vars", arguments.vars]
    if arguments.timings:
        build_command += ["--timings", str(arguments.timings)]
    started = time.perf_counter()
    status = subprocess.run(build_command, cwd=PROJECT_DIR, env=os.environ, check=False).returncode
    print(f"spark_ml build: exit {status} after {time.perf_counter() - started:.0f} s", flush=True)
    if status != 0:
        return status
    return run_tests(variables)


if __name__ == "__main__":
    sys.exit(main())

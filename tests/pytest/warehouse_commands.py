"""The project's commands as the safe-build and reader tests run them: scripts/build_swap.py and
make targets, on the small input (small_warehouse.py), with every path they take set by the test.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from dbt_project_runner import PROJECT_DIR
from small_warehouse import QUICK_BUILD, dbt_env, dbt_paths

BUILD_SWAP = [sys.executable, str(PROJECT_DIR / "scripts" / "build_swap.py")]


def quick_args(work_dir: Path, variables: dict) -> list[str]:
    """The dbt arguments of small_warehouse's quick build (without the command) and its paths."""
    return [*QUICK_BUILD[1:], *dbt_paths(work_dir), "--vars", json.dumps(variables)]


def command_env(warehouse: Path, work_dir: Path, variables: dict | None = None, **extra) -> dict:
    """dbt_env, plus the inputs as env vars and dbt's target and log paths, so that a make target
    that passes no dbt arguments still reads the test's input and writes into work_dir."""
    env = {
        **dbt_env(warehouse, work_dir),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        **extra,
    }
    if variables:
        env["ONLINE_RETAIL_PATH"] = variables["online_retail_path"]
        env["ECOMMERCE_PATH"] = variables["ecommerce_path"]
    return env


def build_swap_command(work_dir: Path, variables: dict, *options: str) -> list[str]:
    return [*BUILD_SWAP, *options, "build", *quick_args(work_dir, variables)]


def make_command(target: str, project_dir: Path = PROJECT_DIR, **variables: str) -> list[str]:
    """`make <target> NAME=value ...`; a value is passed to make as one argument, as it is."""
    command = ["make", "--no-print-directory", "-C", str(project_dir), target]
    return command + [f"{name}={value}" for name, value in variables.items()]


def make_quick(target: str, work_dir: Path, variables: dict, **make_variables: str) -> list[str]:
    """A make target that runs dbt (build, load, slim-ci), with the quick build's arguments."""
    dbt_args = shlex.join(quick_args(work_dir, variables))
    return make_command(target, DBT_ARGS=dbt_args, **make_variables)


def start(command: list[str], env: dict, cwd: Path = PROJECT_DIR) -> subprocess.Popen:
    """Starts a command in its own process group (so a test can kill it and its children)."""
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def read_until(process: subprocess.Popen, wanted) -> str:
    """Reads the process's output until a line for which wanted(line) is true; returns it all."""
    seen = []
    for line in process.stdout:
        seen.append(line)
        if wanted(line):
            return "".join(seen)
    raise AssertionError("the command ended before the awaited line:\n" + "".join(seen))


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


# A BI tool that polls: connect read-only, query, disconnect, again, until the stop file exists.
# Prints {"polls": n, "errors": [...]} as JSON at the end.
POLLER = """
import json, sys, time
from pathlib import Path
import duckdb

warehouse, stop = sys.argv[1], Path(sys.argv[2])
polls, errors = 0, []
while not stop.exists():
    try:
        with duckdb.connect(warehouse, read_only=True) as connection:
            connection.execute("select count(*) from marts.dim_customers").fetchone()
        polls += 1
    except duckdb.Error as error:
        errors.append(str(error).splitlines()[0])
    time.sleep(0.05)
print(json.dumps({"polls": polls, "errors": errors}))
"""


class Poller:
    """A polling reader in its own process (a process of its own opens the file each time)."""

    def __init__(self, warehouse: Path, work_dir: Path):
        self.stop_file = work_dir / "stop-polling"
        self.process = subprocess.Popen(
            [sys.executable, "-c", POLLER, str(warehouse), str(self.stop_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> dict:
        self.stop_file.touch()
        stdout, stderr = self.process.communicate(timeout=60)
        assert self.process.returncode == 0, stderr
        return json.loads(stdout)

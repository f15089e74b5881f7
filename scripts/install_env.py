"""Creates or updates a virtual environment from pinned requirements, saying what it does.

    python3 scripts/install_env.py --venv .venv --requirements requirements.txt [more.txt ...]

`make install` (and the MetricFlow, Spark and Superset installs) run it: pip alone is silent
for the minute or two a first install takes. It prints each step, a line per tenth of the
packages as pip fetches them, and how long each step took; pip's own output is shown only
when it fails. Standard library only: it runs before the environment exists.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

# pip prints one of these per package it resolves (Processing: found as a local file), then one
# line when it starts installing.
RESOLVED = ("Collecting ", "Processing ", "Requirement already satisfied: ")
INSTALLING = "Installing collected packages:"


def say(message: str) -> None:
    print(f"install: {message}", flush=True)


def pinned_packages(requirements: list[Path]) -> int:
    """How many packages the files pin (lines that are not comments, blank or options)."""
    count = 0
    for path in requirements:
        for line in path.read_text().splitlines():
            stripped = line.split("#", 1)[0].strip()
            if stripped and not stripped.startswith("-"):
                count += 1
    return count


def create_venv(python: str, venv: Path) -> float:
    started = time.monotonic()
    say(f"creating {venv} ({python} -m venv)")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    return time.monotonic() - started


def pip_install(venv: Path, requirements: list[Path], total: int) -> tuple[float, float]:
    """Runs pip; returns the seconds spent resolving and fetching, then installing."""
    command = [str(venv / "bin" / "pip"), "install", "--disable-pip-version-check"]
    command += ["--progress-bar", "off"]
    for path in requirements:
        command += ["--requirement", str(path)]
    names = ", ".join(str(path) for path in requirements)
    say(f"fetching {total} pinned packages ({names}); a first install takes a minute or two")
    started = time.monotonic()
    installing_at = None
    seen = 0
    step = max(total // 10, 1)
    tail: deque[str] = deque(maxlen=60)  # what pip said last, for an error message
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            tail.append(line.rstrip())
            if line.startswith(RESOLVED):
                seen += 1
                if seen % step == 0:
                    elapsed = time.monotonic() - started
                    say(f"  {seen}/{total} packages resolved ({elapsed:.0f} s)")
            elif line.startswith(INSTALLING) and installing_at is None:
                installing_at = time.monotonic()
                say(f"installing {len(line[len(INSTALLING) :].split(','))} packages")
    finished = time.monotonic()
    if process.returncode != 0:
        sys.stderr.write("\n".join(tail) + "\n")
        raise SystemExit(f"install: pip failed (exit {process.returncode}); its output is above")
    installing_at = installing_at or finished  # nothing to install: every pin was there
    return installing_at - started, finished - installing_at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--requirements", type=Path, nargs="+", required=True)
    parser.add_argument("--python", default=sys.executable, help="creates the venv")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.requirements if not path.exists()]
    if missing:
        raise SystemExit(f"install: requirements file(s) not found: {', '.join(missing)}")

    started = time.monotonic()
    steps = []
    if not (args.venv / "bin" / "pip").exists():
        steps.append(f"venv {create_venv(args.python, args.venv):.0f} s")
    fetching, installing = pip_install(
        args.venv, args.requirements, pinned_packages(args.requirements)
    )
    steps += [f"resolve and fetch {fetching:.0f} s", f"install {installing:.0f} s"]
    say(f"{args.venv} ready in {time.monotonic() - started:.0f} s ({', '.join(steps)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

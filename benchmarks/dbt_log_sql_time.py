"""Seconds DuckDB spent on each kind of statement in a dbt debug log: what a config that adds
statements (persist_docs: `comment on` and `describe`) costs, without the noise of comparing
two builds' wall times on a shared machine.

    python benchmarks/dbt_log_sql_time.py logs/dbt.log [more logs ...]

dbt writes every statement ("On <node>: <sql>") and then its duration ("SQL status: OK in
0.002 seconds") to the log of each thread; a statement is counted under the first kind whose
marker it contains (KINDS), else under `other`.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

KINDS = {"comment": "comment on", "describe": "from (describe"}
ENTRY = re.compile(r"\n(?=\x1b\[0m\d\d:\d\d:\d\d\.\d+ )")
LINE = re.compile(r"\x1b\[0m\S+ \[\w+\s*\] \[([^\]]+)\]: (.*)", re.S)
DURATION = re.compile(r"SQL status: .* in ([\d.]+) seconds")


def sql_time_by_kind(log: Path) -> tuple[Counter, Counter]:
    """(seconds, statements) per kind."""
    seconds: Counter = Counter()
    statements: Counter = Counter()
    pending: dict[str, str] = {}  # thread -> kind of its statement still running
    for entry in ENTRY.split(log.read_text()):
        match = LINE.match(entry)
        if not match:
            continue
        thread, body = match.groups()
        if body.startswith("On ") and ": " in body:
            sql = body.lower()
            pending[thread] = next((k for k, marker in KINDS.items() if marker in sql), "other")
        elif (duration := DURATION.match(body)) and thread in pending:
            kind = pending.pop(thread)
            seconds[kind] += float(duration.group(1))
            statements[kind] += 1
    return seconds, statements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for log in args.logs:
        seconds, statements = sql_time_by_kind(log)
        kinds = ", ".join(
            f"{kind} {seconds[kind]:.2f} s ({statements[kind]})" for kind in sorted(statements)
        )
        print(f"{log}: {kinds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

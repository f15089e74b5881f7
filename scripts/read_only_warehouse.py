"""Runs a command that only reads the warehouse with DuckDB opening it read-only
(WAREHOUSE_ACCESS_MODE=read_only in profiles/profiles.yml), so that it works next to a BI tool
that holds the file open.

    python scripts/read_only_warehouse.py <command> [arguments...]

`make docs` and `make metrics` run through it. It stops first, naming the file, when the
warehouse does not exist: a read-only connection cannot create it.
"""

import os
import sys
from pathlib import Path

from warehouse_profile import duckdb_target


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    target = duckdb_target(Path.cwd(), None, None)
    if target is not None and not target.path.exists():
        print(
            f"{target.path.absolute()} does not exist (WAREHOUSE_DUCKDB_PATH): build it first "
            "with `make build`.",
            file=sys.stderr,
        )
        return 1
    os.execvpe(argv[0], argv, {**os.environ, "WAREHOUSE_ACCESS_MODE": "read_only"})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

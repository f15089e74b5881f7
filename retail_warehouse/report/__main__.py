"""`python -m retail_warehouse.report`: writes the report, with a line per store and section
on stderr as it goes."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from retail_warehouse.report.page import write_report

DEFAULT_OUT = "target/report.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retail_warehouse.report",
        description="Writes the HTML report of a built warehouse (one self-contained file).",
    )
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb"),
        help="the DuckDB file (env WAREHOUSE_DUCKDB_PATH; default warehouse.duckdb)",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the HTML file (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    out = write_report(Path(args.warehouse), Path(args.out), progress)
    size = out.stat().st_size / 1e6
    print(f"{out}: {size:.1f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

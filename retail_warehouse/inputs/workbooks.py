"""Excel workbooks as CSV: every sheet becomes one UTF-8 CSV file, its cells written the way
the project's CSV inputs write them (whole numbers without `.0`, timestamps as
`YYYY-MM-DD HH:MM:SS`), read with calamine (python-calamine, a Rust reader).

    .venv/bin/python -m retail_warehouse.inputs.workbooks WORKBOOK.xlsx OUT_DIR

writes OUT_DIR/<workbook>__<sheet>.csv for each sheet and prints the paths. The build does the
same by itself for a `.xlsx` input (retail_warehouse/inputs/raw_files.py); the command is for
reading a workbook elsewhere, or on Spark.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
from pathlib import Path

import python_calamine

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")


def is_workbook(path: str | Path) -> bool:
    return str(path).lower().endswith(WORKBOOK_SUFFIXES)


def cell_text(value: object) -> str:
    """A cell as CSV text: Excel keeps every number as a float, so 17850.0 is written 17850."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def sheet_file_name(workbook: Path, sheet: str, suffix: str = "") -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{workbook.stem}__{sheet}").strip("_")
    return f"{slug}{suffix}.csv"


def workbook_to_csv(workbook: Path, out_dir: Path, suffix: str = "") -> list[tuple[str, Path]]:
    """(sheet name, CSV path) for every sheet that has a row; raises CalamineError (and
    friends) on a file that is not a readable workbook."""
    out_dir.mkdir(parents=True, exist_ok=True)
    book = python_calamine.CalamineWorkbook.from_path(str(workbook))
    written = []
    try:
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).iter_rows()
            first = next(rows, None)
            if first is None:
                continue
            path = out_dir / sheet_file_name(workbook, name, suffix)
            partial = path.with_name(path.name + ".partial")
            with partial.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow([cell_text(cell) for cell in first])
                writer.writerows([cell_text(cell) for cell in row] for row in rows)
            partial.replace(path)
            written.append((name, path))
    finally:
        book.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description="Writes every sheet of a workbook as a CSV file.")
    parser.add_argument("workbook", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    for _, path in workbook_to_csv(args.workbook, args.out_dir):
        print(path)


if __name__ == "__main__":
    main()

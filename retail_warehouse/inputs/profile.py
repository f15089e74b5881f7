"""`make profile`: know your input before you build. Builds the lines and the input-profile
models (models/reports/inputs) from the configured raw files into a warehouse of their own,
with var stop_on_input_errors false so that the input checks warn instead of stopping, and
prints per file what the rules make of it.

    .venv/bin/python -m retail_warehouse.inputs.profile [--work-dir target/profile]
        [--vars '{ecommerce_options: {encoding: cp1252}}']

A file that cannot be read at all (a damaged gzip file, a wrong header) still stops it, with
the message of the build.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROFILE_BUILD = [
    "build",
    "--select",
    "+path:models/reports/inputs",
    "--exclude",
    "resource_type:unit_test",
    "--indirect-selection",
    "cautious",
]
MONTHS_SHOWN = 24


def build(work_dir: Path, extra_vars: dict) -> Path:
    """The profile's dbt build into work_dir/profile.duckdb (replaced each time)."""
    warehouse = work_dir / "profile.duckdb"
    work_dir.mkdir(parents=True, exist_ok=True)
    warehouse.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(PROJECT_DIR / "profiles")),
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
    }
    variables = {**extra_vars, "stop_on_input_errors": False}
    command = [
        str(Path(sys.executable).parent / "dbt"), *PROFILE_BUILD,
        "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
        "--vars", json.dumps(variables),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0 and not warehouse.exists():
        sys.exit(f"profile: the build stopped:\n{done.stdout[-6000:]}{done.stderr[-2000:]}")
    if done.returncode != 0:
        print(f"profile: dbt reported errors (see {work_dir / 'logs'}); the figures below are"
              " what was built.", file=sys.stderr)  # fmt: skip
    return warehouse


def rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = connection.execute(sql)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def example(row: dict) -> str:
    values = [
        f"order {row['example_order_id'] or '-'}",
        f"customer {row['example_customer_id'] or '-'}",
        f"item {row['example_item_id'] or '-'}",
        f"quantity {row['example_quantity'] or '-'}",
        f"price {row['example_unit_price'] or '-'}",
        f"at {row['example_ordered_at'] or '-'}",
    ]
    return f"row {row['example_row_number']:,} ({', '.join(values)})"


def file_report(file: dict, reasons: list[dict], months: list[dict]) -> list[str]:
    first, last = file["first_ordered_at"], file["last_ordered_at"]
    span = f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}" if first else "no readable dates"
    lines = [
        f"{file['store_id']}: {file['source_file']}",
        f"  {file['lines']:,} lines: {file['kept_lines']:,} kept, {file['rejected_lines']:,}"
        f" rejected ({file['rejected_share']:.1%}); {span}, {file['months']} month(s)",
        f"  read as {file['encoding']}, timestamps {file['timestamp_format']}"
        f" ({file['timestamp_format_origin']}), exact repeat lines are"
        f" {file['repeated_lines']}s",
    ]
    shown = [f"{m['order_month']:%Y-%m} {m['lines']:,}" + (
        f" (also in {m['files_in_month'] - 1} other file(s))" if m["files_in_month"] > 1 else ""
    ) for m in months[:MONTHS_SHOWN]]  # fmt: skip
    more = f" and {len(months) - MONTHS_SHOWN} more" if len(months) > MONTHS_SHOWN else ""
    lines.append(f"  per month: {'; '.join(shown) or 'none'}{more}")
    for reason in reasons:
        lines.append(
            f"  {reason['rejection_reason']}: {reason['lines']:,}"
            f" ({reason['share_of_file_lines']:.1%}), e.g. {example(reason)}"
        )
    lines.append(
        f"  flagged: {file['duplicate_lines']:,} duplicates, {file['malformed_lines']:,}"
        f" malformed, {file['missing_value_lines']:,} with a missing value,"
        f" {file['future_lines']:,} in the future, {file['non_product_lines']:,} non-products,"
        f" {file['control_character_lines']:,} with control characters"
        f" ({file['control_characters']:,} taken out)"
    )
    unreadable = []
    for column, label in (("quantity", "quantities"), ("unit_price", "unit prices"),
                          ("timestamp", "timestamps")):  # fmt: skip
        count = file[f"unreadable_{label.replace(' ', '_')}"]
        text = f"{count:,} {label}"
        if count:
            text += f" (e.g. {file[f'example_unreadable_{column}']!r})"
        unreadable.append(text)
    lines.append(f"  unreadable: {', '.join(unreadable)}")
    return lines


def report(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        files = rows(connection, "select * from marts.rpt_input_files order by all")
        reasons, months = defaultdict(list), defaultdict(list)
        for row in rows(
            connection,
            "select * from marts.rpt_input_file_rejections"
            " order by store_id, source_file, lines desc, rejection_reason",
        ):
            reasons[row["store_id"], row["source_file"]].append(row)
        for row in rows(connection, "select * from marts.rpt_input_file_months order by all"):
            months[row["store_id"], row["source_file"]].append(row)
        candidates = rows(
            connection,
            "select * from marts.rpt_non_product_candidates order by store_id, lines desc, item_id",
        )
    out = [f"Input profile ({warehouse}; docs/sources-and-cleaning.md, Input profile)", ""]
    for file in files:
        key = file["store_id"], file["source_file"]
        out += [*file_report(file, reasons[key], months[key]), ""]
    out.append("Item codes that look like non-products, not in seeds/non_product_stock_codes.csv:")
    for row in candidates:
        out.append(
            f"  {row['store_id']}: {row['item_id']} ({row['looks_like']}): {row['lines']:,}"
            f" lines, {row['customers']:,} customers, e.g. {row['example_item_name']!r}"
        )
    if not candidates:
        out.append("  none")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "target" / "profile")
    parser.add_argument("--vars", default="{}", help="dbt vars (YAML), e.g. read options")
    args = parser.parse_args()
    print(report(build(args.work_dir.resolve(), yaml.safe_load(args.vars) or {})))


if __name__ == "__main__":
    main()

"""Exports the marts and the ml tables to Parquet files, for BI tools that do not read DuckDB.

    python scripts/export_parquet.py [--warehouse warehouse.duckdb] [--out-dir target/parquet]

writes one file per table or view of schemas `marts` and `ml` (`--schemas` for others),
`<out-dir>/<schema>/<table>.parquet`, and `<out-dir>/manifest.json`
listing each file with its row count and columns (name and DuckDB type). The warehouse is
opened read-only, so a BI tool may hold it open meanwhile. Files are written to a temporary
directory first and moved into place table by table, so a reader never sees a half-written file.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb

# What BI users read: the marts and reports (with the views that name recommended items), and
# the clusters and recommendations.
DEFAULT_SCHEMAS = ("marts", "ml")


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def export(warehouse: Path, out_dir: Path, schemas=DEFAULT_SCHEMAS) -> list[dict]:
    if not warehouse.exists():
        raise SystemExit(f"export_parquet: {warehouse} does not exist; run `make build` first.")
    out_dir.mkdir(parents=True, exist_ok=True)
    exported = []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # Views too: a Parquet reader cannot join dim_items itself as easily as a view does.
        tables = connection.execute(
            "select schema_name, name from ("
            " select schema_name, table_name as name from duckdb_tables()"
            " union all select schema_name, view_name from duckdb_views() where not internal)"
            " where schema_name in (select unnest(?::varchar[])) order by 1, 2",
            [list(schemas)],
        ).fetchall()
        if not tables:
            raise SystemExit(f"export_parquet: no tables in schema(s) {', '.join(schemas)}.")
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as staging:
            for schema, table in tables:
                relation = f"{quoted(schema)}.{quoted(table)}"
                target = out_dir / schema / f"{table}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = Path(staging) / f"{schema}.{table}.parquet"
                connection.execute(
                    f"copy (select * from {relation}) to ? (format parquet, compression zstd)",
                    [str(temporary)],
                )
                os.replace(temporary, target)
                columns = connection.execute(
                    "select column_name, data_type from duckdb_columns()"
                    " where schema_name = ? and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                rows = connection.execute(f"select count(*) from {relation}").fetchone()[0]
                exported.append(
                    {
                        "table": f"{schema}.{table}",
                        "file": str(target.relative_to(out_dir)),
                        "rows": rows,
                        "columns": [{"name": n, "type": t} for n, t in columns],
                    }
                )
    (out_dir / "manifest.json").write_text(json.dumps(exported, indent=2) + "\n")
    return exported


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse", default=os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")
    )
    parser.add_argument("--out-dir", default="target/parquet")
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS))
    args = parser.parse_args(argv)
    out_dir = Path(args.out_dir)
    for entry in export(Path(args.warehouse), out_dir, tuple(args.schemas)):
        print(f"{out_dir / entry['file']}: {entry['rows']:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

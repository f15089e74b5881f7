"""Opens the warehouse with the DuckDB of the Python running this script and reads every table
of the BI schemas in full: the check that an older DuckDB client reads the file.

    python scripts/check_duckdb_client.py [warehouse.duckdb] [--schemas marts ml]

`make duckdb-client-check` runs it with the DuckDB of requirements-duckdb-client.txt on the
built warehouse (docs/bi-access-and-safe-builds.md). It needs only the duckdb package.
"""

import argparse
import os
import sys

import duckdb

DEFAULT_SCHEMAS = ("marts", "ml")
BATCH_ROWS = 100_000


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def read_every_table(warehouse: str, schemas: list[str]) -> list[tuple[str, int]]:
    """(schema.table, rows) for every table of schemas, each read to its last row."""
    try:
        connection = duckdb.connect(warehouse, read_only=True)
    except duckdb.Error as error:
        raise SystemExit(
            f"check_duckdb_client: DuckDB {duckdb.__version__} cannot open {warehouse}: {error}\n"
            "The file's format is chosen when it is created, by DuckDB's "
            "storage_compatibility_version (WAREHOUSE_STORAGE_VERSION in profiles/profiles.yml); "
            "a `make build` or `make load` writes it in that format."
        ) from None
    with connection:
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables()"
            " where schema_name in (select unnest(?::varchar[])) order by all",
            [schemas],
        ).fetchall()
        empty = sorted(set(schemas) - {schema for schema, _ in tables})
        if empty:
            raise SystemExit(f"check_duckdb_client: no tables in {', '.join(empty)} of {warehouse}")
        counted = []
        for schema, table in tables:
            cursor = connection.execute(f"select * from {quoted(schema)}.{quoted(table)}")
            rows = 0
            while batch := cursor.fetchmany(BATCH_ROWS):
                rows += len(batch)
            counted.append((f"{schema}.{table}", rows))
    return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "warehouse", nargs="?", default=os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")
    )
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS))
    args = parser.parse_args(argv)
    counted = read_every_table(args.warehouse, args.schemas)
    print(f"DuckDB {duckdb.__version__} read {len(counted)} tables of {args.warehouse}:")
    for name, rows in counted:
        print(f"  {name}: {rows:,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The built warehouse, opened read-only: a BI tool holding the file or a build swapping it in
(scripts/build_swap.py) does not clash with the report."""

from __future__ import annotations

from pathlib import Path

import duckdb


class Warehouse:
    """A read-only DuckDB connection that returns rows as dictionaries."""

    def __init__(self, path: Path):
        if not path.exists():
            raise SystemExit(f"report: {path} does not exist; run `make build` first.")
        self.path = path
        self.connection = duckdb.connect(str(path), read_only=True)
        self.tables = {
            f"{schema}.{table}"
            for schema, table in self.connection.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }

    def missing(self, *tables: str) -> list[str]:
        return [table for table in tables if table not in self.tables]

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.connection.close()

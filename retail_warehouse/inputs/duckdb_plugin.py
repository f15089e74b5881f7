"""The dbt-duckdb plugin (profiles/profiles.yml, `plugins`) that gives every DuckDB connection
dbt opens the function `prepare_raw_files(request)`: raw_files.prepare_all, called by the
on-run-start hook for each source's files before their views are made. A plugin rather than a
make step, so that `dbt build` run directly checks the files too."""

from __future__ import annotations

import atexit

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection
from duckdb.sqltypes import VARCHAR

from retail_warehouse.inputs.raw_files import prepare_all

FUNCTION_NAME = "prepare_raw_files"


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function(FUNCTION_NAME, prepare_all, [VARCHAR], VARCHAR, side_effects=True)
        # A tool that leaves the connection open at exit (sqlfluff's dbt templater) would
        # otherwise make DuckDB's bindings report the Python function as leaked.
        atexit.register(conn.close)

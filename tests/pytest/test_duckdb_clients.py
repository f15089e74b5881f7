"""The warehouse file opens in older DuckDB clients (1.4 on: CLI, JDBC, Node, ODBC and the BI
tools that bundle them), not only in the Python duckdb 2.0 that writes it.

The old client is the Python duckdb of requirements-duckdb-client.txt in its own environment
(`make duckdb-client-install`); the test finds it in OLD_DUCKDB_PYTHON or
.venv/duckdb-client/bin/python and is skipped without it.
"""

import os
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import PROJECT_DIR
from small_warehouse import run
from warehouse_commands import command_env, make_quick

OLD_PYTHON = Path(
    os.environ.get("OLD_DUCKDB_PYTHON", PROJECT_DIR / ".venv" / "duckdb-client" / "bin" / "python")
)
CHECK = PROJECT_DIR / "scripts" / "check_duckdb_client.py"

pytestmark = pytest.mark.skipif(
    not OLD_PYTHON.exists(),
    reason=f"no older DuckDB client ({OLD_PYTHON}); run `make duckdb-client-install`",
)


def old_client(warehouse: Path, *schemas: str):
    return run([str(OLD_PYTHON), str(CHECK), str(warehouse), "--schemas", *schemas], os.environ)


def tables(warehouse: Path, schema: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]
        ).fetchall()
    return [name for (name,) in rows]


def test_an_old_client_queries_every_mart_of_a_build(swapped_build):
    warehouse = swapped_build[0]
    completed = old_client(warehouse, "marts")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "DuckDB 1.4" in completed.stdout
    marts = tables(warehouse, "marts")
    assert len(marts) > 5
    for table in marts:
        assert f"marts.{table}:" in completed.stdout


def test_a_load_turns_a_file_old_clients_cannot_read_into_one_they_can(swapped_build, tmp_path):
    """A warehouse written in DuckDB 2.0's own format (as before the setting) becomes readable
    with the next load, which copies it in the configured format."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), config={"storage_compatibility_version": "latest"}) as db:
        db.execute("attach ? as shared_build (read_only)", [str(swapped_build[0])])
        db.execute("copy from database shared_build to warehouse")
    refused = old_client(warehouse, "marts")
    assert refused.returncode != 0
    assert "storage_compatibility_version" in refused.stderr

    variables = swapped_build[2]
    loaded = run(make_quick("load", tmp_path, variables), command_env(warehouse, tmp_path))
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    completed = old_client(warehouse, "marts")
    assert completed.returncode == 0, completed.stdout + completed.stderr

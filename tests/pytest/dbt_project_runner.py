"""Runs the project's dbt build against inputs a test writes itself, in a throw-away warehouse."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"

ONLINE_RETAIL_HEADER = (
    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
)
ECOMMERCE_HEADER = "customer_id,item_id,item_name,unit_price,item_count,purchase_time"


@dataclass
class DbtRun:
    returncode: int
    output: str
    warehouse: Path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.sql(sql).fetchall()


def write_csv(path: Path, header: str | None, rows: list[str]) -> Path:
    """Writes a raw file exactly as given: no header when header is None, no quoting added."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ([header] if header is not None else []) + rows
    path.write_text("".join(line + "\n" for line in lines))
    return path


def run_dbt(work_dir: Path, *args: str, variables: dict | None = None) -> DbtRun:
    """Runs a dbt command on the project, building into work_dir/warehouse.duckdb."""
    warehouse = work_dir / "warehouse.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "WAREHOUSE_TEMP_DIR": str(work_dir / "spill"),
        "WAREHOUSE_INPUT_CACHE_DIR": str(work_dir / "raw_inputs"),
    }
    command = [
        str(DBT),
        *args,
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    if variables:
        command += ["--vars", json.dumps(variables)]
    completed = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    return DbtRun(completed.returncode, completed.stdout + completed.stderr, warehouse)


def run_dbt_build(work_dir: Path, online_retail_path: str, ecommerce_path: str) -> DbtRun:
    """`dbt build` of the whole project with the given input paths."""
    variables = {"online_retail_path": online_retail_path, "ecommerce_path": ecommerce_path}
    return run_dbt(work_dir, "build", variables=variables)

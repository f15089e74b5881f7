"""A small, known input for the BI and reviewer tests, and a quick build of it (no dbt tests)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from dbt_project_runner import ECOMMERCE_HEADER, ONLINE_RETAIL_HEADER, PROJECT_DIR, write_csv

DBT = Path(sys.executable).parent / "dbt"
PYTHON = sys.executable
# Models, seeds and the time spine only: dbt's own tests run in `make dbt-build`, and the
# Python models (clustering, recommendations) are slow and tested on their own, so they and the
# views that read them are left out.
QUICK_BUILD = [
    "build",
    "--exclude",
    "path:models/ml+",
    "resource_type:test",
    "resource_type:unit_test",
]

# Six UK-shop customers with different recency, frequency and spend, and one return.
ONLINE_RETAIL_ROWS = [
    "536001,85123A,HEART T-LIGHT HOLDER,10,2011-01-05 10:00:00,2.50,17001,United Kingdom",
    "536002,85123A,HEART T-LIGHT HOLDER,4,2011-03-05 10:00:00,2.50,17001,United Kingdom",
    "536003,71053,WHITE METAL LANTERN,2,2011-06-01 10:00:00,3.00,17001,United Kingdom",
    "536004,71053,WHITE METAL LANTERN,1,2011-11-30 10:00:00,3.00,17001,United Kingdom",
    "536005,22752,SET 7 BABUSHKA NESTING BOXES,2,2011-02-01 09:00:00,7.65,17002,France",
    "536006,22752,SET 7 BABUSHKA NESTING BOXES,5,2011-11-01 09:00:00,7.65,17002,France",
    "536007,21730,GLASS STAR FROSTED T-LIGHT HOLDER,6,2011-01-10 12:00:00,4.25,17003,Germany",
    "536008,84029G,KNITTED UNION FLAG HOT WATER BOTTLE,6,2011-09-10 12:00:00,3.39,17004,"
    "United Kingdom",
    "536009,84029G,KNITTED UNION FLAG HOT WATER BOTTLE,20,2011-12-01 12:00:00,3.39,17005,"
    "United Kingdom",
    "536010,22633,HAND WARMER UNION JACK,3,2011-04-10 12:00:00,1.85,17006,Spain",
    "C536011,22633,HAND WARMER UNION JACK,-1,2011-04-12 12:00:00,1.85,17006,Spain",
]
ECOMMERCE_ROWS = [
    "104233.0,5000123,Rustic Garden Lantern 5000123,12.99,2,2021-01-04 10:15:00",
    "104233.0,5000124,Amber Candle 5000124,3.5,1,2021-01-20 10:15:00",
    "104234.0,5000125,Oak Shelf 5000125,20.00,1,2021-01-05 11:00:00",
    "104235.0,5000124,Amber Candle 5000124,3.5,4,2021-01-28 16:30:00",
]
# A customer the `after` input adds to the e-commerce store.
NEW_ECOMMERCE_ROWS = ["104236.0,5000123,Rustic Garden Lantern 5000123,12.99,1,2021-01-15 08:00:00"]


def write_inputs(directory: Path, with_new_customer: bool = False) -> dict:
    """Writes the small input into `directory`; returns the vars that point dbt at it."""
    online_retail = write_csv(
        directory / "online_retail.csv", ONLINE_RETAIL_HEADER, ONLINE_RETAIL_ROWS
    )
    ecommerce_rows = ECOMMERCE_ROWS + (NEW_ECOMMERCE_ROWS if with_new_customer else [])
    write_csv(directory / "ecommerce" / "sales_2021_01.csv", ECOMMERCE_HEADER, ecommerce_rows)
    return {
        "online_retail_path": str(online_retail),
        "ecommerce_path": str(directory / "ecommerce" / "sales_*.csv"),
    }


def dbt_env(warehouse: Path, work_dir: Path) -> dict:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "WAREHOUSE_TEMP_DIR": str(work_dir / "spill"),
        "WAREHOUSE_INPUT_CACHE_DIR": str(work_dir / "raw_inputs"),
    }


def dbt_paths(work_dir: Path) -> list[str]:
    return ["--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]


def run(command: list[str], env: dict, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def quick_build(warehouse: Path, work_dir: Path, variables: dict) -> subprocess.CompletedProcess:
    """dbt build of models and seeds (no tests, no Python models) straight into `warehouse`."""
    command = [str(DBT), *QUICK_BUILD, *dbt_paths(work_dir), "--vars", json.dumps(variables)]
    return run(command, dbt_env(warehouse, work_dir))

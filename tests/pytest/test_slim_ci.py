"""Slim CI: `dbt build --select state:modified+` against a saved manifest, and a contract change
(a dropped or retyped mart column) reported as breaking."""

import json
import shutil
import sys

import duckdb
import pytest
import yaml
from dbt_project_runner import PROJECT_DIR
from small_warehouse import DBT, dbt_env, dbt_paths, quick_build, run, write_inputs

# The package too: the profile loads its DuckDB plugin (retail_warehouse.inputs) from the project.
PROJECT_ENTRIES = [
    "dbt_project.yml", "macros", "models", "seeds", "tests", "profiles", "retail_warehouse",
]  # fmt: skip
MARTS_YML = "models/marts/customers/_customers__models.yml"
ERROR_ON_BREAKING = ["--warn-error-options", json.dumps({"error": ["UnversionedBreakingChange"]})]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The base: a small warehouse and the manifest it was built from (the saved state)."""
    work_dir = tmp_path_factory.mktemp("slim_ci")
    variables = write_inputs(work_dir / "input")
    completed = quick_build(work_dir / "warehouse.duckdb", work_dir, variables)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return work_dir, variables


def changed_project(tmp_path, change) -> tuple:
    """A copy of the project with `change` applied to it. The Python models are copied too
    (exposures and views refer to them); the dbt commands leave them out (path:models/ml+)."""
    project = tmp_path / "project"
    project.mkdir()
    for entry in PROJECT_ENTRIES:
        source = PROJECT_DIR / entry
        if source.is_dir():
            shutil.copytree(source, project / entry)
        else:
            shutil.copy(source, project / entry)
    change(project)
    return project


def dbt_in(project, tmp_path, warehouse, variables, *args):
    command = [str(DBT), *args, "--exclude", "path:models/ml+", *dbt_paths(tmp_path)]
    command += ["--vars", json.dumps(variables)]
    return run(command, dbt_env(warehouse, tmp_path), cwd=project)


def edit_marts_yml(project, edit):
    path = project / MARTS_YML
    document = yaml.safe_load(path.read_text())
    models = {model["name"]: model for model in document["models"]}
    edit(models)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def drop_and_retype(project):
    def edit(models):
        customers = models["dim_customers"]
        customers["columns"] = [c for c in customers["columns"] if c["name"] != "country"]
        for column in models["fct_customer_rfm"]["columns"]:
            if column["name"] == "frequency":
                column["data_type"] = "integer"

    edit_marts_yml(project, edit)


def test_a_dropped_or_retyped_mart_column_is_reported_as_breaking(base, tmp_path):
    work_dir, variables = base
    project = changed_project(tmp_path, drop_and_retype)
    state = ["--state", str(work_dir / "target")]
    warehouse = work_dir / "warehouse.duckdb"

    listed = dbt_in(
        project, tmp_path, warehouse, variables, "ls", "-s", "state:modified+", *state,
        "--resource-type", "model", "--output", "name",
    )  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    models = set(listed.stdout.split())
    assert {"dim_customers", "fct_customer_rfm", "rpt_segment_summary"} <= models
    assert not models & {"fct_orders", "stg_online_retail__order_lines", "int_order_lines_cleaned"}
    assert "Breaking change to contracted, unversioned model dim_customers" in listed.stdout
    assert "Columns were removed: \n    - country" in listed.stdout
    assert "- frequency (bigint -> integer)" in listed.stdout

    # CI turns the warning into an error (make slim-ci).
    strict = dbt_in(project, tmp_path, warehouse, variables, "ls", "-s", "state:modified+",
                    *state, *ERROR_ON_BREAKING)  # fmt: skip
    assert strict.returncode != 0
    assert "breaking change" in strict.stdout.lower()


def test_slim_build_runs_only_the_modified_model_and_its_children(base, tmp_path):
    work_dir, variables = base

    def touch_store_summary(project):
        sql = project / "models/reports/sales/rpt_store_summary.sql"
        sql.write_text("-- a non-breaking change\n" + sql.read_text())

    project = changed_project(tmp_path, touch_store_summary)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(work_dir / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as connection:  # marks the table the build replaces
        connection.execute("create or replace table marts.rpt_store_summary as select 1 as x")
    completed = run(
        [
            sys.executable, str(PROJECT_DIR / "scripts" / "build_swap.py"), "--copy-current",
            "build", "-s", "state:modified+", "--state", str(work_dir / "target"),
            "--exclude", "path:models/ml+", *ERROR_ON_BREAKING, *dbt_paths(tmp_path),
            "--vars", json.dumps(variables),
        ],
        dbt_env(warehouse, tmp_path),
        cwd=project,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "OK created sql table model marts.rpt_store_summary" in completed.stdout
    assert "dim_customers" not in completed.stdout.replace("relationships", "")
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stores = connection.execute("select store_id from marts.rpt_store_summary").fetchall()
        assert sorted(stores) == [("ecommerce",), ("online_retail",)]
        assert connection.execute("select count(*) from marts.dim_customers").fetchone()[0] == 9

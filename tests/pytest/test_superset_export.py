"""The Superset dashboard export (bi/superset/segment_dashboard) fits the project: every chart,
dataset and filter it names exists, every column it reads is a documented column of a mart, and
the `segment_dashboard` exposure lists the marts it reads. A live Superset imports and checks it
in `make superset-check` (scripts/superset_dashboard.py), which takes minutes, so not here."""

import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from dbt_project_runner import PROJECT_DIR, run_dbt

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import superset_dashboard

EXPORT = superset_dashboard.EXPORT_DIR


def load(kind: str) -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((EXPORT / kind).rglob("*.yaml"))]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    work_dir = tmp_path_factory.mktemp("superset_export")
    run = run_dbt(work_dir, "parse")
    assert run.returncode == 0, run.output
    return json.loads((work_dir / "target" / "manifest.json").read_text())


def mart_columns(manifest: dict) -> dict[str, set[str]]:
    return {
        node["name"]: set(node["columns"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def dataset_tables(dataset: dict) -> set[str]:
    """The marts a dataset reads: its table, or those its SQL names."""
    if not dataset["sql"]:
        return {dataset["table_name"]}
    return set(re.findall(r"\bmarts\.(\w+)", dataset["sql"]))


def test_every_reference_in_the_export_resolves():
    datasets = {d["uuid"]: d for d in load("datasets")}
    charts = {c["uuid"]: c for c in load("charts")}
    (dashboard,) = load("dashboards")
    (database,) = load("databases")
    assert {d["database_uuid"] for d in datasets.values()} == {database["uuid"]}
    assert "access_mode=read_only" in database["sqlalchemy_uri"]
    assert {c["dataset_uuid"] for c in charts.values()} <= set(datasets)
    placed = {
        entry["meta"]["uuid"]
        for entry in dashboard["position"].values()
        if isinstance(entry, dict) and entry.get("type") == "CHART"
    }
    assert placed == set(charts)
    filters = dashboard["metadata"]["native_filter_configuration"]
    assert {t["datasetUuid"] for f in filters for t in f["targets"]} <= set(datasets)
    assert dashboard["slug"] == superset_dashboard.DASHBOARD_SLUG
    assert superset_dashboard.CHECKED_CHART in {c["slice_name"] for c in charts.values()}


def test_every_column_the_dashboard_reads_is_a_documented_mart_column(manifest):
    columns = mart_columns(manifest)
    datasets = {d["uuid"]: d for d in load("datasets")}
    for dataset in datasets.values():
        readable = set().union(*(columns[table] for table in dataset_tables(dataset)))
        listed = {column["column_name"] for column in dataset["columns"]}
        assert listed <= readable, dataset["table_name"]
    for chart in load("charts"):
        params = chart["params"]
        listed = {c["column_name"] for c in datasets[chart["dataset_uuid"]]["columns"]}
        used = {params.get("x_axis"), *params.get("all_columns", [])}
        used |= {params["groupby"]} if isinstance(params.get("groupby"), str) else set()
        used |= {f["subject"] for f in params.get("adhoc_filters", [])}
        metrics = [*params.get("metrics", []), *([params["metric"]] if "metric" in params else [])]
        used |= {m for metric in metrics for m in re.findall(r"\((\w+)\)", metric["sqlExpression"])}
        used |= {json.loads(order)[0] for order in params.get("order_by_cols", [])}
        assert used - {None} <= listed, chart["slice_name"]


def test_the_exposure_lists_the_marts_the_dashboard_reads(manifest):
    (exposure,) = (e for e in manifest["exposures"].values() if e["name"] == "segment_dashboard")
    declared = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    read = set().union(*(dataset_tables(d) for d in load("datasets")))
    assert declared == read


def test_the_import_points_the_database_at_the_warehouse_read_only(tmp_path):
    warehouse = tmp_path / "some dir" / "warehouse.duckdb"
    bundle = superset_dashboard.export_zip(warehouse, tmp_path / "bundle.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        database = yaml.safe_load(archive.read("segment_dashboard/databases/warehouse.yaml"))
    assert "segment_dashboard/metadata.yaml" in names
    assert len(names) == len(list(Path(EXPORT).rglob("*.yaml")))
    assert database["sqlalchemy_uri"] == f"duckdb:///{warehouse}?access_mode=read_only"

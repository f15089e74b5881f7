"""The documentation site describes everything: every model (SQL and Python), column, source,
seed, macro, exposure, semantic model and metric of the project has a description."""

import json

from dbt_project_runner import run_dbt


def test_every_documented_kind_of_node_has_a_description(tmp_path):
    run = run_dbt(tmp_path, "parse")
    assert run.returncode == 0, run.output
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())

    missing = []
    for kind in ("nodes", "sources", "exposures", "semantic_models", "metrics", "macros"):
        for unique_id, node in manifest[kind].items():
            if node.get("package_name") != "customer_segmentation":
                continue
            if node.get("resource_type") in {"test", "unit_test", "operation"}:
                continue
            if not (node.get("description") or "").strip():
                missing.append(unique_id)
            for column, properties in (node.get("columns") or {}).items():
                if not (properties.get("description") or "").strip():
                    missing.append(f"{unique_id}.{column}")
    assert missing == []

    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) >= {"customer_segmentation_report", "segment_dashboard"}
    assert (
        "model.customer_segmentation.rpt_segment_summary"
        in (exposures["segment_dashboard"]["depends_on"]["nodes"])
    )
    metrics = {node["name"] for node in manifest["metrics"].values()}
    assert metrics >= {
        "customers", "revenue", "orders", "revenue_per_customer", "average_order_value",
        "share_of_revenue",
    }  # fmt: skip

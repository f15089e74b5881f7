"""The documentation site describes everything: every model (SQL and Python), column, source,
seed, macro, exposure, semantic model and metric of the project has a description."""

import json
import re
from pathlib import Path

import pytest
from dbt_project_runner import PROJECT_DIR, run_dbt


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    work_dir = tmp_path_factory.mktemp("documentation")
    run = run_dbt(work_dir, "parse")
    assert run.returncode == 0, run.output
    return json.loads((work_dir / "target" / "manifest.json").read_text())


def test_every_documented_kind_of_node_has_a_description(manifest):
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
    assert set(exposures) >= {"customer_segmentation_report", "segment_dashboard", "html_report"}
    assert (
        "model.customer_segmentation.rpt_segment_summary"
        in (exposures["segment_dashboard"]["depends_on"]["nodes"])
    )
    metrics = {node["name"] for node in manifest["metrics"].values()}
    assert metrics >= {
        "customers", "revenue", "orders", "revenue_per_customer", "average_order_value",
        "share_of_revenue",
    }  # fmt: skip


def test_the_docs_site_opens_on_the_projects_own_overview(manifest):
    overview = manifest["docs"].get("doc.customer_segmentation.__overview__")
    assert overview, "no {% docs __overview__ %} block: the site opens on dbt's generic page"
    assert "marts" in overview["block_contents"]


def test_the_html_report_exposure_lists_every_table_the_report_reads(manifest):
    (exposure,) = (e for e in manifest["exposures"].values() if e["name"] == "html_report")
    declared = {node.rsplit(".", 1)[-1] for node in exposure["depends_on"]["nodes"]}
    sources = [*(PROJECT_DIR / "retail_warehouse").glob("report*.py")]
    sources += (PROJECT_DIR / "retail_warehouse").glob("report/**/*.py")
    read = {
        table
        for source in sources
        for table in re.findall(r"\b(?:marts|ml)\.([a-z_]+)", source.read_text())
    }
    assert read, "no table found in the report's code"
    assert declared == read


DOCUMENTS = [
    PROJECT_DIR / "README.md",
    PROJECT_DIR / "benchmarks" / "README.md",
    *sorted((PROJECT_DIR / "docs").glob("*.md")),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub makes of a page's headings: lower case, punctuation out, spaces to -."""
    anchors = set()
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (heading := re.match(r"#{1,6} (.+)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a web address: not checked offline
        path_part, _, anchor = target.partition("#")
        linked = (document.parent / path_part).resolve() if path_part else document
        if not linked.exists():
            broken.append(f"{document.name}: {target} (no such file)")
        elif (
            anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked.read_text())
        ):
            broken.append(f"{document.name}: {target} (no such heading)")
    return broken


def test_every_link_in_the_readme_and_docs_resolves():
    assert len(DOCUMENTS) > 1
    assert [broken for document in DOCUMENTS for broken in broken_links(document)] == []

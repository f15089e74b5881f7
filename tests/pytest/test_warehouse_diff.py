"""The reviewers' data diff: on two hand-made warehouses, and on two git revisions end to end."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dbt_project_runner import PROJECT_DIR
from small_warehouse import write_inputs

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import warehouse_diff


def make_warehouse(path: Path, statements: list[str]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        for statement in statements:
            connection.execute(statement)
    return path


@pytest.fixture
def two_warehouses(tmp_path):
    base = make_warehouse(
        tmp_path / "base.duckdb",
        [
            "create table marts.fct_customer_rfm as select * from (values"
            " ('s1', 'a', 'Champions', 'VIP', 10), ('s1', 'b', 'At Risk', 'Loyal', 20),"
            " ('s1', 'c', 'At Risk', 'Loyal', 30), ('s2', 'a', 'Hibernating', 'New', 40),"
            " ('s2', 'd', 'Champions', 'VIP', 50))"
            " t(store_id, customer_id, segment, marketing_group, monetary)",
            "create table marts.rpt_store_summary as select * from (values"
            " ('s1', 3, 1.5), ('s2', 2, 2.5)) t(store_id, customers, old_measure)",
            "create table marts.rpt_dropped as select 1 as x",
        ],
    )
    new = make_warehouse(
        tmp_path / "new.duckdb",
        [
            # b: segment changes; c: removed; e: added; s2/a: monetary changes only.
            "create table marts.fct_customer_rfm as select * from (values"
            " ('s1', 'a', 'Champions', 'VIP', 10), ('s1', 'b', 'Champions', 'Loyal', 20),"
            " ('s1', 'e', 'New Customers', 'New', 5), ('s2', 'a', 'Hibernating', 'New', 41),"
            " ('s2', 'd', 'Loyal Customers', 'Loyal', 50))"
            " t(store_id, customer_id, segment, marketing_group, monetary)",
            "create table marts.rpt_store_summary as select * from (values"
            " ('s1', 3::integer, 'x'), ('s2', 2::integer, 'y'))"
            " t(store_id, customers, new_label)",
            "create table marts.rpt_added as select 1 as x",
        ],
    )
    return base, new


KEYS = {"fct_customer_rfm": ["store_id", "customer_id"], "rpt_store_summary": ["store_id"]}


def test_compare_reports_rows_columns_and_segment_moves_by_primary_key(two_warehouses):
    diffs = {d.table: d for d in warehouse_diff.compare_warehouses(*two_warehouses, KEYS)}

    assert {name: d.status for name, d in diffs.items()} == {
        "fct_customer_rfm": "changed",
        "rpt_added": "new",
        "rpt_dropped": "dropped",
        "rpt_store_summary": "changed",
    }
    rfm = diffs["fct_customer_rfm"]
    assert (rfm.rows_before, rfm.rows_after) == (5, 5)
    assert (rfm.rows_added, rfm.rows_removed, rfm.rows_changed) == (1, 1, 3)
    assert rfm.changed_by_column == {"segment": 2, "marketing_group": 1, "monetary": 1}
    assert rfm.segment_changes == {
        "segment": [("s1", "At Risk", "Champions", 1), ("s2", "Champions", "Loyal Customers", 1)],
        "marketing_group": [("s2", "VIP", "Loyal", 1)],
    }
    summary = diffs["rpt_store_summary"]
    assert summary.added_columns == [("new_label", "VARCHAR")]
    assert summary.removed_columns == [("old_measure", "DECIMAL(2,1)")]
    assert summary.retyped_columns == []
    assert (summary.rows_added, summary.rows_removed, summary.rows_changed) == (0, 0, 0)


def test_a_retyped_column_and_a_table_without_key_are_reported(tmp_path):
    base = make_warehouse(tmp_path / "b.duckdb", ["create table marts.t as select 1::bigint as v"])
    new = make_warehouse(tmp_path / "n.duckdb", ["create table marts.t as select 1::integer as v"])
    (diff,) = warehouse_diff.compare_warehouses(base, new, {})
    assert diff.retyped_columns == [("v", "BIGINT", "INTEGER")]
    assert diff.status == "changed"
    assert "no primary key" in diff.note


def test_text_and_markdown_show_the_from_to_table(two_warehouses):
    diffs = warehouse_diff.compare_warehouses(*two_warehouses, KEYS)
    text = warehouse_diff.render_text(diffs, "Data diff")
    markdown = warehouse_diff.render_markdown(diffs, "Data diff")

    rows = {}
    for line in text.splitlines():  # the summary table comes first
        if line.strip():
            rows.setdefault(line.split()[0], line.split()[1:])
    assert rows["marts.fct_customer_rfm"] == ["changed", "5", "5", "+0", "1", "1", "3"]
    assert rows["marts.rpt_dropped"] == ["dropped", "1", "-", "-", "-", "-", "-"]
    assert "s1: At Risk -> Champions: 1" in text
    assert "columns removed: old_measure (DECIMAL(2,1))" in text
    assert "| `marts.fct_customer_rfm` | changed | 5 | 5 | +0 | 1 | 1 | 3 |" in markdown
    assert (
        "| store | from | to | customers |\n|---|---|---|---:|\n| s1 | At Risk | Champions | 1 |"
        in (markdown)
    )
    assert "| `marts.rpt_added` | new | - | 1 | - | - | - | - |" in markdown


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_make_diff_builds_two_revisions_and_reports_a_known_change(tmp_path):
    """A clone of the project: the base commit adds a small input; the working tree then maps
    every RFM cell to Champions and adds an e-commerce customer."""
    repo = tmp_path / "repo"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_DIR), str(repo)], check=True
    )
    write_inputs(repo / "fixture")
    git(repo, "add", "fixture")
    git(repo, "commit", "--quiet", "-m", "small input")
    segment_map = repo / "seeds" / "rfm_segment_map.csv"
    header, *rows = segment_map.read_text().splitlines()
    segment_map.write_text(
        "\n".join([header, *(row.rsplit(",", 1)[0] + ",Champions" for row in rows)]) + "\n"
    )
    write_inputs(repo / "fixture", with_new_customer=True)

    variables = {
        "online_retail_path": "fixture/online_retail.csv",
        "ecommerce_path": "fixture/ecommerce/sales_*.csv",
    }
    out_dir = tmp_path / "diff"
    completed = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "warehouse_diff.py"),
            "--base",
            "HEAD",
            "--project-dir",
            str(repo),
            "--out-dir",
            str(out_dir),
            "--exclude",
            "path:models/ml+",
            "--",
            "--vars",
            json.dumps(variables),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert git(repo, "worktree", "list").count("\n") == 1, "the base worktree is left over"

    with duckdb.connect(str(out_dir / "base.duckdb"), read_only=True) as base:
        expected_moves = base.execute(
            "select store_id, segment, 'Champions', count(*) from marts.fct_customer_rfm"
            " where segment <> 'Champions' and store_id = 'online_retail'"
            " group by all order by 4 desc, 2"
        ).fetchall()
    keys = warehouse_diff.primary_keys_from_manifest(out_dir / "new" / "target" / "manifest.json")
    diffs = {
        d.table: d
        for d in warehouse_diff.compare_warehouses(
            out_dir / "base.duckdb", out_dir / "new.duckdb", keys
        )
    }
    customers = diffs["dim_customers"]
    assert (customers.rows_added, customers.rows_removed) == (1, 0)
    assert diffs["fct_orders"].rows_added == 1
    moves = diffs["fct_customer_rfm"].segment_changes["segment"]
    assert [move for move in moves if move[0] == "online_retail"] == expected_moves
    assert len(expected_moves) >= 2
    assert all(after == "Champions" for _, _, after, _ in moves)
    assert diffs["rpt_segment_summary"].rows_changed > 0

    text = (out_dir / "diff.txt").read_text()
    assert completed.stdout.startswith("Data diff: HEAD (")
    assert text in completed.stdout
    store, before, after, count = expected_moves[0]
    assert f"    {store}: {before} -> {after}: {count}" in text
    assert f"| {store} | {before} | {after} | {count} |" in (out_dir / "diff.md").read_text()
    shutil.rmtree(repo)

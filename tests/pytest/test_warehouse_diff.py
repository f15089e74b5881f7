"""The reviewers' data diff: on two hand-made warehouses, and on two git revisions end to end."""

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
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


def test_compare_reports_rows_columns_and_changed_values_by_primary_key(two_warehouses):
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
    # A small table: every changed row with its values before and after, and the keys.
    assert [(row.key, row.changes) for row in rfm.changed_rows] == [
        (("s1", "b"), {"segment": ("At Risk", "Champions")}),
        (("s2", "a"), {"monetary": (40, 41)}),
        (
            ("s2", "d"),
            {"segment": ("Champions", "Loyal Customers"), "marketing_group": ("VIP", "Loyal")},
        ),
    ]
    assert rfm.changed_rows[1].values["segment"] == ("Hibernating", "Hibernating")
    assert (rfm.added_keys, rfm.removed_keys) == ([("s1", "e")], [("s1", "c")])
    assert rfm.moves == {}
    summary = diffs["rpt_store_summary"]
    assert summary.added_columns == [("new_label", "VARCHAR")]
    assert summary.removed_columns == [("old_measure", "DECIMAL(2,1)")]
    assert summary.retyped_columns == []
    assert (summary.rows_added, summary.rows_removed, summary.rows_changed) == (0, 0, 0)


def test_a_large_table_gets_changes_by_store_from_to_tables_and_examples(two_warehouses):
    diffs = {
        d.table: d
        for d in warehouse_diff.compare_warehouses(*two_warehouses, KEYS, small_table_rows=4)
    }
    rfm = diffs["fct_customer_rfm"]
    assert not rfm.is_small
    assert rfm.changed_by_group == [("s1", 1), ("s2", 2)]
    # Text columns with few pairs of values get a from-to table; a number does not.
    assert rfm.moves == {
        "segment": [("s1", "At Risk", "Champions", 1), ("s2", "Champions", "Loyal Customers", 1)],
        "marketing_group": [("s2", "VIP", "Loyal", 1)],
    }
    assert [row.key for row in rfm.changed_rows] == [("s1", "b"), ("s2", "a"), ("s2", "d")]
    assert (rfm.added_keys, rfm.removed_keys) == ([], [])


def test_a_column_with_many_pairs_of_changes_gets_no_from_to_table(tmp_path):
    rows = warehouse_diff.MAX_MOVES + 1
    base = make_warehouse(
        tmp_path / "b.duckdb",
        [f"create table marts.t as select i as k, 'item ' || i as item, 'a' as label"
         f" from range({rows}) r(i)"],
    )  # fmt: skip
    new = make_warehouse(
        tmp_path / "n.duckdb",
        [f"create table marts.t as select i as k, 'item ' || (i + 1) as item, 'b' as label"
         f" from range({rows}) r(i)"],
    )  # fmt: skip
    (diff,) = warehouse_diff.compare_warehouses(base, new, {"t": ["k"]}, small_table_rows=0)
    assert diff.changed_by_column == {"item": rows, "label": rows}
    assert diff.moves == {"label": [(None, "a", "b", rows)]}
    assert len(diff.changed_rows) == warehouse_diff.EXAMPLE_ROWS
    assert diff.changed_by_group == []  # a one-column key has no store to group by


def test_a_retyped_column_and_a_table_without_key_are_reported(tmp_path):
    base = make_warehouse(tmp_path / "b.duckdb", ["create table marts.t as select 1::bigint as v"])
    new = make_warehouse(tmp_path / "n.duckdb", ["create table marts.t as select 1::integer as v"])
    (diff,) = warehouse_diff.compare_warehouses(base, new, {})
    assert diff.retyped_columns == [("v", "BIGINT", "INTEGER")]
    assert diff.status == "changed"
    assert "no primary key" in diff.note


def test_text_and_markdown_show_before_and_after_values(two_warehouses, tmp_path):
    diffs = warehouse_diff.compare_warehouses(*two_warehouses, KEYS)
    text = warehouse_diff.render_text(diffs, "Data diff")
    markdown = warehouse_diff.render_markdown(diffs, "Data diff")

    rows = {}
    for line in text.splitlines():  # the summary table comes first
        if line.strip():
            rows.setdefault(line.split()[0], line.split()[1:])
    assert rows["marts.fct_customer_rfm"] == ["changed", "5", "5", "+0", "1", "1", "3"]
    assert rows["marts.rpt_dropped"] == ["dropped", "1", "-", "-", "-", "-", "-"]
    assert "    s1, b: segment At Risk -> Champions\n" in text
    assert "    s2, d: segment Champions -> Loyal Customers, marketing_group VIP -> Loyal\n" in text
    assert "  rows added:\n    s1, e\n  rows removed:\n    s1, c\n" in text
    assert "columns removed: old_measure (DECIMAL(2,1))" in text
    assert "| `marts.fct_customer_rfm` | changed | 5 | 5 | +0 | 1 | 1 | 3 |" in markdown
    assert (
        "| store_id | customer_id | segment | marketing_group | monetary |\n|---|---|---|---|---|\n"
        "| s1 | b | At Risk → Champions | Loyal | 20 |\n"
        "| s2 | a | Hibernating | New | 40 → 41 |\n"
    ) in markdown
    assert "| `marts.rpt_added` | new | - | 1 | - | - | - | - |" in markdown

    large = warehouse_diff.compare_warehouses(*two_warehouses, KEYS, small_table_rows=4)
    text = warehouse_diff.render_text(large, "Data diff")
    markdown = warehouse_diff.render_markdown(large, "Data diff")
    assert "  changed rows by store_id: s1 1, s2 2\n" in text
    assert "  segment, before -> after (rows):\n    s1: At Risk -> Champions: 1\n" in text
    assert (
        "| store_id | before | after | rows |\n|---|---|---|---:|\n| s1 | At Risk | Champions | 1 |"
        in (markdown)
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2442810.123, "2,442,810.12"),
        (0.0145362, "0.0145362"),
        (136.5, "136.5"),
        (0.0000445816, "0.0000445816"),
        (0.0, "0"),
        (12345, "12,345"),
        (Decimal("373908.9800"), "373,908.9800"),
        (None, "null"),
        (True, "true"),
    ],
)
def test_values_read_as_numbers_without_exponents(value, shown):
    assert warehouse_diff._value(value) == shown


def test_markdown_escapes_a_pipe_in_a_value(tmp_path):
    base = make_warehouse(
        tmp_path / "b.duckdb", ["create table marts.t as select 1 as k, 'a' as v"]
    )
    new = make_warehouse(
        tmp_path / "n.duckdb", ["create table marts.t as select 1 as k, 'a|b' as v"]
    )
    diffs = warehouse_diff.compare_warehouses(base, new, {"t": ["k"]})
    assert "| 1 | a → a\\|b |" in warehouse_diff.render_markdown(diffs, "Data diff")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# The change every end-to-end test reviews: RFM cell (R=4, F=5) moves from Loyal Customers to
# Champions (the small input has one customer there, 17001), and the e-commerce store gets a
# customer.
MOVED_CELL = ("4", "5")
MOVED_FROM, MOVED_TO = "Loyal Customers", "Champions"


@dataclass
class DiffRun:
    completed: subprocess.CompletedProcess
    out_dir: Path
    base_revision: str
    head_revision: str

    def query(self, side: str, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.out_dir / f"{side}.duckdb"), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    @property
    def text(self) -> str:
        return (self.out_dir / "diff.txt").read_text()

    @property
    def markdown(self) -> str:
        return (self.out_dir / "diff.md").read_text()


@pytest.fixture(scope="module")
def diff_run(tmp_path_factory) -> DiffRun:
    """`make diff` once for every end-to-end test: a clone of the project whose base commit adds
    the small input; the next commit moves one RFM cell, and the working tree adds a customer.
    Both builds take the Python models (the ml schema) too."""
    work = tmp_path_factory.mktemp("diff")
    repo = work / "repo"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_DIR), str(repo)], check=True
    )
    write_inputs(repo / "fixture")
    git(repo, "add", "fixture")
    git(repo, "commit", "--quiet", "-m", "small input")
    segment_map = repo / "seeds" / "rfm_segment_map.csv"
    header, *rows = segment_map.read_text().splitlines()
    moved = [
        f"{r},{f},{MOVED_TO}" if (r, f) == MOVED_CELL and segment == MOVED_FROM else row
        for row in rows
        for r, f, segment in [row.split(",", 2)]
    ]
    assert moved != rows
    segment_map.write_text("\n".join([header, *moved]) + "\n")
    git(repo, "commit", "--quiet", "-am", "move a cell")
    write_inputs(repo / "fixture", with_new_customer=True)  # left uncommitted

    variables = {
        "online_retail_path": "fixture/online_retail.csv",
        "ecommerce_path": "fixture/ecommerce/sales_*.csv",
    }
    out_dir = work / "diff"
    completed = subprocess.run(
        [
            sys.executable,
            str(PROJECT_DIR / "scripts" / "warehouse_diff.py"),
            "--base",
            "HEAD~1",
            "--project-dir",
            str(repo),
            "--out-dir",
            str(out_dir),
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
    yield DiffRun(
        completed,
        out_dir,
        base_revision=git(repo, "rev-parse", "--short", "HEAD~1").strip(),
        head_revision=git(repo, "rev-parse", "--short", "HEAD").strip(),
    )
    shutil.rmtree(repo)


def summary_row(text: str, table: str) -> list[str]:
    return next(line.split()[1:] for line in text.splitlines() if line.startswith(table + " "))


def test_make_diff_names_both_revisions(diff_run):
    title = (
        f"Data diff: HEAD~1 ({diff_run.base_revision}) -> "
        f"working tree ({diff_run.head_revision} + uncommitted changes)"
    )
    assert diff_run.completed.stdout.startswith(title + "\n")
    assert diff_run.text in diff_run.completed.stdout
    assert diff_run.markdown.startswith(f"### {title}\n")


def test_make_diff_covers_the_ml_tables(diff_run):
    """ml_customer_recommendations: rows added (the new customer) and changed as counted
    independently of the script, from the two builds (rows in both minus identical rows)."""
    table = "ml.ml_customer_recommendations"
    # Null-safe, as the script matches keys: a store's note-only row has null keys on both sides.
    same_key = " and ".join(
        f"b_rows.{column} is not distinct from n_rows.{column}"
        for column in ("store_id", "customer_id", "recommendation_rank")
    )
    with duckdb.connect() as connection:
        connection.execute(f"attach '{diff_run.out_dir / 'base.duckdb'}' as b (read_only)")
        connection.execute(f"attach '{diff_run.out_dir / 'new.duckdb'}' as n (read_only)")
        before, after, in_both, identical = connection.execute(
            f"select (select count(*) from b.{table}), (select count(*) from n.{table}),"
            f" (select count(*) from b.{table} as b_rows join n.{table} as n_rows on {same_key}),"
            f" (select count(*) from (select * from b.{table} intersect all"
            f" select * from n.{table}))"
        ).fetchone()
    assert after > before
    status = "changed"
    expected = [status, f"{before:,}", f"{after:,}", f"{after - before:+,}"]
    expected += [f"{after - in_both:,}", f"{before - in_both:,}", f"{in_both - identical:,}"]
    assert summary_row(diff_run.text, table) == expected
    assert f"| `{table}` | {' | '.join(expected)} |" in diff_run.markdown
    assert summary_row(diff_run.text, "ml.ml_customer_clusters")[0] in {"changed", "unchanged"}


def test_make_diff_shows_segment_sizes_before_and_after(diff_run):
    """rpt_segment_summary: "Loyal Customers 2 -> 1, Champions 0 -> 1", not a count of changed
    rows."""
    sql = (
        "select segment, customers from marts.rpt_segment_summary where store_id = 'online_retail'"
        f" and segmentation = 'rfm_segment' and segment in ('{MOVED_FROM}', '{MOVED_TO}')"
    )
    before, after = dict(diff_run.query("base", sql)), dict(diff_run.query("new", sql))
    assert before != after
    for segment in (MOVED_FROM, MOVED_TO):
        changed = f"customers {before[segment]} -> {after[segment]}"
        assert f"    online_retail, rfm_segment, {segment}: {changed}, " in diff_run.text
        row = f"| online_retail | rfm_segment | {segment} | {before[segment]} → {after[segment]} |"
        assert row in diff_run.markdown


def test_make_diff_shows_the_moved_customer_and_the_added_one(diff_run):
    moved = diff_run.query(
        "base",
        "select store_id, customer_id from marts.fct_customer_rfm"
        f" where r_score = {MOVED_CELL[0]} and f_score = {MOVED_CELL[1]}",
    )
    assert moved
    for store, customer in moved:
        assert f"    {store}, {customer}: segment {MOVED_FROM} -> {MOVED_TO}\n" in diff_run.text
    assert "marts.dim_customers (changed)\n  primary key: store_id, customer_id\n" in (
        diff_run.text
    )
    assert "  rows added:\n    ecommerce, 104236\n" in diff_run.text

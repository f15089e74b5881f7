"""A data diff for reviewers: what a change does to the marts and the ml tables.

`make diff BASE=<git ref>` runs

    python scripts/warehouse_diff.py --base <git ref> --out-dir target/diff

which checks the base revision out into a temporary git worktree (the working tree and index
are not touched), builds it and the working tree into two separate DuckDB files with the same
inputs, and prints per table of schemas `marts` and `ml`: row counts before and after, added,
removed and retyped columns, rows added, removed and changed by primary key (with the columns
that changed). A small table lists its changed rows with each changed value before and after,
and the keys of the rows added and removed; a large one gets a summary: changed rows by its
first key column (the store), a from-to table of each text column whose changes are few pairs
of values (a customer's segment, a recommendation's source), and a few example rows. The title
names both revisions. The same report is written as Markdown (for a pull-request comment) to
<out-dir>/diff.md, and as text to <out-dir>/diff.txt.

Two warehouses that already exist can be compared without building:

    python scripts/warehouse_diff.py --compare base.duckdb new.duckdb \
        --manifest target/manifest.json

A table's primary key is the first `unique_combination_of_columns` test on it in the manifest.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_SCHEMAS = ("marts", "ml")
# A table of at most this many rows lists its changed rows (up to LISTED_ROWS) and the keys
# of its added and removed rows; a larger one is summarised, with EXAMPLE_ROWS changed rows.
SMALL_TABLE_ROWS = 1_000
LISTED_ROWS = 50
EXAMPLE_ROWS = 5
# A large table's text column gets a from-to table when its changes are at most this many
# pairs of values (segments, labels, sources; not item ids).
MAX_MOVES = 12
MOVE_TYPES = ("VARCHAR", "BOOLEAN")


@dataclass
class ChangedRow:
    key: tuple
    # Every compared column of the row: (before, after); equal when the column did not change.
    values: dict[str, tuple]

    @property
    def changes(self) -> dict[str, tuple]:
        return {c: (b, a) for c, (b, a) in self.values.items() if b != a}


@dataclass
class TableDiff:
    schema: str
    table: str
    rows_before: int | None
    rows_after: int | None
    primary_key: list[str] | None = None
    added_columns: list[tuple[str, str]] = field(default_factory=list)
    removed_columns: list[tuple[str, str]] = field(default_factory=list)
    retyped_columns: list[tuple[str, str, str]] = field(default_factory=list)
    rows_added: int | None = None
    rows_removed: int | None = None
    rows_changed: int | None = None
    changed_by_column: dict[str, int] = field(default_factory=dict)
    # Small tables: every changed row (up to LISTED_ROWS) and the keys added and removed;
    # large tables: a few example rows.
    changed_rows: list[ChangedRow] = field(default_factory=list)
    added_keys: list[tuple] = field(default_factory=list)
    removed_keys: list[tuple] = field(default_factory=list)
    # Large tables: changed rows per value of the first key column (the store).
    changed_by_group: list[tuple] = field(default_factory=list)
    # Large tables: column -> [(store, from, to, rows)], for columns with few pairs of values.
    moves: dict[str, list[tuple]] = field(default_factory=dict)
    is_small: bool = True
    note: str | None = None

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def status(self) -> str:
        if self.rows_before is None:
            return "new"
        if self.rows_after is None:
            return "dropped"
        changed = (
            self.added_columns
            or self.removed_columns
            or self.retyped_columns
            or self.rows_added
            or self.rows_removed
            or self.rows_changed
            or self.rows_before != self.rows_after
        )
        return "changed" if changed else "unchanged"


def primary_keys_from_manifest(*manifests: Path | None) -> dict[str, list[str]]:
    """Model name -> columns of its first unique_combination_of_columns test."""
    keys: dict[str, list[str]] = {}
    for manifest in manifests:
        if manifest is None or not manifest.exists():
            continue
        nodes = json.loads(manifest.read_text())["nodes"]
        for node in nodes.values():
            metadata = node.get("test_metadata") or {}
            attached = node.get("attached_node")
            if metadata.get("name") != "unique_combination_of_columns" or not attached:
                continue
            model = attached.rsplit(".", 1)[-1]
            keys.setdefault(model, list(metadata["kwargs"]["combination_of_columns"]))
    return keys


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _columns(connection, catalog: str, schema: str, table: str) -> dict[str, str]:
    rows = connection.execute(
        "select column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name = ? and table_name = ?"
        " order by column_index",
        [catalog, schema, table],
    ).fetchall()
    return dict(rows)


def _tables(connection, catalog: str, schemas: tuple[str, ...]) -> set[tuple[str, str]]:
    rows = connection.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ?"
        " union select schema_name, view_name from duckdb_views()"
        " where database_name = ? and not internal",
        [catalog, catalog],
    ).fetchall()
    return {(schema, table) for schema, table in rows if schema in schemas}


def compare_warehouses(
    base: Path,
    new: Path,
    primary_keys: dict[str, list[str]],
    schemas: tuple[str, ...] = DEFAULT_SCHEMAS,
    small_table_rows: int = SMALL_TABLE_ROWS,
) -> list[TableDiff]:
    """Compares the tables of `schemas` in two DuckDB files, opened read-only."""
    connection = duckdb.connect()
    connection.execute("attach ? as base_wh (read_only)", [str(base)])
    connection.execute("attach ? as new_wh (read_only)", [str(new)])
    try:
        base_tables = _tables(connection, "base_wh", schemas)
        new_tables = _tables(connection, "new_wh", schemas)
        diffs = []
        for schema, table in sorted(base_tables | new_tables):
            diffs.append(
                _compare_table(
                    connection,
                    schema,
                    table,
                    in_base=(schema, table) in base_tables,
                    in_new=(schema, table) in new_tables,
                    primary_key=primary_keys.get(table),
                    small_table_rows=small_table_rows,
                )
            )
        return diffs
    finally:
        connection.close()


def _count(connection, relation: str) -> int:
    return connection.execute(f"select count(*) from {relation}").fetchone()[0]


def _compare_table(
    connection, schema, table, in_base, in_new, primary_key, small_table_rows
) -> TableDiff:
    base_relation = f"base_wh.{_quote(schema)}.{_quote(table)}"
    new_relation = f"new_wh.{_quote(schema)}.{_quote(table)}"
    diff = TableDiff(
        schema,
        table,
        rows_before=_count(connection, base_relation) if in_base else None,
        rows_after=_count(connection, new_relation) if in_new else None,
        primary_key=primary_key,
    )
    if not (in_base and in_new):
        return diff
    base_columns = _columns(connection, "base_wh", schema, table)
    new_columns = _columns(connection, "new_wh", schema, table)
    diff.added_columns = [(c, t) for c, t in new_columns.items() if c not in base_columns]
    diff.removed_columns = [(c, t) for c, t in base_columns.items() if c not in new_columns]
    diff.retyped_columns = [
        (c, base_columns[c], t)
        for c, t in new_columns.items()
        if c in base_columns and base_columns[c] != t
    ]
    if not primary_key:
        diff.note = "no primary key test (unique_combination_of_columns): rows not matched"
        return diff
    missing = [c for c in primary_key if c not in base_columns or c not in new_columns]
    if missing:
        diff.note = f"primary key column(s) {', '.join(missing)} not in both builds"
        return diff

    join = " and ".join(f"b.{_quote(c)} is not distinct from n.{_quote(c)}" for c in primary_key)
    first_key = _quote(primary_key[0])
    compared = [c for c in new_columns if c in base_columns and c not in primary_key]
    changed_flags = [f"b.{_quote(c)} is distinct from n.{_quote(c)}" for c in compared]
    any_changed = " or ".join(changed_flags) if changed_flags else "false"
    per_column = "".join(
        f", count(*) filter (where b.{first_key} is not null and n.{first_key} is not null"
        f" and ({flag}))"
        for flag in changed_flags
    )
    row = connection.execute(
        f"""
        select
            count(*) filter (where b.{first_key} is null),
            count(*) filter (where n.{first_key} is null),
            count(*) filter (
                where b.{first_key} is not null and n.{first_key} is not null and ({any_changed})
            )
            {per_column}
        from {base_relation} as b
        full outer join {new_relation} as n on {join}
        """
    ).fetchone()
    diff.rows_added, diff.rows_removed, diff.rows_changed = row[:3]
    diff.changed_by_column = {c: n for c, n in zip(compared, row[3:], strict=True) if n}

    pairs = Pairs(base_relation, new_relation, join, any_changed, primary_key)
    diff.is_small = max(diff.rows_before, diff.rows_after) <= small_table_rows
    if diff.rows_changed:
        limit = LISTED_ROWS if diff.is_small else EXAMPLE_ROWS
        diff.changed_rows = _changed_rows(connection, pairs, compared, limit)
    if diff.is_small:
        diff.added_keys = _keys(connection, new_relation, base_relation, join, primary_key, "n")
        diff.removed_keys = _keys(connection, base_relation, new_relation, join, primary_key, "b")
        return diff
    if diff.rows_changed and len(primary_key) > 1:
        diff.changed_by_group = connection.execute(
            f"select n.{first_key}, count(*) {pairs.changed} group by 1 order by 1"
        ).fetchall()
    for column in diff.changed_by_column:
        if new_columns[column] in MOVE_TYPES and base_columns[column] in MOVE_TYPES:
            moves = _moves(connection, pairs, column)
            if moves is not None:
                diff.moves[column] = moves
    return diff


@dataclass(frozen=True)
class Pairs:
    """The rows of a table in both builds, joined on the primary key."""

    base_relation: str
    new_relation: str
    join: str
    any_changed: str
    primary_key: list[str]

    @property
    def changed(self) -> str:
        """`from ... where ...` of the rows in both builds with a changed value."""
        return (
            f"from {self.base_relation} as b inner join {self.new_relation} as n on {self.join}"
            f" where ({self.any_changed})"
        )

    @property
    def order(self) -> str:
        return ", ".join(f"n.{_quote(c)}" for c in self.primary_key)


def _changed_rows(connection, pairs: Pairs, compared: list[str], limit: int) -> list[ChangedRow]:
    """The first `limit` changed rows by key, with every compared value before and after."""
    values = "".join(f", b.{_quote(c)}, n.{_quote(c)}" for c in compared)
    rows = connection.execute(
        f"select {pairs.order}{values} {pairs.changed} order by {pairs.order} limit {limit}"
    ).fetchall()
    width = len(pairs.primary_key)
    return [
        ChangedRow(
            key=tuple(row[:width]),
            values={
                c: (row[width + 2 * i], row[width + 2 * i + 1]) for i, c in enumerate(compared)
            },
        )
        for row in rows
    ]


def _keys(connection, relation, other, join, primary_key, alias) -> list[tuple]:
    """Keys of `relation` (alias `alias`) with no row in `other`, the first LISTED_ROWS."""
    other_alias = "b" if alias == "n" else "n"
    keys = ", ".join(f"{alias}.{_quote(c)}" for c in primary_key)
    return connection.execute(
        f"select {keys} from {relation} as {alias}"
        f" anti join {other} as {other_alias} on {join}"
        f" order by {keys} limit {LISTED_ROWS}"
    ).fetchall()


def _moves(connection, pairs: Pairs, column: str) -> list[tuple] | None:
    """(group, before, after, rows) of a column's changes, by the first key column when the key
    has more than one; None when they are more than MAX_MOVES pairs of values."""
    quoted = _quote(column)
    changed = f"{pairs.changed} and b.{quoted} is distinct from n.{quoted}"
    distinct_pairs = connection.execute(
        f"select count(*) from (select distinct b.{quoted}, n.{quoted} {changed})"
    ).fetchone()[0]
    if distinct_pairs > MAX_MOVES:
        return None
    group = f"n.{_quote(pairs.primary_key[0])}" if len(pairs.primary_key) > 1 else "null"
    return connection.execute(
        f"select {group}, b.{quoted}, n.{quoted}, count(*) as moved {changed}"
        " group by all order by 1, moved desc, 2, 3"
    ).fetchall()


def _fmt(value) -> str:
    return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _value(value) -> str:
    """A value as a reviewer reads it: thousands separated, never an exponent; a double to two
    places from 1,000 on, else to 6 significant digits."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | Decimal):
        return f"{value:,}"
    if isinstance(value, float):
        if abs(value) >= 1_000:
            return f"{value:,.2f}"
        if value == 0 or abs(value) >= 1e-4:
            return f"{value:.6g}"
        return f"{value:.10f}".rstrip("0")
    return str(value)


def _delta(diff: TableDiff) -> str:
    if diff.rows_before is None or diff.rows_after is None:
        return "-"
    return f"{diff.rows_after - diff.rows_before:+,}"


def _column_list(columns) -> str:
    return ", ".join(f"{c} ({t})" for c, t in columns)


def _key(key: tuple) -> str:
    return ", ".join(_value(v) for v in key)


def _rows_heading(diff: TableDiff) -> str:
    shown = len(diff.changed_rows)
    if diff.is_small and shown == diff.rows_changed:
        return "changed rows"
    kind = "changed rows" if diff.is_small else "example changed rows"
    return f"{kind} (the first {shown:,} of {diff.rows_changed:,} by key)"


def _keys_heading(kind: str, keys: list[tuple], total: int | None) -> str:
    if total is not None and len(keys) < total:
        return f"rows {kind} (the first {len(keys):,} of {total:,} by key)"
    return f"rows {kind}"


def _shown_columns(diff: TableDiff) -> list[str]:
    """The columns that changed in at least one listed row, in table order."""
    changed = {c for row in diff.changed_rows for c in row.changes}
    return [c for c in diff.changed_rows[0].values if c in changed] if diff.changed_rows else []


def render_text(diffs: list[TableDiff], title: str) -> str:
    lines = [title, "=" * len(title), ""]
    header = (
        "table",
        "status",
        "rows before",
        "rows after",
        "delta",
        "added",
        "removed",
        "changed",
    )
    rows = [
        (
            d.name,
            d.status,
            _fmt(d.rows_before),
            _fmt(d.rows_after),
            _delta(d),
            _fmt(d.rows_added),
            _fmt(d.rows_removed),
            _fmt(d.rows_changed),
        )
        for d in diffs
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    for d in diffs:
        if d.status == "unchanged":
            continue
        lines += ["", f"{d.name} ({d.status})"]
        if d.primary_key:
            lines.append(f"  primary key: {', '.join(d.primary_key)}")
        if d.added_columns:
            lines.append(f"  columns added: {_column_list(d.added_columns)}")
        if d.removed_columns:
            lines.append(f"  columns removed: {_column_list(d.removed_columns)}")
        for column, before, after in d.retyped_columns:
            lines.append(f"  column retyped: {column} {before} -> {after}")
        if d.changed_by_column:
            changed = ", ".join(f"{c} {n:,}" for c, n in d.changed_by_column.items())
            lines.append(f"  changed rows by column: {changed}")
        if d.changed_by_group:
            groups = ", ".join(f"{_value(g)} {n:,}" for g, n in d.changed_by_group)
            lines.append(f"  changed rows by {d.primary_key[0]}: {groups}")
        if d.note:
            lines.append(f"  note: {d.note}")
        for column, moves in d.moves.items():
            lines.append(f"  {column}, before -> after (rows):")
            for group, before, after, count in moves:
                prefix = "" if group is None else f"{_value(group)}: "
                lines.append(f"    {prefix}{_value(before)} -> {_value(after)}: {count:,}")
        if d.changed_rows:
            lines.append(f"  {_rows_heading(d)}, before -> after:")
            for row in d.changed_rows:
                values = ", ".join(
                    f"{c} {_value(b)} -> {_value(a)}" for c, (b, a) in row.changes.items()
                )
                lines.append(f"    {_key(row.key)}: {values}")
        for kind, keys, total in (
            ("added", d.added_keys, d.rows_added),
            ("removed", d.removed_keys, d.rows_removed),
        ):
            if keys:
                lines.append(f"  {_keys_heading(kind, keys, total)}:")
                lines += [f"    {_key(key)}" for key in keys]
    return "\n".join(lines) + "\n"


def _cell(value: str) -> str:
    return value.replace("|", "\\|")


def render_markdown(diffs: list[TableDiff], title: str) -> str:
    lines = [f"### {title}", ""]
    lines.append(
        "| table | status | rows before | rows after | delta | added | removed | changed |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for d in diffs:
        lines.append(
            f"| `{d.name}` | {d.status} | {_fmt(d.rows_before)} | {_fmt(d.rows_after)} "
            f"| {_delta(d)} | {_fmt(d.rows_added)} | {_fmt(d.rows_removed)} "
            f"| {_fmt(d.rows_changed)} |"
        )
    for d in diffs:
        if d.status == "unchanged":
            continue
        lines += ["", f"#### `{d.name}` ({d.status})", ""]
        if d.primary_key:
            lines.append(f"- primary key: `{', '.join(d.primary_key)}`")
        if d.added_columns:
            lines.append(f"- columns added: {_column_list(d.added_columns)}")
        if d.removed_columns:
            lines.append(f"- columns removed: {_column_list(d.removed_columns)}")
        for column, before, after in d.retyped_columns:
            lines.append(f"- column retyped: `{column}` {before} → {after}")
        if d.changed_by_column:
            changed = ", ".join(f"`{c}` {n:,}" for c, n in d.changed_by_column.items())
            lines.append(f"- changed rows by column: {changed}")
        if d.changed_by_group:
            groups = ", ".join(f"{_cell(_value(g))} {n:,}" for g, n in d.changed_by_group)
            lines.append(f"- changed rows by `{d.primary_key[0]}`: {groups}")
        if d.note:
            lines.append(f"- note: {d.note}")
        for column, moves in d.moves.items():
            lines += ["", f"`{column}`, before → after:", ""]
            lines.append(f"| {d.primary_key[0]} | before | after | rows |")
            lines.append("|---|---|---|---:|")
            for group, before, after, count in moves:
                cells = (_value(group) if group is not None else "", _value(before), _value(after))
                lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | {count:,} |")
        if d.changed_rows:
            columns = _shown_columns(d)
            lines += ["", f"{_rows_heading(d).capitalize()}, before → after:", ""]
            lines.append("| " + " | ".join([*d.primary_key, *columns]) + " |")
            lines.append("|" + "---|" * (len(d.primary_key) + len(columns)))
            for row in d.changed_rows:
                cells = [_value(v) for v in row.key]
                for column in columns:
                    before, after = row.values[column]
                    changed = before != after
                    cells.append(
                        f"{_value(before)} → {_value(after)}" if changed else _value(after)
                    )
                lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        for kind, keys, total in (
            ("added", d.added_keys, d.rows_added),
            ("removed", d.removed_keys, d.rows_removed),
        ):
            if keys:
                lines += ["", f"{_keys_heading(kind, keys, total).capitalize()}:", ""]
                lines.append("| " + " | ".join(d.primary_key) + " |")
                lines.append("|" + "---|" * len(d.primary_key))
                lines += ["| " + " | ".join(_cell(_value(v)) for v in key) + " |" for key in keys]
    return "\n".join(lines) + "\n"


def _dbt() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def build(project_dir: Path, warehouse: Path, work: Path, excludes: list[str], dbt_args) -> None:
    """Builds the project's models and seeds (no tests) into `warehouse`."""
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_dir / "profiles"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "WAREHOUSE_TEMP_DIR": str(work / "spill"),
        "DBT_PROJECT_DIR": str(project_dir),
    }
    command = [
        _dbt(),
        "build",
        "--exclude",
        "resource_type:test",
        "resource_type:unit_test",
        *excludes,
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        *dbt_args,
    ]
    print(f"warehouse_diff: building {project_dir} into {warehouse}", file=sys.stderr)
    completed = subprocess.run(
        command, cwd=project_dir, env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"warehouse_diff: dbt build of {project_dir} failed:\n{completed.stdout[-4000:]}"
        )


def build_and_compare(args) -> tuple[list[TableDiff], str]:
    project_dir = Path(args.project_dir).resolve()
    out_dir = Path(args.out_dir).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    base_src = Path(tempfile.mkdtemp(prefix="warehouse-diff-base-")) / "src"
    title = f"Data diff: {args.base} ({_git(project_dir, 'rev-parse', '--short', args.base)})"
    title += f" -> {_working_tree(project_dir)}"
    subprocess.run(
        ["git", "worktree", "add", "--detach", "--quiet", str(base_src), args.base],
        cwd=project_dir,
        check=True,
    )
    try:
        excludes = args.exclude or []
        build(base_src, out_dir / "base.duckdb", out_dir / "base", excludes, args.dbt_args)
        build(project_dir, out_dir / "new.duckdb", out_dir / "new", excludes, args.dbt_args)
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(base_src)],
            cwd=project_dir,
            check=False,
        )
        shutil.rmtree(base_src.parent, ignore_errors=True)
    keys = primary_keys_from_manifest(
        out_dir / "new" / "target" / "manifest.json",
        out_dir / "base" / "target" / "manifest.json",
    )
    diffs = compare_warehouses(
        out_dir / "base.duckdb", out_dir / "new.duckdb", keys, tuple(args.schemas)
    )
    return diffs, title


def _git(project_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=project_dir, capture_output=True, text=True, check=True
    ).stdout.strip()


def _working_tree(project_dir: Path) -> str:
    """The new side of the diff: the working tree, named by its commit and whether files differ
    from it (uncommitted or untracked files are built too)."""
    head = _git(project_dir, "rev-parse", "--short", "HEAD")
    dirty = _git(project_dir, "status", "--porcelain")
    return f"working tree ({head}{' + uncommitted changes' if dirty else ''})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="git ref of the base revision (build both and compare)")
    parser.add_argument("--compare", nargs=2, metavar=("BASE_DB", "NEW_DB"))
    parser.add_argument("--manifest", action="append", default=[], help="for --compare")
    parser.add_argument("--project-dir", default=str(PROJECT_DIR))
    parser.add_argument("--out-dir", default="target/diff")
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS))
    parser.add_argument("--exclude", nargs="*", help="extra dbt --exclude selectors")
    parser.add_argument("--markdown", help="write the Markdown report here too")
    parser.add_argument("dbt_args", nargs="*", help="after --: passed to both dbt builds")
    args = parser.parse_args(argv)

    if args.compare:
        keys = primary_keys_from_manifest(*(Path(m) for m in args.manifest))
        base, new = (Path(p) for p in args.compare)
        diffs = compare_warehouses(base, new, keys, tuple(args.schemas))
        title = f"Data diff: {base.name} -> {new.name}"
        out_dir = None
    elif args.base:
        diffs, title = build_and_compare(args)
        out_dir = Path(args.out_dir)
    else:
        parser.error("give --base <git ref> or --compare BASE_DB NEW_DB")

    text = render_text(diffs, title)
    markdown = render_markdown(diffs, title)
    sys.stdout.write(text)
    if out_dir is not None:
        (out_dir / "diff.txt").write_text(text)
        (out_dir / "diff.md").write_text(markdown)
        print(f"\nMarkdown for a pull-request comment: {out_dir / 'diff.md'}")
    if args.markdown:
        Path(args.markdown).write_text(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The full-scale benchmark behind `make bench` (docs/performance.md).

    .venv/bin/python benchmarks/full_scale_benchmark.py [--rows 16100000 ...] [--runs 3]
        [--work-dir target/bench] [--memory-limit 4GB] [--skip-incremental] [--incremental-runs 2]
        [--segments-only]

For each size (rows of the e-commerce feed; customers and items scale with it, 2.85M and 3.7M at
16.1M rows as in the issue), it
1. generates the monthly feed with the project's generator unless it is already there;
2. runs the whole `dbt build` (every model and test) into its own DuckDB file, several times:
   wall time, peak memory (maximum resident set of the dbt process, which runs DuckDB and the
   Python models in-process) and each node's time from dbt's run_results.json, summed per layer;
3. times raw files to segments: `dbt build --select +fct_customer_rfm` without tests;
4. times two references on the same files, each a fresh process: one hand-written DuckDB query
   from the CSV files to RFM scores and segments, and the notebook approach in pandas
   (read_csv, groupby, qcut, a regex map for the segments);
5. at the largest size, builds eleven months, then times adding the twelfth (`dbt build` again,
   incremental), from a copy of the eleven-month warehouse each run.
`--segments-only` runs steps 1, 3 and 4 alone (minutes instead of an hour at full scale).
It prints medians with ratios against the references and writes them to
<work-dir>/results.md and results.json. The machine may be shared: medians and ratios measured
in the same run are the numbers to read, not a single time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from dbt_timing import DBT, PROJECT_DIR, dbt_env, run_measured

FULL_ROWS, FULL_CUSTOMERS, FULL_ITEMS = 16_100_000, 2_850_000, 3_700_000

# The usual R-F regex map of the notebooks (first match wins); it gives the same ten segments
# as seeds/rfm_segment_map.csv.
SEGMENT_PATTERNS = {
    r"[1-2][1-2]": "Hibernating",
    r"[1-2][3-4]": "At Risk",
    r"[1-2]5": "Can't Lose",
    r"3[1-2]": "About to Sleep",
    r"33": "Need Attention",
    r"[3-4][4-5]": "Loyal Customers",
    r"41": "Promising",
    r"51": "New Customers",
    r"[4-5][2-3]": "Potential Loyalist",
    r"5[4-5]": "Champions",
}

LAYERS = (
    ("seed.", "seeds"),
    ("models/staging/", "staging"),
    ("models/intermediate/customers/", "customers"),
    ("models/intermediate/predictions/", "predictions"),
    ("models/intermediate/", "intermediate"),
    ("models/marts/history/", "history"),
    ("models/reports/history/", "history"),
    ("models/marts/", "marts"),
    ("models/reports/", "reports"),
    ("models/ml/clustering/", "clustering"),
    ("models/ml/recommendations/", "recommendations"),
    ("models/ml/predictions/", "predictions"),
    ("snapshots/", "snapshots"),
)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def feed_for(rows: int, work_dir: Path) -> Path:
    """The generated feed of this size (made once; a marker file says it is complete)."""
    feed = work_dir / f"feed_{rows}"
    if (feed / ".complete").exists():
        return feed
    shutil.rmtree(feed, ignore_errors=True)
    customers = round(rows * FULL_CUSTOMERS / FULL_ROWS)
    items = round(rows * FULL_ITEMS / FULL_ROWS)
    log(f"generating {rows:,} rows, {customers:,} customers, {items:,} items into {feed}")
    feed.mkdir(parents=True)
    generated = run_measured(
        [sys.executable, "-m", "datagen.ecommerce", "--rows", str(rows),
         "--customers", str(customers), "--items", str(items), "--seed", "42", "--out", str(feed)],
        feed / "generator.log",
    )  # fmt: skip
    log(f"generated in {generated['seconds']:.0f} s")
    (feed / ".complete").write_text("")
    return feed


def dbt(run_dir: Path, feed: Path, memory_limit: str, *args: str, fresh: bool = True) -> dict:
    """A measured dbt command into run_dir/warehouse.duckdb, with the per-layer times."""
    if fresh:
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    warehouse = run_dir / "warehouse.duckdb"
    command = [str(DBT), *args, "--target-path", str(run_dir / "target"),
               "--log-path", str(run_dir / "logs")]  # fmt: skip
    env = dbt_env(warehouse, str(feed / "sales_*.csv"), memory_limit)
    load = os.getloadavg()[0]
    measured = run_measured(command, run_dir / "dbt.log", env)
    measured.update(node_times(run_dir / "target"), load_before=load)
    return measured


def node_times(target: Path) -> dict:
    """Seconds per node and per layer, from run_results.json and the manifest's file paths."""
    manifest = json.loads((target / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    results = json.loads((target / "run_results.json").read_text())["results"]
    per_node, per_layer, sql_models = {}, {}, 0.0
    for result in results:
        node = nodes.get(result["unique_id"], {})
        per_node[result["unique_id"]] = result["execution_time"]
        layer = layer_of(result["unique_id"], node.get("original_file_path", ""))
        per_layer[layer] = per_layer.get(layer, 0.0) + result["execution_time"]
        # The SQL layers, which the monthly-load target compares: every SQL model, any folder.
        if node.get("resource_type") == "model" and node.get("language") == "sql":
            sql_models += result["execution_time"]
    return {"nodes": per_node, "layers": per_layer, "sql_model_seconds": sql_models}


def layer_of(unique_id: str, path: str) -> str:
    if unique_id.startswith(("test.", "unit_test.")):
        return "tests"
    if unique_id.startswith("operation."):
        return "hooks"
    for prefix, layer in LAYERS:
        if unique_id.startswith(prefix) or path.startswith(prefix):
            return layer
    return "other"


def layer_order(layer: str) -> int:
    names = [name for _, name in LAYERS] + ["tests", "hooks", "other"]
    return names.index(layer)


def reference_duckdb_sql(feed: Path) -> str:
    """Raw CSV files to RFM scores and segments in one statement, as a user would write it."""
    quoted = {pattern: segment.replace("'", "''") for pattern, segment in SEGMENT_PATTERNS.items()}
    segment_cases = "\n".join(
        f"        when regexp_full_match(rf, '{pattern}') then '{segment}'"
        for pattern, segment in quoted.items()
    )
    return f"""
create table customer_segments as
with lines as (
    select
        regexp_replace(customer_id, '\\.0$', '') as customer_id,
        try_cast(item_count as integer) as quantity,
        try_cast(unit_price as decimal(18, 4)) as unit_price,
        try_cast(purchase_time as timestamp) as purchased_at
    from read_csv('{feed}/sales_*.csv', header = true, all_varchar = true)
),
valid as (
    select * from lines
    where customer_id is not null and customer_id <> '-1'
        and quantity > 0 and unit_price > 0 and purchased_at is not null
),
customers as (
    select
        customer_id,
        date_diff('day', max(purchased_at)::date,
            (select max(purchased_at)::date + 1 from valid)) as recency_days,
        count(distinct purchased_at) as frequency,
        sum(quantity * unit_price) as monetary
    from valid
    group by customer_id
),
scored as (
    select *,
        ntile(5) over (order by recency_days desc, customer_id) as r_score,
        ntile(5) over (order by frequency, customer_id) as f_score,
        ntile(5) over (order by monetary, customer_id) as m_score
    from customers
)
select *, case
{segment_cases}
    end as segment
from (select *, r_score::varchar || f_score::varchar as rf from scored)
"""


def reference_pandas_code(feed: Path) -> str:
    """The notebook approach: pandas reads the monthly files, groupby, qcut, a regex map."""
    return f"""
import glob, pandas as pd
frames = [pd.read_csv(f, dtype={{'customer_id': str, 'item_id': str}}, parse_dates=['purchase_time'])
          for f in sorted(glob.glob('{feed}/sales_*.csv'))]
df = pd.concat(frames, ignore_index=True)
df['customer_id'] = df['customer_id'].str.replace(r'\\.0$', '', regex=True)
df = df[df['customer_id'].notna() & (df['item_count'] > 0) & (df['unit_price'] > 0)]
df['amount'] = df['item_count'] * df['unit_price']
as_of = df['purchase_time'].max().normalize() + pd.Timedelta(days=1)
rfm = df.groupby('customer_id').agg(
    last=('purchase_time', 'max'), frequency=('purchase_time', 'nunique'),
    monetary=('amount', 'sum'))
rfm['recency_days'] = (as_of - rfm['last'].dt.normalize()).dt.days
rfm['r_score'] = pd.qcut(rfm['recency_days'].rank(method='first', ascending=False), 5,
                         labels=[1, 2, 3, 4, 5]).astype(int)
rfm['f_score'] = pd.qcut(rfm['frequency'].rank(method='first'), 5, labels=[1, 2, 3, 4, 5]).astype(int)
rfm['m_score'] = pd.qcut(rfm['monetary'].rank(method='first'), 5, labels=[1, 2, 3, 4, 5]).astype(int)
rfm['segment'] = (rfm['r_score'].astype(str) + rfm['f_score'].astype(str)).replace(
    {json.dumps(SEGMENT_PATTERNS)}, regex=True)
rfm['segment'].value_counts().sort_index().to_json('segment_counts.json')
"""  # noqa: E501


DUCKDB_REFERENCE_RUNNER = """
import duckdb, json, sys
connection = duckdb.connect('reference.duckdb')
connection.execute(f"set memory_limit = '{sys.argv[1]}'")
connection.execute(open('reference.sql').read())
counts = connection.sql('select segment, count(*) from customer_segments group by 1').fetchall()
json.dump(dict(counts), open('segment_counts.json', 'w'))
"""


def run_references(feed: Path, run_dir: Path, memory_limit: str) -> dict:
    """Both references, each in a fresh process in run_dir; they must agree on the segments."""
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    (run_dir / "reference.sql").write_text(reference_duckdb_sql(feed))
    command = [sys.executable, "-c", DUCKDB_REFERENCE_RUNNER, memory_limit]
    duckdb_run = run_measured(command, run_dir / "duckdb.log", cwd=run_dir)
    duckdb_counts = json.loads((run_dir / "segment_counts.json").read_text())
    pandas_command = [sys.executable, "-c", reference_pandas_code(feed)]
    pandas_run = run_measured(pandas_command, run_dir / "pandas.log", cwd=run_dir)
    pandas_counts = json.loads((run_dir / "segment_counts.json").read_text())
    # ntile and qcut place the leftover customers of an uneven fifth differently: a few apart.
    customers = sum(duckdb_counts.values())
    if any(
        abs(duckdb_counts.get(segment, 0) - pandas_counts.get(segment, 0)) > customers / 1000
        for segment in {*duckdb_counts, *pandas_counts}
    ):
        log(f"warning: the references disagree: {duckdb_counts} vs {pandas_counts}")
    return {"duckdb": duckdb_run, "pandas": pandas_run, "segments": duckdb_counts}


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench_size(rows: int, args: argparse.Namespace) -> dict:
    feed = feed_for(rows, args.work_dir)
    size_dir = args.work_dir / f"rows_{rows}"
    builds, segments, references = [], [], []
    for run in range(1, args.runs + 1):
        if not args.segments_only:
            log(f"{rows:,} rows, run {run}/{args.runs}: dbt build")
            builds.append(dbt(size_dir / "build", feed, args.memory_limit, "build"))
            log(f"  {builds[-1]['seconds']:.0f} s, peak {builds[-1]['peak_gb']:.1f} GB")
        log(f"{rows:,} rows, run {run}/{args.runs}: raw to segments")
        segments.append(
            dbt(size_dir / "segments", feed, args.memory_limit, "build", "--select",
                "+fct_customer_rfm", "--exclude", "resource_type:test", "resource_type:unit_test")
        )  # fmt: skip
        log(f"  {segments[-1]['seconds']:.0f} s; references")
        references.append(run_references(feed, size_dir / "references", args.memory_limit))
        log(
            f"  DuckDB query {references[-1]['duckdb']['seconds']:.0f} s,"
            f" pandas {references[-1]['pandas']['seconds']:.0f} s"
        )
    measured = {
        "rows": rows,
        "segments_seconds": median([s["seconds"] for s in segments]),
        "segments_cpu_seconds": median([s["cpu_seconds"] for s in segments]),
        "segments_peak_gb": max(s["peak_gb"] for s in segments),
        "duckdb_seconds": median([r["duckdb"]["seconds"] for r in references]),
        "duckdb_cpu_seconds": median([r["duckdb"]["cpu_seconds"] for r in references]),
        "duckdb_peak_gb": max(r["duckdb"]["peak_gb"] for r in references),
        "pandas_seconds": median([r["pandas"]["seconds"] for r in references]),
        "pandas_cpu_seconds": median([r["pandas"]["cpu_seconds"] for r in references]),
        "pandas_peak_gb": max(r["pandas"]["peak_gb"] for r in references),
        "reference_segments": references[-1]["segments"],
    }
    if not builds:
        return measured
    layers = sorted({layer for build in builds for layer in build["layers"]})
    nodes = {node for build in builds for node in build["nodes"]}
    node_medians = {node: median([b["nodes"].get(node, 0.0) for b in builds]) for node in nodes}
    slowest = sorted(node_medians, key=node_medians.get, reverse=True)[:12]
    return {
        **measured,
        "build_seconds": median([b["seconds"] for b in builds]),
        "build_peak_gb": max(b["peak_gb"] for b in builds),
        "layers": {
            layer: median([b["layers"].get(layer, 0.0) for b in builds]) for layer in layers
        },
        "slowest_nodes": {node: node_medians[node] for node in slowest},
        "build_cpu_seconds": median([b["cpu_seconds"] for b in builds]),
        "sql_model_seconds": median([b["sql_model_seconds"] for b in builds]),
        # The load average before each measured run: a busy machine inflates wall times.
        "load_before": [round(b["load_before"], 1) for b in builds],
    }


def bench_incremental(rows: int, args: argparse.Namespace) -> dict:
    """Eleven months built once; each run adds the twelfth to a copy and builds again."""
    feed = feed_for(rows, args.work_dir)
    months = sorted(feed.glob("sales_*.csv"))
    partial_feed = args.work_dir / f"rows_{rows}" / "incremental_feed"
    shutil.rmtree(partial_feed, ignore_errors=True)
    partial_feed.mkdir(parents=True)
    for month in months[:-1]:
        (partial_feed / month.name).symlink_to(month)
    base_dir = args.work_dir / f"rows_{rows}" / "eleven_months"
    log(f"{rows:,} rows: building eleven months")
    base = dbt(base_dir, partial_feed, args.memory_limit, "build")
    (partial_feed / months[-1].name).symlink_to(months[-1])
    runs = []
    for run in range(1, args.incremental_runs + 1):
        run_dir = args.work_dir / f"rows_{rows}" / "add_month"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        shutil.copy(base_dir / "warehouse.duckdb", run_dir / "warehouse.duckdb")
        log(f"{rows:,} rows, run {run}/{args.incremental_runs}: adding the twelfth month")
        runs.append(dbt(run_dir, partial_feed, args.memory_limit, "build", fresh=False))
        log(f"  {runs[-1]['seconds']:.0f} s")
    return {
        "eleven_months_seconds": base["seconds"],
        "add_month_seconds": median([r["seconds"] for r in runs]),
        "add_month_sql_model_seconds": median([r["sql_model_seconds"] for r in runs]),
        "add_month_peak_gb": max(r["peak_gb"] for r in runs),
        "add_month_layers": {
            layer: median([r["layers"].get(layer, 0.0) for r in runs])
            for layer in sorted({layer for r in runs for layer in r["layers"]})
        },
    }


def machine() -> str:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return f"{os.cpu_count()} cores, {memory_gb:.0f} GB, {platform.system()} {platform.machine()}"


def segments_markdown(results: list[dict], args: argparse.Namespace) -> str:
    """Raw files to segments against the two references, per size (`--segments-only`)."""
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; medians of {args.runs} run(s);"
        f" DuckDB memory limit {args.memory_limit}; wall (CPU) seconds.",
        "",
        "| rows | raw files to segments | one DuckDB query | pandas notebook "
        "| to the query (CPU) | faster than pandas (CPU) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['rows']:,} | {r['segments_seconds']:.0f} s ({r['segments_cpu_seconds']:.0f} s)"
            f" | {r['duckdb_seconds']:.0f} s ({r['duckdb_cpu_seconds']:.0f} s)"
            f" | {r['pandas_seconds']:.0f} s ({r['pandas_cpu_seconds']:.0f} s)"
            f" | {r['segments_cpu_seconds'] / r['duckdb_cpu_seconds']:.2f}x (target 1.5x)"
            f" | {r['pandas_cpu_seconds'] / r['segments_cpu_seconds']:.2f}x (target 3x) |"
        )
    return "\n".join(lines) + "\n"


def markdown(results: list[dict], incremental: dict | None, args: argparse.Namespace) -> str:
    """The tables of docs/performance.md."""
    largest = results[-1]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}; medians of "
        f"{args.runs} run(s); DuckDB memory limit {args.memory_limit}; times of layers are sums"
        " of their nodes' times (two run at once, so they add up to more than the wall time).",
        "",
        f"**At {largest['rows']:,} rows**",
        "",
        "| measure | median | against the reference |",
        "|---|---:|---|",
        f"| whole `dbt build` (every model and test) | {largest['build_seconds']:.0f} s | "
        f"target 180 s |",
        f"| peak memory of the build | {largest['build_peak_gb']:.1f} GB | target 6 GB |",
    ]
    for layer, seconds in sorted(largest["layers"].items(), key=lambda kv: layer_order(kv[0])):
        lines.append(f"| - {layer} | {seconds:.0f} s | |")
    segments, query, pandas = (
        largest[f"{name}_seconds"] for name in ("segments", "duckdb", "pandas")
    )
    segments_cpu, query_cpu, pandas_cpu = (
        largest[f"{name}_cpu_seconds"] for name in ("segments", "duckdb", "pandas")
    )
    lines += [
        f"| raw files to segments (`+fct_customer_rfm`) | {segments:.0f} s "
        f"({segments_cpu:.0f} s CPU) | {segments / query:.2f}x the single query "
        f"({segments_cpu / query_cpu:.2f}x in CPU time; target 1.5x), "
        f"{pandas / segments:.2f}x faster than pandas (target 3x) |",
        f"| reference: one DuckDB query | {query:.0f} s ({query_cpu:.0f} s CPU) | "
        f"peak {largest['duckdb_peak_gb']:.1f} GB |",
        f"| reference: pandas notebook | {pandas:.0f} s ({pandas_cpu:.0f} s CPU) | "
        f"peak {largest['pandas_peak_gb']:.1f} GB |",
        f"| the SQL models of the full build (node-seconds) | "
        f"{largest['sql_model_seconds']:.0f} s | |",
    ]
    if incremental:
        full = largest["build_seconds"]
        sql_share = incremental["add_month_sql_model_seconds"] / largest["sql_model_seconds"]
        lines += [
            f"| adding the 12th month to 11 (incremental `dbt build`, "
            f"{args.incremental_runs} run(s)) | "
            f"{incremental['add_month_seconds']:.0f} s | "
            f"{incremental['add_month_seconds'] / full:.2f}x the full build; "
            f"peak {incremental['add_month_peak_gb']:.1f} GB |",
            f"| - its SQL models (node-seconds) | "
            f"{incremental['add_month_sql_model_seconds']:.0f} s | "
            f"{sql_share:.2f}x the full build's SQL models (target 0.2x) |",
        ]
    lines += ["", "Slowest nodes:", "", "| node | seconds |", "|---|---:|"]
    lines += [
        f"| {node.split('.', 2)[-1]} | {seconds:.1f} |"
        for node, seconds in largest["slowest_nodes"].items()
    ]
    if len(results) > 1:
        layers = sorted(
            {layer for result in results for layer in result["layers"]}, key=layer_order
        )
        lines += [
            "",
            "**How cost grows**",
            "",
            "| rows | dbt build | s per M rows | peak GB | raw to segments | one query | pandas | "
            + " | ".join(layers)
            + " |",
            "|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(layers),
        ]
        for result in results:
            lines.append(
                f"| {result['rows']:,} | {result['build_seconds']:.0f} s | "
                f"{result['build_seconds'] / (result['rows'] / 1e6):.1f} | "
                f"{result['build_peak_gb']:.1f} | {result['segments_seconds']:.0f} s | "
                f"{result['duckdb_seconds']:.0f} s | {result['pandas_seconds']:.0f} s | "
                + " | ".join(f"{result['layers'].get(layer, 0.0):.0f}" for layer in layers)
                + " |"
            )
        # Growth between the two largest sizes, layer by layer (the target: at most 4.4x for 4x).
        smaller, larger = results[-2], results[-1]
        rows_ratio = larger["rows"] / smaller["rows"]
        lines.append(
            f"| growth {smaller['rows']:,} to {larger['rows']:,} ({rows_ratio:.1f}x rows) | "
            f"{larger['build_seconds'] / smaller['build_seconds']:.1f}x | | | "
            f"{larger['segments_seconds'] / smaller['segments_seconds']:.1f}x | | | "
            + " | ".join(
                f"{larger['layers'].get(layer, 0.0) / smaller['layers'][layer]:.1f}x"
                if smaller["layers"].get(layer)
                else ""
                for layer in layers
            )
            + " |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[FULL_ROWS])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "target" / "bench")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--skip-incremental", action="store_true")
    # Each incremental run first copies the eleven-month warehouse, so runs cost more here.
    parser.add_argument("--incremental-runs", type=int, default=2)
    parser.add_argument("--segments-only", action="store_true")
    args = parser.parse_args()
    args.work_dir = args.work_dir.absolute()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = [bench_size(rows, args) for rows in sorted(args.rows)]
    if args.segments_only:
        incremental, table = None, segments_markdown(results, args)
    else:
        incremental = None if args.skip_incremental else bench_incremental(max(args.rows), args)
        table = markdown(results, incremental, args)
    (args.work_dir / "results.md").write_text(table)
    (args.work_dir / "results.json").write_text(
        json.dumps({"results": results, "incremental": incremental}, indent=2)
    )
    print(table)


if __name__ == "__main__":
    main()

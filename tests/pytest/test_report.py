"""The HTML report (retail_warehouse/report/): it renders in a real browser without script
errors or network requests, the numbers it shows are the models' numbers, it reads them
without computing any of its own, and its readings leave partial periods out.

The warehouse is a full build (Python models included, dbt's own tests left out) of a slice of
the bundled data: every SLICE-th customer of both stores, so every section has data.
The browser tests drive Debian's Chromium (retail_warehouse/report/browser.py); without it they
are skipped locally and fail in CI (CI=true), where `.ci/run` installs it.
"""

import calendar
import csv
import datetime as dt
import gzip
import html
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_project_runner import PROJECT_DIR
from small_warehouse import DBT, dbt_env, dbt_paths, quick_build, run, write_inputs

from retail_warehouse import report
from retail_warehouse.report import browser
from retail_warehouse.report.sections import SECTIONS, HistorySection
from retail_warehouse.report.warehouse import Warehouse

SLICE = 5
STORES = ["online_retail", "ecommerce"]


def slice_csv(source: Path, target: Path, customer_column: str) -> int:
    """Copies the header and every line of a customer whose numeric id is a multiple of SLICE,
    byte for byte (the bundled files have no line breaks inside quoted fields)."""
    kept = 0
    with gzip.open(source, "rb") as lines, gzip.open(target, "wb") as out:
        header = next(lines)
        out.write(header)
        position = next(csv.reader([header.decode()])).index(customer_column)
        for line in lines:
            customer = next(csv.reader([line.decode("utf-8", "replace")]))[position]
            if customer and int(float(customer)) % SLICE == 0:
                out.write(line)
                kept += 1
    return kept


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("report")
    inputs = work_dir / "input"
    (inputs / "ecommerce").mkdir(parents=True)
    slice_csv(
        PROJECT_DIR / "data/online_retail/online_retail.csv.gz",
        inputs / "online_retail.csv.gz",
        "CustomerID",
    )
    for month in sorted((PROJECT_DIR / "data/ecommerce").glob("sales_*.csv.gz")):
        slice_csv(month, inputs / "ecommerce" / month.name, "customer_id")
    variables = {
        "online_retail_path": str(inputs / "online_retail.csv.gz"),
        "ecommerce_path": str(inputs / "ecommerce" / "sales_*.csv.gz"),
    }
    warehouse = work_dir / "warehouse.duckdb"
    command = [str(DBT), "build", "--exclude", "resource_type:test", "resource_type:unit_test"]
    command += [*dbt_paths(work_dir), "--vars", json.dumps(variables)]
    completed = run(command, dbt_env(warehouse, work_dir))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return warehouse


@pytest.fixture(scope="module")
def report_run(warehouse, tmp_path_factory) -> tuple[Path, str]:
    """`python -m retail_warehouse.report`, run from another directory than the project's, so
    that its templates and static files are found as package files: the file and its stderr."""
    out = tmp_path_factory.mktemp("report_out") / "report.html"
    env = {**dbt_env(warehouse, out.parent), "PYTHONPATH": str(PROJECT_DIR)}
    completed = run(
        [sys.executable, "-m", "retail_warehouse.report", "--out", str(out)], env, cwd=out.parent
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out, completed.stderr


@pytest.fixture(scope="module")
def report_file(report_run) -> Path:
    return report_run[0]


def query(warehouse: Path, sql: str, params=None) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        cursor = connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class ReportPage(HTMLParser):
    """What the page holds, read from the file: each chart's figure JSON, its variants and its
    reading, each section's notes, the header figures of each store, and every table with an
    id (a row is its cells; a cell is its text, or the texts of its list items)."""

    def __init__(self, text: str):
        super().__init__()
        self.figures, self.variants, self.readings, self.kpis = {}, {}, {}, {}
        self.notes, self.chart_ids = [], []
        self.tables: dict[str, list[list]] = {}
        self._store = None
        self._capture = None
        self._buffer = []
        self._table = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "section" and "store" in classes:
            self._store = attrs["data-store"]
        if tag == "div" and "chart" in classes:
            self.chart_ids.append(attrs["id"])
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag == "td" and self._table is not None:
            self._table[-1].append("")
        elif tag == "ol" and self._table is not None:
            self._table[-1][-1] = []
        elif tag == "li" and self._table is not None:
            self._table[-1][-1].append("")
        if tag == "script" and "figure" in classes:
            self._begin(("figure", attrs["data-chart"]))
        elif tag == "script" and "variants" in classes:
            self._begin(("variants", attrs["data-chart"]))
        elif tag == "p" and "reading" in classes:
            self._begin(("reading", attrs["data-chart"]))
        elif tag == "p" and "missing" in classes:
            self._begin(("note", self._store))
        elif tag == "div" and "kpi" in classes:
            self._begin(("kpi", self._store))

    def _begin(self, what):
        self._capture, self._buffer = what, []

    def handle_data(self, data):
        if self._capture:
            self._buffer.append(data)
        if self._table and self._table[-1:] and self._table[-1] and data.strip():
            cell = self._table[-1][-1]
            if isinstance(cell, list):
                cell[-1] += data
            else:
                self._table[-1][-1] = cell + data

    def handle_endtag(self, tag):
        if tag == "table" and self._table is not None:
            self._table[:] = [row for row in self._table if row]  # the header row has no td
            self._table = None
        if not self._capture or tag not in {"script", "p", "div"}:
            return
        if self._capture[0] == "kpi" and tag == "div":
            # A KPI is <div class="kpi"><span>value</span><span>label</span></div>.
            value, label = self._buffer[0], self._buffer[1]
            self.kpis.setdefault(self._capture[1], {})[label] = value
        elif self._capture[0] == "figure" and tag == "script":
            self.figures[self._capture[1]] = json.loads(self._buffer_text())
        elif self._capture[0] == "variants" and tag == "script":
            self.variants[self._capture[1]] = json.loads(self._buffer_text())
        elif self._capture[0] == "reading" and tag == "p":
            self.readings[self._capture[1]] = self._buffer_text()
        elif self._capture[0] == "note" and tag == "p":
            self.notes.append((self._capture[1], self._buffer_text()))
        else:
            return
        self._capture = None

    def _buffer_text(self) -> str:
        return "".join(self._buffer)


@pytest.fixture(scope="module")
def page(report_file) -> ReportPage:
    return ReportPage(report_file.read_text(encoding="utf-8"))


# --- the page as a browser sees it -------------------------------------------------------------

# Per chart: its traces and how many values each holds, the trace layers plotly drew, the title,
# and the axes that show tick labels without a title of their own (plotly's placeholder title
# is only in _fullLayout, so titles are read from the figure's own layout).
CHART_STATE = """chart => {
    const full = chart._fullLayout;
    const axes = Object.keys(full).filter(key => /^[xy]axis[0-9]*$/.test(key));
    const titled = key => chart.layout[key] && chart.layout[key].title
        && chart.layout[key].title.text;
    return {
        points: chart.data.map(trace => (trace.values || trace.z || trace.y
            || (trace.link && trace.link.value) || []).length),
        drawn: chart.querySelectorAll(
            'svg.main-svg g.trace, svg.main-svg g.hm, svg.main-svg g.sankey').length,
        title: chart.layout.title && chart.layout.title.text,
        untitled_axes: axes.filter(key => full[key].visible && full[key].showticklabels
            && !titled(key)),
    };
}"""


@pytest.fixture(scope="module")
def browser_page():
    if not browser.chromium_path().exists():
        message = (
            f"Chromium not at {browser.chromium_path()}: apt-get install chromium "
            "(.ci/run does it) or set CHROMIUM_PATH"
        )
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(message)
        pytest.skip(message)
    with browser.chromium_page() as browser_page:
        yield browser_page


def test_every_chart_renders_in_chromium_without_errors(browser_page, report_file, page, tmp_path):
    errors, requests = [], []
    browser_page.on(
        "console", lambda m: errors.append(m.text) if m.type in {"error", "warning"} else None
    )
    browser_page.on("pageerror", lambda error: errors.append(str(error)))
    browser_page.on(
        "request", lambda r: None if r.url.startswith("file:") else requests.append(r.url)
    )
    browser_page.goto(report_file.as_uri())
    rendered = {}
    for store in STORES:
        browser_page.click(f'nav.stores button[data-store="{store}"]')
        browser.wait_for_charts(browser_page, store)
        assert browser_page.is_visible(f'section.store[data-store="{store}"]')
        for chart in browser_page.query_selector_all(f'section.store[data-store="{store}"] .chart'):
            rendered[chart.get_attribute("id")] = chart.evaluate(CHART_STATE)
        shot = tmp_path / f"report_{store}.png"
        browser_page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
    assert errors == [] and requests == []
    assert sorted(rendered) == sorted(page.chart_ids)
    for chart_id, state in rendered.items():
        assert state["points"] and min(state["points"]) > 0, (chart_id, state)
        assert state["drawn"] > 0, (chart_id, state)
        assert state["title"], chart_id
        assert state["untitled_axes"] == [], (chart_id, state)
        assert page.readings[chart_id].strip(), chart_id
    # Both stores have every required chart.
    for store in STORES:
        for name in REQUIRED_CHARTS:
            assert f"{store}-{name}" in rendered


REQUIRED_CHARTS = [
    "segment-treemap",
    "rf-customers",
    "rf-spend",
    "rfm-cells",
    "k-selection",
    "cluster-snake",
    "crosstab-k4",
    "crosstab-k5",
    "monthly-sales",
    "countries",
    "transitions-sankey",
    "transitions-shares",
    "rec-eval",
]


def test_the_month_selector_redraws_the_sankey_with_that_months_moves(
    browser_page, report_file, page
):
    chart_id = f"{STORE}-transitions-sankey"
    variants = page.variants[chart_id]
    browser_page.goto(report_file.as_uri())
    browser_page.click(f'nav.stores button[data-store="{STORE}"]')
    browser.wait_for_charts(browser_page, STORE)
    select = f'select.variant[data-chart="{chart_id}"]'
    options = browser_page.eval_on_selector_all(f"{select} option", "os => os.map(o => o.text)")
    assert options == [variant["label"] for variant in variants]
    assert browser_page.eval_on_selector(select, "s => s.selectedIndex") == len(variants) - 1
    browser_page.select_option(select, index=0)
    drawn = browser_page.eval_on_selector(f"#{chart_id}", "c => c.data[0].link.value")
    reading = browser_page.text_content(f'p.reading[data-chart="{chart_id}"]')
    first = variants[0]
    assert drawn == first["figure"]["data"][0]["link"]["value"]
    assert reading == first["reading"] and first["reading"] != variants[-1]["reading"]


# --- the numbers shown are the models' numbers ---------------------------------------------------

STORE = "online_retail"


def traces(page: ReportPage, name: str, store: str = STORE) -> list[dict]:
    return page.figures[f"{store}-{name}"]["data"]


def test_segments_shown_are_the_segment_summary(warehouse, page, report_file):
    rows = query(
        warehouse,
        "select segment, customers, revenue::double as revenue, share_of_customers,"
        " share_of_revenue, description, recommended_action from marts.rpt_segment_summary"
        " where store_id = ? and segmentation = 'rfm_segment'",
        [STORE],
    )
    by_customers, by_revenue = traces(page, "segment-treemap")
    assert dict(zip(by_customers["labels"], by_customers["values"], strict=True)) == {
        r["segment"]: r["customers"] for r in rows
    }
    assert dict(zip(by_revenue["labels"], by_revenue["values"], strict=True)) == pytest.approx(
        {r["segment"]: r["revenue"] for r in rows}
    )
    top = max(rows, key=lambda r: r["share_of_revenue"])
    assert page.readings[f"{STORE}-segment-treemap"].startswith(
        f"{top['segment']} are {top['share_of_customers']:.1%} of customers and bring "
        f"{top['share_of_revenue']:.1%} of revenue"
    )
    # Every segment's description and recommended action is in the segment table.
    text = report_file.read_text(encoding="utf-8")
    for row in rows:
        assert html.escape(row["description"]) in text
        assert html.escape(row["recommended_action"]) in text


def test_the_treemaps_carry_a_legend_of_every_segment(warehouse, page):
    for store in STORES:
        currency = store_currency(warehouse, store)
        rows = query(
            warehouse,
            "select segment, customers, share_of_customers, revenue::double as revenue,"
            " share_of_revenue from marts.rpt_segment_summary"
            " where store_id = ? and segmentation = 'rfm_segment'",
            [store],
        )
        legend = {cells[0]: cells[1:] for cells in page.tables[f"{store}-segment-legend"]}
        assert legend == {
            r["segment"]: [
                f"{r['customers']:,}",
                f"{r['share_of_customers']:.1%}",
                f"{currency}{r['revenue']:,.0f}",
                f"{r['share_of_revenue']:.1%}",
            ]
            for r in rows
        }


def store_currency(warehouse: Path, store: str) -> str:
    (row,) = query(
        warehouse, "select currency_symbol from marts.rpt_stores where store_id = ?", [store]
    )
    return row["currency_symbol"]


def test_header_figures_are_the_store_summary(warehouse, page):
    (summary,) = query(
        warehouse, "select * from marts.rpt_store_summary where store_id = ?", [STORE]
    )
    assert page.kpis[STORE]["customers"] == f"{summary['customers']:,}"
    assert page.kpis[STORE]["orders"] == f"{summary['orders']:,}"
    assert page.kpis[STORE]["net revenue"] == f"£{summary['revenue']:,.0f}"


def test_every_stores_amounts_carry_its_currency(warehouse, page, report_file):
    """The var `stores` names each store's currency; no amount is left as plain 'money'."""
    settings = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["stores"]
    for store in STORES:
        (summary,) = query(
            warehouse, "select revenue from marts.rpt_store_summary where store_id = ?", [store]
        )
        symbol = settings[store]["currency_symbol"]
        assert store_currency(warehouse, store) == symbol
        assert page.kpis[store]["net revenue"] == f"{symbol}{summary['revenue']:,.0f}"
        (revenue, *_) = traces(page, "monthly-sales", store)
        assert revenue["name"] == f"net revenue ({settings[store]['currency']})"
    body = report_file.read_text(encoding="utf-8").split("</head>", 1)[1]
    assert " money" not in body


def test_rfm_grid_and_cells_are_the_rfm_cells(warehouse, page):
    grid = query(
        warehouse,
        "select r_score, f_score, sum(customers) as customers, sum(revenue)::double as revenue"
        " from marts.rpt_rfm_cells where store_id = ? group by all",
        [STORE],
    )
    (customers,) = traces(page, "rf-customers")
    (spend,) = traces(page, "rf-spend")
    for row in grid:
        r, f = row["r_score"], row["f_score"]
        cell = (customers["y"].index(r), customers["x"].index(f))
        assert customers["z"][cell[0]][cell[1]] == row["customers"]
        if row["customers"]:
            assert spend["z"][cell[0]][cell[1]] == pytest.approx(row["revenue"] / row["customers"])
    cells = query(
        warehouse,
        "select rfm_cell, customers, is_large_enough_to_act_on from marts.rpt_rfm_cells"
        " where store_id = ?",
        [STORE],
    )
    large, small = traces(page, "rfm-cells")
    shown = dict(zip(large["x"] + small["x"], large["y"] + small["y"], strict=True))
    assert shown == {c["rfm_cell"]: c["customers"] for c in cells}
    assert set(large["x"]) == {c["rfm_cell"] for c in cells if c["is_large_enough_to_act_on"]}
    populated = sum(1 for c in cells if c["customers"])
    acted_on = sum(1 for c in cells if c["is_large_enough_to_act_on"])
    assert page.readings[f"{STORE}-rfm-cells"].startswith(
        f"{populated} of the 125 cells have customers and {acted_on} have the"
    )


def test_cluster_charts_are_the_ml_tables(warehouse, page):
    k_rows = query(
        warehouse,
        "select k, inertia, silhouette, is_chosen from ml.ml_cluster_k_selection"
        " where store_id = ? order by k",
        [STORE],
    )
    inertia, chosen_inertia, silhouette, _ = traces(page, "k-selection")
    assert inertia["x"] == [r["k"] for r in k_rows]
    assert inertia["y"] == pytest.approx([r["inertia"] for r in k_rows])
    assert silhouette["y"] == pytest.approx([r["silhouette"] for r in k_rows])
    assert chosen_inertia["x"] == [r["k"] for r in k_rows if r["is_chosen"]]
    for k in (4, 5):
        cells = query(
            warehouse,
            "select cluster_id, segment, customers, share_of_cluster_customers"
            " from ml.ml_cluster_segment_crosstab where store_id = ? and k = ?",
            [STORE, k],
        )
        (heatmap,) = traces(page, f"crosstab-k{k}")
        for cell in cells:
            if cell["segment"] not in heatmap["x"]:
                assert not any(c["customers"] for c in cells if c["segment"] == cell["segment"])
                continue
            row = [int(name.split()[0]) for name in heatmap["y"]].index(cell["cluster_id"])
            column = heatmap["x"].index(cell["segment"])
            assert heatmap["text"][row][column] == cell["customers"]
            assert heatmap["z"][row][column] == pytest.approx(
                cell["share_of_cluster_customers"] * 100
            )
    snake = query(
        warehouse,
        "select cluster_id, avg(z_frequency) as f from ml.ml_customer_clusters"
        " where store_id = ? group by cluster_id order by cluster_id",
        [STORE],
    )
    chosen_k = next(r["k"] for r in k_rows if r["is_chosen"])
    lines = [t for t in traces(page, "cluster-snake") if t["legendgroup"] == str(chosen_k)]
    assert [line["y"][1] for line in lines] == pytest.approx([r["f"] for r in snake])


def test_sales_charts_are_the_sales_reports(warehouse, page):
    months = query(
        warehouse,
        "select order_month, customers, revenue::double as revenue from marts.rpt_monthly_sales"
        " where store_id = ? order by order_month",
        [STORE],
    )
    revenue, customers, _ = traces(page, "monthly-sales")
    assert revenue["x"] == [m["order_month"].isoformat() for m in months]
    assert revenue["y"] == pytest.approx([m["revenue"] for m in months])
    assert customers["y"] == [m["customers"] for m in months]
    countries = query(
        warehouse,
        "select country, revenue::double as revenue, share_of_revenue"
        " from marts.rpt_sales_by_country where store_id = ? order by country_rank",
        [STORE],
    )
    (bars,) = traces(page, "countries")
    assert bars["y"] == [c["country"] for c in countries]
    assert bars["x"] == pytest.approx([c["revenue"] for c in countries])
    first = next(c for c in countries if c["country"] not in {"Other", "Unknown"})
    assert page.readings[f"{STORE}-countries"].startswith(
        f"{first['country']} brings {first['share_of_revenue']:.1%} of revenue"
    )


def complete_months(warehouse: Path, store: str) -> set[dt.date]:
    """The months the store's orders cover from the first day to the last, worked out here from
    the first and last order, independently of rpt_stores."""
    (summary,) = query(
        warehouse,
        "select first_order_at, last_order_at from marts.rpt_store_summary where store_id = ?",
        [store],
    )
    months = query(
        warehouse, "select order_month from marts.rpt_monthly_sales where store_id = ?", [store]
    )
    first, last = summary["first_order_at"].date(), summary["last_order_at"].date()

    def month_end(month: dt.date) -> dt.date:
        return month.replace(day=calendar.monthrange(month.year, month.month)[1])

    return {
        m["order_month"]
        for m in months
        if first <= m["order_month"] and month_end(m["order_month"]) <= last
    }


def test_partial_months_are_marked_and_left_out_of_the_highest_and_lowest(warehouse, page):
    """Online Retail's orders end on 9 December 2011: that month is hatched, and neither the
    peak nor the lowest month, though its revenue is the lowest of all."""
    for store in STORES:
        complete = complete_months(warehouse, store)
        months = query(
            warehouse,
            "select order_month, revenue::double as revenue from marts.rpt_monthly_sales"
            " where store_id = ? order by order_month",
            [store],
        )
        (revenue, *_) = traces(page, "monthly-sales", store)
        hatched = {
            dt.date.fromisoformat(x)
            for x, shape in zip(revenue["x"], revenue["marker"]["pattern"]["shape"], strict=True)
            if shape
        }
        assert hatched == {m["order_month"] for m in months} - complete
        peak = max((m for m in months if m["order_month"] in complete), key=lambda m: m["revenue"])
        low = min((m for m in months if m["order_month"] in complete), key=lambda m: m["revenue"])
        reading = page.readings[f"{store}-monthly-sales"]
        assert reading.startswith(f"{peak['order_month']:%B %Y} is the peak month")
        assert f"the lowest complete month is {low['order_month']:%B %Y}" in reading
    assert dt.date(2011, 12, 1) not in complete_months(warehouse, STORE)
    assert "Left out as partial: December 2011" in page.readings[f"{STORE}-monthly-sales"]


def month_pairs(warehouse: Path, store: str) -> list[dict]:
    """Pairs of as-of dates that span one calendar month, worked out here."""
    pairs = query(
        warehouse,
        "select from_as_of_date, to_as_of_date, customers, stayed_share"
        " from marts.rpt_segment_transition_summary where store_id = ? order by to_as_of_date",
        [store],
    )

    def next_month(day: dt.date) -> dt.date:
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)

    return [
        p
        for p in pairs
        if p["from_as_of_date"].day == 1 and p["to_as_of_date"] == next_month(p["from_as_of_date"])
    ]


def test_segment_transitions_compare_complete_months_only(warehouse, page):
    """The month selector lists every complete month and nothing else (not Online Retail's
    9 days of December 2011); each month's Sankey is that pair's rpt_segment_transitions, and
    the latest complete month is shown first."""
    chart_id = f"{STORE}-transitions-sankey"
    pairs = month_pairs(warehouse, STORE)
    variants = page.variants[chart_id]
    assert [v["label"] for v in variants] == [f"{p['from_as_of_date']:%B %Y}" for p in pairs]
    for pair, variant in zip(pairs, variants, strict=True):
        moves = query(
            warehouse,
            "select from_segment, to_segment, customers from marts.rpt_segment_transitions"
            " where store_id = ? and from_as_of_date = ? and to_as_of_date = ?",
            [STORE, pair["from_as_of_date"], pair["to_as_of_date"]],
        )
        (sankey,) = variant["figure"]["data"]
        labels = sankey["node"]["label"]
        link = sankey["link"]
        shown = {
            (labels[s], labels[t]): v
            for s, t, v in zip(link["source"], link["target"], link["value"], strict=True)
        }
        assert shown == {(m["from_segment"], m["to_segment"]): m["customers"] for m in moves}
        assert variant["reading"].startswith(
            f"In {pair['from_as_of_date']:%B %Y} ({pair['from_as_of_date']:%Y-%m-%d} to "
            f"{pair['to_as_of_date']:%Y-%m-%d}), of the {pair['customers']:,} customers scored "
            f"at both dates {pair['stayed_share']:.1%} kept their segment"
        )
    assert page.figures[chart_id] == variants[-1]["figure"]
    assert page.readings[chart_id] == variants[-1]["reading"]
    last = query(
        warehouse,
        "select max(to_as_of_date) as last from marts.rpt_segment_transition_summary"
        " where store_id = ?",
        [STORE],
    )[0]["last"]
    assert last == dt.date(2011, 12, 10) and pairs[-1]["to_as_of_date"] < last
    shares = page.readings[f"{STORE}-transitions-shares"]
    assert shares.startswith("Across the complete months")
    assert "Left out as partial: 2011-12-01 to 2011-12-10 (9 days)" in shares


def test_recommendations_show_real_examples_by_name(warehouse, page):
    """Each example customer's last purchases and first recommendations, by the names their
    purchase lines carry most often."""
    for store in STORES:
        rows = query(
            warehouse,
            "select customer_id, segment, item_list, item_rank, item_id, item_name,"
            " recommendation_source from marts.rpt_recommendation_examples where store_id = ?"
            " order by customer_id, item_list, item_rank",
            [store],
        )
        (default,) = query(
            warehouse,
            "select distinct algorithm from ml.ml_recommendation_eval"
            " where store_id = ? and is_default",
            [store],
        )
        table = {cells[1]: cells for cells in page.tables[f"{store}-rec-examples"]}
        customers = {r["customer_id"] for r in rows}
        assert set(table) == customers and len(customers) >= 5
        for customer in customers:
            segment, _, bought, recommended = table[customer]
            mine = [r for r in rows if r["customer_id"] == customer]
            assert segment == mine[0]["segment"]
            assert bought == [r["item_name"] for r in mine if r["item_list"] == "bought"]
            # A fallback says where it came from, after the name.
            assert recommended == [
                r["item_name"]
                + ("" if source == default["algorithm"] else f" ({source.replace('_', ' ')})")
                for r in mine
                if r["item_list"] == "recommended"
                for source in [r["recommendation_source"]]
            ]
            top = query(
                warehouse,
                "select item_id from ml.ml_customer_recommendations"
                " where store_id = ? and customer_id = ? order by recommendation_rank limit 5",
                [store, customer],
            )
            assert [r["item_id"] for r in mine if r["item_list"] == "recommended"] == [
                t["item_id"] for t in top
            ]
        for row in rows:
            names = query(
                warehouse,
                "select item_name, count(*) as lines from intermediate.int_order_lines_cleaned"
                " where store_id = ? and item_id = ? and not is_return group by item_name"
                " order by lines desc, item_name limit 1",
                [store, row["item_id"]],
            )
            assert row["item_name"] == names[0]["item_name"]


def test_recommendation_evaluation_is_the_eval_table(warehouse, page):
    rows = query(
        warehouse,
        "select algorithm, k, ndcg_at_k, precision_at_k, hit_rate, is_default"
        " from ml.ml_recommendation_eval where store_id = ? and segment = '(all customers)'",
        [STORE],
    )
    bars = {t["name"].split(" (")[0]: t for t in traces(page, "rec-eval")}
    assert set(bars) == {r["algorithm"] for r in rows}
    for row in rows:
        shown = dict(zip(bars[row["algorithm"]]["x"], bars[row["algorithm"]]["y"], strict=True))
        assert shown[f"NDCG@{row['k']}"] == pytest.approx(row["ndcg_at_k"])
        assert shown[f"precision@{row['k']}"] == pytest.approx(row["precision_at_k"])
        assert shown["hit rate"] == pytest.approx(row["hit_rate"])
    default = next(r for r in rows if r["is_default"])
    assert page.readings[f"{STORE}-rec-eval"].startswith(
        f"{default['algorithm']} (the default) reaches NDCG@{default['k']} "
        f"{default['ndcg_at_k']:.3f}"
    )


def test_prediction_charts_are_the_prediction_reports(warehouse, page):
    grid = query(
        warehouse,
        "select repeat_orders, repeat_orders_label, recency_band_start_days,"
        " recency_band_label, mean_probability_alive, customers"
        " from marts.rpt_probability_alive_grid where store_id = ?",
        [STORE],
    )
    assert grid, "the slice's store has predictions, so the section has charts"
    (heatmap,) = traces(page, "probability-alive")
    # Rows and columns in the model's order, under the model's labels.
    assert heatmap["y"] == [
        label for _, label in sorted({(c["repeat_orders"], c["repeat_orders_label"]) for c in grid})
    ]
    assert heatmap["x"] == [
        label
        for _, label in sorted(
            {(c["recency_band_start_days"], c["recency_band_label"]) for c in grid}
        )
    ]
    for cell in grid:
        row = heatmap["y"].index(cell["repeat_orders_label"])
        column = heatmap["x"].index(cell["recency_band_label"])
        assert heatmap["z"][row][column] == pytest.approx(cell["mean_probability_alive"])
        assert heatmap["customdata"][row][column] == cell["customers"]
    assert sum(c is not None for r in heatmap["customdata"] for c in r) == len(grid)

    holdout = query(
        warehouse,
        "select repeat_orders_label, actual_purchases_per_customer,"
        " predicted_purchases_per_customer, historical_rate_purchases_per_customer"
        " from marts.rpt_holdout_predicted_vs_actual where store_id = ? order by repeat_orders",
        [STORE],
    )
    actual, model, rate = traces(page, "holdout-predicted")
    assert actual["x"] == [r["repeat_orders_label"] for r in holdout]
    assert actual["y"] == pytest.approx([r["actual_purchases_per_customer"] for r in holdout])
    assert model["y"] == pytest.approx([r["predicted_purchases_per_customer"] for r in holdout])
    assert rate["y"] == pytest.approx(
        [r["historical_rate_purchases_per_customer"] for r in holdout]
    )
    scores = {
        r["predictor"]: r["purchases_mae"]
        for r in query(
            warehouse,
            "select predictor, purchases_mae from ml.ml_prediction_eval"
            " where store_id = ? and segment = '(all customers)'",
            [STORE],
        )
    }
    assert (
        f"({scores['bg_nbd_median']:.3f} against {scores['historical_rate']:.3f})"
        in page.readings[f"{STORE}-holdout-predicted"]
    )

    segments = query(
        warehouse,
        "select segment, share_of_clv from marts.rpt_clv_by_segment where store_id = ?",
        [STORE],
    )
    (bars,) = traces(page, "clv-by-segment")
    shown = dict(zip(bars["x"], bars["y"], strict=True))
    assert shown == pytest.approx({r["segment"]: r["share_of_clv"] * 100 for r in segments})

    at_risk = query(
        warehouse,
        "select customer_id, segment, frequency from marts.rpt_customers_at_risk"
        " where store_id = ? order by value_rank",
        [STORE],
    )
    table = page.tables[f"{STORE}-customers-at-risk"]
    assert [(r[1], r[2], r[4]) for r in table] == [
        (r["customer_id"], r["segment"], f"{r['frequency']:,}") for r in at_risk
    ]


# --- how the report reads and is run ---------------------------------------------------------

# An aggregate or a grouping in a query the report sends: it would be computing, not selecting.
COMPUTING = re.compile(r"\b(group\s+by|sum|avg|count|min|max|median|quantile\w*)\b\s*\(?", re.I)
TABLE = re.compile(r"\b(?:from|join)\s+(\w+)\.(\w+)", re.I)


def test_the_inputs_table_is_the_input_files(warehouse, page):
    for store in STORES:
        files = query(
            warehouse,
            "select source_file, lines, kept_lines, rejected_share, top_rejection_reason"
            " from marts.rpt_input_files where store_id = ? order by source_file",
            [store],
        )
        table = page.tables[f"{store}-input-files"]
        assert [row[0] for row in table] == [f["source_file"].rsplit("/", 1)[-1] for f in files]
        for row, file in zip(table, files, strict=True):
            assert row[1:4] == [f"{file['lines']:,}", f"{file['kept_lines']:,}",
                                f"{file['rejected_share'] * 100:.1f}%"]  # fmt: skip
            assert row[4].startswith(file["top_rejection_reason"] or "")


def test_the_report_selects_from_report_and_ml_models_only(warehouse, monkeypatch):
    """Every query the report sends reads rpt_ or ml_ tables, and none aggregates."""
    sent = []
    rows = Warehouse.rows

    def recording(self, sql, params=None):
        sent.append(sql)
        return rows(self, sql, params)

    monkeypatch.setattr(Warehouse, "rows", recording)
    report.build_report(warehouse)
    assert sent
    for sql in sent:
        if "duckdb_tables()" in sql:
            continue
        assert not COMPUTING.search(sql), sql
        tables = TABLE.findall(sql)
        assert tables, sql
        for schema, table in tables:
            assert (schema, table.split("_")[0]) in {("marts", "rpt"), ("ml", "ml")}, sql


def test_the_html_report_exposure_lists_what_the_report_reads():
    exposures = yaml.safe_load((PROJECT_DIR / "models/_exposures.yml").read_text())["exposures"]
    (exposure,) = [e for e in exposures if e["name"] == "html_report"]
    declared = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}
    assert declared == {table.split(".")[1] for table in report.tables_read()}


def test_each_store_and_section_is_reported_on_stderr(report_run):
    _, stderr = report_run
    for store in STORES:
        for section in SECTIONS:
            assert re.search(rf"^report: {store}: {re.escape(section.title)} \d", stderr, re.M)
    assert re.search(r"report\.html: [\d.]+ MB in [\d.]+ s$", stderr.strip())


def test_the_report_is_one_file_that_needs_no_network(report_file):
    text = report_file.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "<script src" not in text and "<link" not in text
    assert "plotly.js v" in text  # the library itself is inlined


def test_without_the_history_models_the_section_says_so(warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as connection:
        for table in HistorySection.tables:
            connection.execute(f"drop table if exists {table}")
    page = ReportPage(report.build_report(copy))
    for store in STORES:
        assert any(s == store and t.startswith("No history built") for s, t in page.notes)
        assert f"{store}-transitions-sankey" not in page.chart_ids
        assert f"{store}-segment-treemap" in page.chart_ids


def test_a_warehouse_without_the_python_models_gets_notes_instead_of_charts(tmp_path):
    """The small input of the BI tests, SQL models only: six and three customers."""
    warehouse = tmp_path / "warehouse.duckdb"
    completed = quick_build(warehouse, tmp_path, write_inputs(tmp_path / "input"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    page = ReportPage(report.build_report(warehouse))
    for store in STORES:
        notes = [text for s, text in page.notes if s == store]
        assert any("ml.ml_cluster_k_selection" in text for text in notes)
        assert any("ml.ml_recommendation_eval" in text for text in notes)
        assert f"{store}-segment-treemap" in page.chart_ids
        assert f"{store}-k-selection" not in page.chart_ids

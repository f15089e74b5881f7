"""The HTML report: a built warehouse's marts and ml tables as one self-contained page.

    python -m retail_warehouse.report [--warehouse warehouse.duckdb] [--out target/report.html]

writes one HTML file with plotly.js inlined, so it opens in a browser without a network. A
selector at the top switches between the stores; each store has the same sections (segments,
the R x F grid and the 125 cells, clusters, sales, segment history, recommendations), and every
chart has a title, axis titles with units and a one-line reading computed from the data.

The warehouse is opened read-only, so a BI tool holding it open or a build swapping it in
(scripts/build_swap.py) does not clash with the report. A section whose tables are not in the
warehouse (the Python models or the segment history not built) says so instead of a chart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

DEFAULT_OUT = "target/report.html"
CHART_HEIGHT = 440
# Segment colours follow the seed's segment_order, so a segment has one colour everywhere.
SEGMENT_PALETTE = qualitative.T10
NOT_YET_A_CUSTOMER = "Not yet a customer"
MOVEMENT_COLOURS = {
    "stayed": "rgba(140, 140, 140, 0.45)",
    "improved": "rgba(44, 160, 44, 0.55)",
    "declined": "rgba(214, 39, 40, 0.55)",
    "entered": "rgba(31, 119, 180, 0.45)",
}
EVAL_METRICS = [
    ("precision_at_k", "precision@{k}"),
    ("recall_at_k", "recall@{k}"),
    ("map_at_k", "MAP@{k}"),
    ("ndcg_at_k", "NDCG@{k}"),
    ("hit_rate", "hit rate"),
    ("catalog_coverage", "catalogue coverage"),
]
BASELINE_ALGORITHM = "popularity"
ALL_CUSTOMERS = "(all customers)"
TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class Store:
    """How a store is named and how its money is written (the README: Online Retail is in
    pounds sterling; the e-commerce feed names no currency, so its amounts are plain money)."""

    store_id: str
    title: str
    symbol: str = ""
    unit: str = "money"

    def money(self, value: float, decimals: int = 0) -> str:
        amount = f"{value:,.{decimals}f}"
        return f"{self.symbol}{amount}" if self.symbol else f"{amount} {self.unit}"

    def axis(self, what: str) -> str:
        return f"{what} ({self.symbol or self.unit})"


KNOWN_STORES = {
    "online_retail": Store("online_retail", "Online Retail (UK gift retailer)", "£", "£"),
    "ecommerce": Store("ecommerce", "E-commerce"),
}


def store_for(store_id: str) -> Store:
    return KNOWN_STORES.get(store_id, Store(store_id, store_id))


def pct(share: float, decimals: int = 1) -> str:
    return f"{share * 100:.{decimals}f}%"


def month_name(value: dt.date) -> str:
    return value.strftime("%B %Y")


@dataclass
class Chart:
    """One plotly figure and the sentence that says what it shows."""

    chart_id: str
    figure: go.Figure
    reading: str
    # Spans both columns of a paired section.
    wide: bool = False


@dataclass
class Section:
    section_id: str
    title: str
    intro: str = ""
    charts: list[Chart] = field(default_factory=list)
    # Pairs of charts sit side by side; the HTML blocks (tables, notes) come after the charts.
    paired: bool = False
    blocks: list[str] = field(default_factory=list)


class Warehouse:
    """A read-only DuckDB connection with small helpers that return plain Python values."""

    def __init__(self, path: Path):
        if not path.exists():
            raise SystemExit(f"report: {path} does not exist; run `make build` first.")
        self.path = path
        self.connection = duckdb.connect(str(path), read_only=True)
        self.tables = {
            f"{schema}.{table}"
            for schema, table in self.connection.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }

    def missing(self, *tables: str) -> list[str]:
        return [table for table in tables if table not in self.tables]

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.connection.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.connection.close()


def _layout(fig: go.Figure, title: str, height: int = CHART_HEIGHT, **layout) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=height,
        margin={"l": 70, "r": 30, "t": 70, "b": 100},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
        **layout,
    )
    return fig


def _missing_note(tables: list[str], how: str) -> str:
    names = ", ".join(f"<code>{html.escape(t)}</code>" for t in tables)
    return f'<p class="missing">Not in this warehouse: {names}. {html.escape(how)}</p>'


class StoreReport:
    """Builds the sections of one store from the warehouse."""

    def __init__(self, warehouse: Warehouse, store: Store):
        self.wh = warehouse
        self.store = store
        self.params = [store.store_id]
        self.segment_order = self._segment_order()

    def cid(self, name: str) -> str:
        return f"{self.store.store_id}-{name}"

    def _segment_order(self) -> dict[str, int]:
        rows = self.wh.rows(
            "select segment, min(segment_order) as segment_order from marts.rpt_segment_summary"
            " where segmentation = 'rfm_segment' group by segment"
        )
        return {row["segment"]: row["segment_order"] for row in rows}

    def segment_colour(self, segment: str) -> str:
        order = self.segment_order.get(segment)
        if order is None:
            return "#bbbbbb"
        return SEGMENT_PALETTE[(order - 1) % len(SEGMENT_PALETTE)]

    def sorted_segments(self, segments) -> list[str]:
        return sorted(set(segments), key=lambda s: (self.segment_order.get(s, 999), s))

    # --- header --------------------------------------------------------------------------

    def summary(self) -> dict:
        rows = self.wh.rows(
            "select s.*, s.revenue::double as revenue_value,"
            " (select max(as_of_date) from marts.fct_customer_rfm r"
            "  where r.store_id = s.store_id) as as_of_date"
            " from marts.rpt_store_summary s where s.store_id = ?",
            self.params,
        )
        return rows[0]

    def header_html(self) -> str:
        s = self.summary()
        figures = [
            ("customers", f"{s['customers']:,}"),
            ("orders", f"{s['orders']:,}"),
            ("net revenue", self.store.money(s["revenue_value"])),
            (
                "median revenue per customer",
                self.store.money(float(s["median_revenue_per_customer"])),
            ),
            ("bought once", pct(s["share_of_one_time_buyers"])),
            ("orders from", f"{s['first_order_at']:%Y-%m-%d} to {s['last_order_at']:%Y-%m-%d}"),
            ("RFM as of", f"{s['as_of_date']:%Y-%m-%d}" if s["as_of_date"] else "not scored"),
        ]
        cells = "".join(
            f'<div class="kpi"><span class="value">{html.escape(value)}</span>'
            f'<span class="label">{html.escape(label)}</span></div>'
            for label, value in figures
        )
        money_note = (
            "Amounts are in pounds sterling (£)."
            if self.store.symbol == "£"
            else "The feed names no currency: amounts are in its own money unit ('money')."
        )
        return f'<div class="kpis">{cells}</div><p class="note">{html.escape(money_note)}</p>'

    # --- segments ------------------------------------------------------------------------

    def segment_rows(self) -> list[dict]:
        return self.wh.rows(
            "select segmentation, segment, segment_order, customers, share_of_customers,"
            " revenue::double as revenue, share_of_revenue, orders, median_recency_days,"
            " median_frequency, median_monetary, description, recommended_action"
            " from marts.rpt_segment_summary where store_id = ?"
            " order by segmentation <> 'rfm_segment', segment_order",
            self.params,
        )

    def segments_section(self) -> Section:
        section = Section(
            "segments",
            "Segments",
            "Rule-based RFM segments (rpt_segment_summary): how many customers each holds and"
            " how much they buy.",
        )
        rfm = [row for row in self.segment_rows() if row["segmentation"] == "rfm_segment"]
        section.charts.append(self.segment_treemap(rfm))
        return section

    def playbook_section(self) -> Section:
        section = Section(
            "playbook",
            "What to do with each segment",
            "Description and recommended action of every segment (seeds/segment_actions.csv),"
            " for both schemes.",
        )
        section.blocks.append(self.segment_table(self.segment_rows()))
        return section

    def segment_treemap(self, rfm: list[dict]) -> Chart:
        fig = make_subplots(
            rows=1,
            cols=2,
            specs=[[{"type": "domain"}, {"type": "domain"}]],
            subplot_titles=(
                "by customers",
                f"by revenue ({self.store.symbol or 'money'}, purchases before returns)",
            ),
            horizontal_spacing=0.02,
        )
        labels = [row["segment"] for row in rfm]
        colours = [self.segment_colour(label) for label in labels]
        for col, value_key, share_key, fmt in (
            (1, "customers", "share_of_customers", "%{value:,}"),
            (2, "revenue", "share_of_revenue", f"{self.store.symbol}%{{value:,.0f}}"),
        ):
            fig.add_trace(
                go.Treemap(
                    labels=labels,
                    parents=[""] * len(labels),
                    values=[row[value_key] for row in rfm],
                    customdata=[row[share_key] for row in rfm],
                    marker={"colors": colours},
                    texttemplate=f"%{{label}}<br>{fmt}<br>%{{customdata:.1%}}",
                    hovertemplate=f"%{{label}}: {fmt} (%{{customdata:.1%}})<extra></extra>",
                    sort=False,
                    name=value_key,
                ),
                row=1,
                col=col,
            )
        _layout(fig, "Segments by customers and by revenue", height=480)
        fig.update_layout(margin={"l": 10, "r": 10, "t": 80, "b": 10})
        top = max(rfm, key=lambda row: row["share_of_revenue"])
        largest = max(rfm, key=lambda row: row["customers"])
        reading = (
            f"{top['segment']} are {pct(top['share_of_customers'])} of customers and bring "
            f"{pct(top['share_of_revenue'])} of revenue; the largest segment, "
            f"{largest['segment']}, is {pct(largest['share_of_customers'])} of customers and "
            f"brings {pct(largest['share_of_revenue'])}."
        )
        return Chart(self.cid("segment-treemap"), fig, reading)

    def segment_table(self, rows: list[dict]) -> str:
        schemes = {"rfm_segment": "RFM segments", "marketing_group": "Marketing groups"}
        parts = []
        for scheme, caption in schemes.items():
            body = "".join(
                "<tr>"
                f"<td>{self._swatch(r['segment']) if scheme == 'rfm_segment' else ''}"
                f"{html.escape(r['segment'])}</td>"
                f'<td class="num">{r["customers"]:,}</td>'
                f'<td class="num">{pct(r["share_of_customers"])}</td>'
                f'<td class="num">{html.escape(self.store.money(r["revenue"]))}</td>'
                f'<td class="num">{pct(r["share_of_revenue"])}</td>'
                f'<td class="num">{_number(r["median_recency_days"])}</td>'
                f'<td class="num">{_number(r["median_frequency"])}</td>'
                f"<td>{html.escape(r['description'] or '')}</td>"
                f"<td>{html.escape(r['recommended_action'] or '')}</td>"
                "</tr>"
                for r in rows
                if r["segmentation"] == scheme
            )
            if not body:
                continue
            parts.append(
                f'<table class="segments" id="{self.cid(scheme + "-table")}">'
                f"<caption>{caption}: description and recommended action</caption>"
                "<thead><tr><th>segment</th><th>customers</th><th>share</th>"
                f"<th>revenue ({html.escape(self.store.symbol or 'money')})</th>"
                "<th>share of revenue</th><th>median recency (days)</th>"
                "<th>median orders</th><th>description</th><th>recommended action</th></tr>"
                f"</thead><tbody>{body}</tbody></table>"
            )
        return "".join(parts)

    def _swatch(self, segment: str) -> str:
        return f'<span class="swatch" style="background:{self.segment_colour(segment)}"></span>'

    # --- R x F grid and the 125 cells ----------------------------------------------------

    def rfm_section(self) -> Section:
        section = Section(
            "rfm",
            f"The R {TIMES} F grid and the 125 RFM cells",
            "Scores 1-5 within the store, 5 best (rpt_rfm_cells).",
            paired=True,
        )
        grid = self.wh.rows(
            "select r_score, f_score, min(segment) as segment, sum(customers) as customers,"
            " sum(revenue)::double as revenue from marts.rpt_rfm_cells where store_id = ?"
            " group by r_score, f_score order by r_score, f_score",
            self.params,
        )
        section.charts += self.rf_heatmaps(grid)
        cells = self.wh.rows(
            "select rfm_cell, segment, customers, share_of_customers, is_large_enough_to_act_on"
            " from marts.rpt_rfm_cells where store_id = ? order by rfm_cell",
            self.params,
        )
        section.charts.append(self.cell_sizes(cells))
        return section

    def rf_heatmaps(self, grid: list[dict]) -> list[Chart]:
        scores = [1, 2, 3, 4, 5]
        by_cell = {(row["r_score"], row["f_score"]): row for row in grid}
        total_customers = sum(row["customers"] for row in grid)
        total_revenue = sum(row["revenue"] for row in grid)

        def matrix(value: Callable[[dict], float | None]) -> list[list[float | None]]:
            return [
                [value(by_cell[(r, f)]) if (r, f) in by_cell else None for f in scores]
                for r in scores
            ]

        def average(row: dict) -> float | None:
            return row["revenue"] / row["customers"] if row["customers"] else None

        segments = matrix(lambda row: row["segment"])
        axes = {
            "xaxis": {"title": {"text": "F score (1 = fewest orders, 5 = most)"}, "dtick": 1},
            "yaxis": {"title": {"text": "R score (1 = longest ago, 5 = most recent)"}, "dtick": 1},
        }
        customers = go.Figure(
            go.Heatmap(
                x=scores,
                y=scores,
                z=matrix(lambda row: row["customers"]),
                text=segments,
                texttemplate="%{z:,}<br>%{text}",
                textfont={"size": 10},
                colorscale="Blues",
                colorbar={"title": {"text": "customers"}},
                hovertemplate="R %{y}, F %{x}: %{z:,} customers (%{text})<extra></extra>",
            )
        )
        _layout(customers, f"Customers in each R {TIMES} F cell (customers)", **axes)
        spend = go.Figure(
            go.Heatmap(
                x=scores,
                y=scores,
                z=matrix(average),
                text=segments,
                texttemplate=f"{self.store.symbol}%{{z:,.0f}}<br>%{{text}}",
                textfont={"size": 10},
                colorscale="Oranges",
                colorbar={"title": {"text": self.store.axis("spend")}},
                hovertemplate=(
                    f"R %{{y}}, F %{{x}}: {self.store.symbol}%{{z:,.0f}} average spend"
                    " (%{text})<extra></extra>"
                ),
            )
        )
        _layout(
            spend,
            f"Average spend per customer in each R {TIMES} F cell ({self.store.symbol or 'money'})",
            **axes,
        )
        populated = [row for row in grid if row["customers"]]
        biggest = max(populated, key=lambda row: (row["customers"], -row["r_score"]))
        richest = max(populated, key=average)
        store_average = total_revenue / total_customers
        return [
            Chart(
                self.cid("rf-customers"),
                customers,
                f"The biggest cell is R = {biggest['r_score']}, F = {biggest['f_score']} "
                f"({biggest['segment']}): {biggest['customers']:,} customers, "
                f"{pct(biggest['customers'] / total_customers)} of the store.",
            ),
            Chart(
                self.cid("rf-spend"),
                spend,
                f"Customers at R = {richest['r_score']}, F = {richest['f_score']} "
                f"({richest['segment']}) spend {self.store.money(average(richest))} on average, "
                f"{average(richest) / store_average:.1f}{TIMES} the store's "
                f"{self.store.money(store_average)} (purchases before returns).",
            ),
        ]

    def cell_sizes(self, cells: list[dict]) -> Chart:
        fig = go.Figure()
        for large, name, colour in (
            (True, "large enough to act on", "#1f77b4"),
            (False, "too small to act on", "#c7c7c7"),
        ):
            chosen = [c for c in cells if bool(c["is_large_enough_to_act_on"]) is large]
            fig.add_trace(
                go.Bar(
                    x=[c["rfm_cell"] for c in chosen],
                    y=[c["customers"] for c in chosen],
                    customdata=[[c["segment"], c["share_of_customers"]] for c in chosen],
                    name=name,
                    marker={"color": colour},
                    hovertemplate=(
                        "cell %{x} (%{customdata[0]}): %{y:,} customers, "
                        "%{customdata[1]:.1%}<extra></extra>"
                    ),
                )
            )
        _layout(
            fig,
            "Customers in each of the 125 RFM cells (customers)",
            xaxis={
                "title": {"text": "RFM cell (R, F, M scores, 111 to 555)"},
                "type": "category",
                "categoryorder": "array",
                "categoryarray": [c["rfm_cell"] for c in cells],
                "tickangle": -90,
                "tickfont": {"size": 8},
            },
            yaxis={"title": {"text": "customers"}},
            barmode="overlay",
        )
        populated = [c for c in cells if c["customers"]]
        largest = max(populated, key=lambda c: c["customers"])
        large = sum(bool(c["is_large_enough_to_act_on"]) for c in cells)
        reading = (
            f"{len(populated)} of the {len(cells)} cells have customers and {large} are large "
            f"enough to act on; the largest, {largest['rfm_cell']} ({largest['segment']}), "
            f"holds {pct(largest['share_of_customers'])} of customers."
        )
        return Chart(self.cid("rfm-cells"), fig, reading, wide=True)

    # --- clusters ------------------------------------------------------------------------

    CLUSTER_TABLES = (
        "ml.ml_cluster_k_selection",
        "ml.ml_cluster_profiles",
        "ml.ml_customer_clusters",
        "ml.ml_cluster_segment_crosstab",
    )

    def clusters_section(self) -> Section:
        section = Section(
            "clusters",
            "Customer clusters",
            "K-Means on standardised log recency, frequency and spend (models/ml/clustering)."
            " In the snake plot 0 is the store's average and a recency below 0 means a more"
            " recent last order.",
            paired=True,
        )
        missing = self.wh.missing(*self.CLUSTER_TABLES)
        if missing:
            section.blocks.append(_missing_note(missing, "Build the Python models: make build."))
            return section
        k_rows = self.wh.rows(
            "select k, inertia, silhouette, is_chosen, is_best_silhouette"
            " from ml.ml_cluster_k_selection where store_id = ? order by k",
            self.params,
        )
        profiles = self.wh.rows(
            "select k, cluster_id, label, is_chosen_k, customers, share_of_customers,"
            " share_of_revenue from ml.ml_cluster_profiles"
            " where store_id = ? and method = 'kmeans' order by k, cluster_id",
            self.params,
        )
        if k_rows:
            section.charts.append(self.k_selection(k_rows))
        section.charts.append(self.snake_plot(profiles))
        crosstab = self.wh.rows(
            "select k, cluster_id, cluster_label, segment, customers, share_of_cluster_customers"
            " from ml.ml_cluster_segment_crosstab where store_id = ? order by k, cluster_id",
            self.params,
        )
        for k in (4, 5):
            cells = [row for row in crosstab if row["k"] == k]
            if cells:
                section.charts.append(self.crosstab_heatmap(k, cells))
            else:
                section.blocks.append(
                    f'<p class="missing">No k = {k} clusters: the store has too few customers.</p>'
                )
        return section

    def k_selection(self, k_rows: list[dict]) -> Chart:
        fig = make_subplots(
            rows=1,
            cols=2,
            subplot_titles=("Elbow: inertia", "Silhouette"),
            horizontal_spacing=0.14,
        )
        ks = [row["k"] for row in k_rows]
        chosen = next((row for row in k_rows if row["is_chosen"]), None)
        for col, key, colour in ((1, "inertia", "#1f77b4"), (2, "silhouette", "#ff7f0e")):
            fig.add_trace(
                go.Scatter(
                    x=ks,
                    y=[row[key] for row in k_rows],
                    mode="lines+markers",
                    name=key,
                    line={"color": colour},
                ),
                row=1,
                col=col,
            )
            if chosen:
                fig.add_trace(
                    go.Scatter(
                        x=[chosen["k"]],
                        y=[chosen[key]],
                        mode="markers+text",
                        marker={"symbol": "star", "size": 16, "color": "#d62728"},
                        text=[f"chosen k = {chosen['k']}"],
                        textposition="top right",
                        name=f"chosen k = {chosen['k']}",
                        showlegend=col == 1,
                    ),
                    row=1,
                    col=col,
                )
                fig.add_vline(x=chosen["k"], line_dash="dot", line_color="#d62728", row=1, col=col)
        _layout(fig, "Choosing k: elbow and silhouette curves")
        fig.update_xaxes(title_text="k (number of clusters)", dtick=1)
        fig.update_yaxes(title_text="inertia (sum of squared distances, z units²)", row=1, col=1)
        fig.update_yaxes(title_text="mean silhouette (-1 to 1)", row=1, col=2)
        best = max(k_rows, key=lambda row: row["silhouette"])
        drop = 1 - k_rows[-1]["inertia"] / k_rows[0]["inertia"] if k_rows[0]["inertia"] else 0
        chosen_text = (
            f"k = {chosen['k']} is chosen (silhouette {chosen['silhouette']:.3f}; the best is "
            f"k = {best['k']} at {best['silhouette']:.3f})"
            if chosen
            else "no k is chosen"
        )
        reading = f"{chosen_text}; inertia falls {pct(drop, 0)} from k = {ks[0]} to k = {ks[-1]}."
        return Chart(self.cid("k-selection"), fig, reading, wide=True)

    def snake_plot(self, profiles: list[dict]) -> Chart:
        means = self.wh.rows(
            "select k, cluster_id, avg(z_recency) as r, avg(z_frequency) as f,"
            " avg(z_monetary) as m from ml.ml_customer_clusters where store_id = ?"
            " group by k, cluster_id"
            " union all select 4, cluster_id_k4, avg(z_recency), avg(z_frequency),"
            " avg(z_monetary) from ml.ml_customer_clusters"
            " where store_id = ? and cluster_id_k4 is not null group by cluster_id_k4"
            " union all select 5, cluster_id_k5, avg(z_recency), avg(z_frequency),"
            " avg(z_monetary) from ml.ml_customer_clusters"
            " where store_id = ? and cluster_id_k5 is not null group by cluster_id_k5",
            self.params * 3,
        )
        z = {(row["k"], row["cluster_id"]): row for row in means}
        ks = sorted({k for k, _ in z})
        chosen_k = next((p["k"] for p in profiles if p["is_chosen_k"]), None)
        fig = make_subplots(
            rows=1,
            cols=len(ks),
            shared_yaxes=True,
            subplot_titles=[f"k = {k}" + (" (chosen)" if k == chosen_k else "") for k in ks],
            horizontal_spacing=0.04,
        )
        features = ["recency", "frequency", "spend"]
        for col, k in enumerate(ks, start=1):
            for p in (p for p in profiles if p["k"] == k):
                row = z.get((k, p["cluster_id"]))
                if row is None:
                    continue
                fig.add_trace(
                    go.Scatter(
                        x=features,
                        y=[row["r"], row["f"], row["m"]],
                        mode="lines+markers",
                        name=f"{p['cluster_id']} {p['label']}",
                        legendgroup=str(k),
                        legendgrouptitle={"text": f"k = {k}"},
                        line={"color": qualitative.D3[p["cluster_id"] % len(qualitative.D3)]},
                        hovertemplate=(
                            f"k = {k}, cluster {p['cluster_id']} {p['label']} "
                            f"({pct(p['share_of_customers'])} of customers): "
                            "%{x} %{y:+.2f} sd<extra></extra>"
                        ),
                    ),
                    row=1,
                    col=col,
                )
            fig.update_xaxes(title_text="feature", row=1, col=col)
        _layout(fig, "Cluster profiles (snake plot): standardised R, F, M per cluster")
        fig.update_yaxes(title_text="cluster mean (standard deviations)", row=1, col=1)
        fig.update_layout(
            legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02},
            margin={"r": 220, "b": 70},
        )
        k = 5 if 5 in ks else chosen_k or ks[-1]
        top = next(p for p in profiles if p["k"] == k and p["cluster_id"] == 0)
        zt = z[(k, 0)]
        reading = (
            f"At k = {k}, the most valuable cluster, {top['label']}, is "
            f"{pct(top['share_of_customers'])} of customers and brings "
            f"{pct(top['share_of_revenue'])} of revenue: {zt['f']:+.1f} sd on frequency, "
            f"{zt['m']:+.1f} on spend and {zt['r']:+.1f} on recency."
        )
        return Chart(self.cid("cluster-snake"), fig, reading, wide=True)

    def crosstab_heatmap(self, k: int, cells: list[dict]) -> Chart:
        # Segments with no customer in the store would be empty columns.
        segments = self.sorted_segments(row["segment"] for row in cells if row["customers"])
        clusters = sorted({(row["cluster_id"], row["cluster_label"]) for row in cells})
        by_cell = {(row["cluster_id"], row["segment"]): row for row in cells}
        names = [f"{cid} {label}" for cid, label in clusters]
        fig = go.Figure(
            go.Heatmap(
                x=segments,
                y=names,
                z=[
                    [by_cell[(cid, s)]["share_of_cluster_customers"] * 100 for s in segments]
                    for cid, _ in clusters
                ],
                text=[[by_cell[(cid, s)]["customers"] for s in segments] for cid, _ in clusters],
                texttemplate="%{z:.0f}%<br>%{text:,}",
                colorscale="Purples",
                zmin=0,
                zmax=100,
                colorbar={"title": {"text": "% of cluster"}},
                hovertemplate=(
                    "%{y}, %{x}: %{text:,} customers, %{z:.1f}% of the cluster<extra></extra>"
                ),
            )
        )
        _layout(
            fig,
            f"Clusters at k = {k} {TIMES} segments (% of each cluster)",
            xaxis={"title": {"text": "rule-based RFM segment"}, "tickangle": -30},
            yaxis={"title": {"text": "cluster (0 = most valuable)"}, "autorange": "reversed"},
        )

        def main_segment(cluster: tuple[int, str]) -> str:
            row = max(
                (by_cell[(cluster[0], s)] for s in segments),
                key=lambda r: r["share_of_cluster_customers"],
            )
            return f"{cluster[1]} is {pct(row['share_of_cluster_customers'], 0)} {row['segment']}"

        reading = f"At k = {k}, {main_segment(clusters[0])} and {main_segment(clusters[-1])}."
        return Chart(self.cid(f"crosstab-k{k}"), fig, reading)

    # --- sales ---------------------------------------------------------------------------

    def sales_section(self) -> Section:
        section = Section(
            "sales",
            "Sales",
            "Net revenue (returns deducted) by month and country"
            " (rpt_monthly_sales, rpt_sales_by_country).",
            paired=True,
        )
        months = self.wh.rows(
            "select order_month, orders, customers, new_customers, revenue::double as revenue"
            " from marts.rpt_monthly_sales where store_id = ? order by order_month",
            self.params,
        )
        section.charts.append(self.monthly_sales(months))
        countries = self.wh.rows(
            "select country, country_rank, customers, revenue::double as revenue,"
            " share_of_revenue from marts.rpt_sales_by_country where store_id = ?"
            " order by country_rank",
            self.params,
        )
        section.charts.append(self.top_countries(countries))
        return section

    def monthly_sales(self, months: list[dict]) -> Chart:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        x = [row["order_month"].isoformat() for row in months]
        fig.add_trace(
            go.Bar(
                x=x,
                y=[row["revenue"] for row in months],
                name=self.store.axis("net revenue"),
                marker={"color": "#9ecae1"},
                hovertemplate=f"%{{x|%B %Y}}: {self.store.symbol}%{{y:,.0f}}<extra></extra>",
            ),
            secondary_y=False,
        )
        for key, name, colour in (
            ("customers", "customers", "#d62728"),
            ("new_customers", "new customers", "#2ca02c"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[row[key] for row in months],
                    name=name,
                    mode="lines+markers",
                    line={"color": colour},
                    hovertemplate=f"%{{x|%B %Y}}: %{{y:,}} {name}<extra></extra>",
                ),
                secondary_y=True,
            )
        _layout(fig, "Monthly sales and customers")
        fig.update_xaxes(title_text="month", dtick="M1", tickformat="%b %Y")
        fig.update_yaxes(title_text=self.store.axis("net revenue"), secondary_y=False)
        fig.update_yaxes(
            title_text="customers",
            secondary_y=True,
            rangemode="tozero",
            tickmode="auto",
            showgrid=False,
            tickformat=",d",
        )
        peak = max(months, key=lambda row: row["revenue"])
        low = min(months, key=lambda row: row["revenue"])
        reading = (
            f"{month_name(peak['order_month'])} is the peak month: "
            f"{self.store.money(peak['revenue'])} of net revenue from {peak['orders']:,} orders "
            f"and {peak['customers']:,} customers; the lowest is "
            f"{month_name(low['order_month'])} ({self.store.money(low['revenue'])})."
        )
        return Chart(self.cid("monthly-sales"), fig, reading)

    def top_countries(self, countries: list[dict]) -> Chart:
        fig = go.Figure(
            go.Bar(
                y=[row["country"] for row in countries],
                x=[row["revenue"] for row in countries],
                orientation="h",
                customdata=[[row["share_of_revenue"], row["customers"]] for row in countries],
                texttemplate="%{customdata[0]:.1%}",
                textposition="outside",
                cliponaxis=False,
                marker={"color": "#6baed6"},
                hovertemplate=(
                    f"%{{y}}: {self.store.symbol}%{{x:,.0f}} (%{{customdata[0]:.1%}}),"
                    " %{customdata[1]:,} customers<extra></extra>"
                ),
            )
        )
        _layout(
            fig,
            "Top countries by net revenue",
            xaxis={
                "title": {"text": self.store.axis("net revenue")},
                "range": [0, max(row["revenue"] for row in countries) * 1.15],
            },
            yaxis={"title": {"text": "country"}, "autorange": "reversed"},
        )
        named = [row for row in countries if row["country"] not in ("Other", "Unknown")]
        if named:
            first = named[0]
            reading = f"{first['country']} brings {pct(first['share_of_revenue'])} of revenue"
            reading += (
                f"; the next, {named[1]['country']}, {pct(named[1]['share_of_revenue'])}."
                if len(named) > 1
                else "."
            )
        else:
            reading = (
                "The data names no country: all "
                f"{self.store.money(sum(row['revenue'] for row in countries))} of net revenue "
                "is under Unknown."
            )
        return Chart(self.cid("countries"), fig, reading)

    # --- segment history -----------------------------------------------------------------

    HISTORY_TABLES = ("marts.rpt_segment_transitions", "marts.rpt_segment_transition_summary")

    def history_section(self) -> Section:
        section = Section(
            "history",
            "Segment transitions",
            "Each customer's segment at every month end, scored on the orders before it "
            "(rpt_segment_transitions, rpt_segment_transition_summary).",
            paired=True,
        )
        missing = self.wh.missing(*self.HISTORY_TABLES)
        if missing:
            section.blocks.append(
                '<p class="missing no-history">No history built: '
                + ", ".join(f"<code>{t}</code>" for t in missing)
                + " not in this warehouse. Build the segment-history models (make build),"
                " then run make report again.</p>"
            )
            return section
        summary = self.wh.rows(
            "select from_as_of_date, to_as_of_date, customers, entered_customers,"
            " stayed_share, improved_share, declined_share"
            " from marts.rpt_segment_transition_summary where store_id = ?"
            " order by to_as_of_date",
            self.params,
        )
        if not summary:
            section.blocks.append(
                '<p class="missing no-history">No history built: the store has fewer than two'
                " as-of dates in rpt_segment_transition_summary.</p>"
            )
            return section
        last = summary[-1]
        moves = self.wh.rows(
            "select from_segment, to_segment, movement, customers"
            " from marts.rpt_segment_transitions"
            " where store_id = ? and from_as_of_date = ? and to_as_of_date = ?"
            " order by from_segment, to_segment",
            [self.store.store_id, last["from_as_of_date"], last["to_as_of_date"]],
        )
        section.charts.append(self.transition_sankey(last, moves))
        section.charts.append(self.transition_shares(summary))
        return section

    def transition_sankey(self, last: dict, moves: list[dict]) -> Chart:
        sources = [NOT_YET_A_CUSTOMER] * any(
            m["from_segment"] == NOT_YET_A_CUSTOMER for m in moves
        ) + self.sorted_segments(
            m["from_segment"] for m in moves if m["from_segment"] != NOT_YET_A_CUSTOMER
        )
        targets = self.sorted_segments(m["to_segment"] for m in moves)
        nodes = [f"{s} " for s in sources] + targets  # the trailing space keeps both sides apart
        index = {name: i for i, name in enumerate(nodes)}
        fig = go.Figure(
            go.Sankey(
                arrangement="fixed",
                node={
                    "label": [n.strip() for n in nodes],
                    "color": [self.segment_colour(n.strip()) for n in nodes],
                    "pad": 8,
                    "x": [0.001] * len(sources) + [0.999] * len(targets),
                    "y": _spread(len(sources)) + _spread(len(targets)),
                    "hovertemplate": "%{label}: %{value:,} customers<extra></extra>",
                },
                link={
                    "source": [index[f"{m['from_segment']} "] for m in moves],
                    "target": [index[m["to_segment"]] for m in moves],
                    "value": [m["customers"] for m in moves],
                    "color": [MOVEMENT_COLOURS.get(m["movement"], "#ccc") for m in moves],
                    "customdata": [m["movement"] for m in moves],
                    "hovertemplate": (
                        "%{source.label} → %{target.label}: %{value:,} customers"
                        " (%{customdata})<extra></extra>"
                    ),
                },
            )
        )
        _layout(
            fig,
            f"Segment moves from {last['from_as_of_date']:%Y-%m-%d} (left) to "
            f"{last['to_as_of_date']:%Y-%m-%d} (right), in customers",
            height=560,
        )
        reading = (
            f"From {last['from_as_of_date']:%Y-%m-%d} to {last['to_as_of_date']:%Y-%m-%d}, of the "
            f"{last['customers']:,} customers scored at both dates {pct(last['stayed_share'])} "
            f"kept their segment, {pct(last['improved_share'])} improved and "
            f"{pct(last['declined_share'])} declined; {last['entered_customers']:,} entered as "
            "new customers."
        )
        return Chart(self.cid("transitions-sankey"), fig, reading, wide=True)

    def transition_shares(self, summary: list[dict]) -> Chart:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        x = [row["to_as_of_date"].isoformat() for row in summary]
        for key, name, colour in (
            ("stayed_share", "stayed", "#9e9e9e"),
            ("improved_share", "improved", "#2ca02c"),
            ("declined_share", "declined", "#d62728"),
        ):
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=[row[key] * 100 for row in summary],
                    name=name,
                    marker={"color": colour},
                    hovertemplate=f"as of %{{x}}: %{{y:.1f}}% {name}<extra></extra>",
                ),
                secondary_y=False,
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[row["entered_customers"] for row in summary],
                name="entered (new customers)",
                mode="lines+markers",
                line={"color": "#1f77b4"},
                hovertemplate="as of %{x}: %{y:,} new customers<extra></extra>",
            ),
            secondary_y=True,
        )
        _layout(fig, "Stayed, improved, declined between consecutive as-of dates", barmode="stack")
        # Categories, not dates: a short last period (to the day after the last order) keeps
        # a bar as wide as the others.
        fig.update_xaxes(title_text="as-of date (end of the period)", type="category")
        fig.update_yaxes(
            title_text="% of customers scored at both dates", range=[0, 100], secondary_y=False
        )
        fig.update_yaxes(
            title_text="customers entering",
            rangemode="tozero",
            secondary_y=True,
            tickmode="auto",
            showgrid=False,
            tickformat=",d",
        )
        weights = sum(row["customers"] for row in summary)
        stayed = (
            sum(row["stayed_share"] * row["customers"] for row in summary) / weights
            if weights
            else 0
        )
        worst = max(summary, key=lambda row: row["declined_share"])
        reading = (
            f"Over {len(summary)} periods, {pct(stayed)} of customers kept their segment from "
            f"one as-of date to the next; the most declined in the period to "
            f"{worst['to_as_of_date']:%Y-%m-%d} ({pct(worst['declined_share'])})."
        )
        return Chart(self.cid("transitions-shares"), fig, reading, wide=True)

    # --- recommendations -----------------------------------------------------------------

    def recommendations_section(self) -> Section:
        section = Section(
            "recommendations",
            "Recommendations against the baseline",
            "Every algorithm on the same time-based split (ml_recommendation_eval); "
            "popularity is the baseline.",
            paired=True,
        )
        missing = self.wh.missing("ml.ml_recommendation_eval")
        if missing:
            section.blocks.append(_missing_note(missing, "Build the Python models: make build."))
            return section
        rows = self.wh.rows(
            "select algorithm, segment, k, cutoff_at, customers, precision_at_k, recall_at_k,"
            " map_at_k, ndcg_at_k, hit_rate, catalog_coverage, is_default"
            " from ml.ml_recommendation_eval where store_id = ? order by algorithm, segment",
            self.params,
        )
        # A store where nobody bought a new item after the cut-off has rows with no metrics.
        rows = [row for row in rows if row["customers"]]
        overall = [row for row in rows if row["segment"] == ALL_CUSTOMERS]
        if not overall:
            section.blocks.append(
                '<p class="missing">No customer was evaluated in this store (nobody bought a'
                " new item after the cut-off).</p>"
            )
            return section
        section.charts.append(self.eval_overall(overall))
        by_segment = [row for row in rows if row["segment"] != ALL_CUSTOMERS]
        if by_segment:
            section.charts.append(self.eval_by_segment(by_segment))
        return section

    @staticmethod
    def _algorithm_order(rows: list[dict]) -> list[str]:
        """The default first, the baseline last, the others by NDCG."""
        return [
            row["algorithm"]
            for row in sorted(
                rows,
                key=lambda r: (
                    not r["is_default"],
                    r["algorithm"] == BASELINE_ALGORITHM,
                    -r["ndcg_at_k"],
                ),
            )
        ]

    def eval_overall(self, overall: list[dict]) -> Chart:
        k = overall[0]["k"]
        order = self._algorithm_order(overall)
        by_algorithm = {row["algorithm"]: row for row in overall}
        fig = go.Figure()
        for position, algorithm in enumerate(order):
            row = by_algorithm[algorithm]
            suffix = " (default)" if row["is_default"] else ""
            suffix += " (baseline)" if algorithm == BASELINE_ALGORITHM else ""
            colour = (
                "#7f7f7f"
                if algorithm == BASELINE_ALGORITHM
                else qualitative.D3[position % len(qualitative.D3)]
            )
            fig.add_trace(
                go.Bar(
                    x=[label.format(k=k) for _, label in EVAL_METRICS],
                    y=[row[key] for key, _ in EVAL_METRICS],
                    name=algorithm + suffix,
                    marker={"color": colour},
                    hovertemplate=f"{algorithm}: %{{x}} %{{y:.4f}}<extra></extra>",
                )
            )
        _layout(
            fig,
            f"Recommendation quality at k = {k}, all evaluated customers",
            xaxis={"title": {"text": "metric"}},
            yaxis={"title": {"text": "score (share, 0 to 1)"}},
            barmode="group",
        )
        default = next((row for row in overall if row["is_default"]), overall[0])
        baseline = by_algorithm.get(BASELINE_ALGORITHM)
        reading = (
            f"{default['algorithm']} (the default) reaches NDCG@{k} {default['ndcg_at_k']:.3f}"
        )
        if baseline and baseline["algorithm"] != default["algorithm"]:
            lift = (
                f" ({default['ndcg_at_k'] / baseline['ndcg_at_k']:.1f}{TIMES})"
                if baseline["ndcg_at_k"]
                else ""
            )
            reading += f" against {baseline['ndcg_at_k']:.3f} for the popularity baseline{lift}"
        reading += (
            f", over {default['customers']:,} customers who bought new items after "
            f"{default['cutoff_at']:%Y-%m-%d}."
        )
        return Chart(self.cid("rec-eval"), fig, reading)

    def eval_by_segment(self, rows: list[dict]) -> Chart:
        k = rows[0]["k"]
        algorithms = self._algorithm_order([r for r in rows if r["segment"] == rows[0]["segment"]])
        segments = self.sorted_segments(row["segment"] for row in rows)
        by_cell = {(row["segment"], row["algorithm"]): row for row in rows}
        customers = {row["segment"]: row["customers"] for row in rows}
        fig = go.Figure(
            go.Heatmap(
                x=algorithms,
                y=[f"{s} ({customers[s]:,})" for s in segments],
                z=[
                    [
                        by_cell[(s, a)]["ndcg_at_k"] if (s, a) in by_cell else None
                        for a in algorithms
                    ]
                    for s in segments
                ],
                texttemplate="%{z:.3f}",
                colorscale="Greens",
                colorbar={"title": {"text": f"NDCG@{k}"}},
                hovertemplate="%{y}, %{x}: NDCG@" + str(k) + " %{z:.4f}<extra></extra>",
            )
        )
        _layout(
            fig,
            f"NDCG@{k} by segment and algorithm",
            xaxis={"title": {"text": "algorithm (default first, baseline last)"}},
            yaxis={"title": {"text": "RFM segment (customers)"}, "autorange": "reversed"},
        )
        default = algorithms[0]
        beats = [
            s
            for s in segments
            if (s, default) in by_cell
            and (s, BASELINE_ALGORITHM) in by_cell
            and by_cell[(s, default)]["ndcg_at_k"] > by_cell[(s, BASELINE_ALGORITHM)]["ndcg_at_k"]
        ]
        reading = (
            f"{default} beats the popularity baseline in {len(beats)} of the {len(segments)} "
            "segments with evaluated customers."
        )
        return Chart(self.cid("rec-eval-segments"), fig, reading)

    def sections(self) -> list[Section]:
        return [
            self.segments_section(),
            self.rfm_section(),
            self.playbook_section(),
            self.clusters_section(),
            self.sales_section(),
            self.history_section(),
            self.recommendations_section(),
        ]


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _spread(n: int) -> list[float]:
    """Node positions from top to bottom in the segment order (Sankey's y is 0 at the top)."""
    return [0.001 + 0.998 * i / max(n - 1, 1) for i in range(n)]


MARTS_NEEDED = (
    "marts.rpt_store_summary",
    "marts.rpt_segment_summary",
    "marts.rpt_rfm_cells",
    "marts.rpt_monthly_sales",
    "marts.rpt_sales_by_country",
    "marts.fct_customer_rfm",
)

STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
header.top { background: #1f2d3d; color: #fff; padding: 16px 28px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; }
header.top p { margin: 0; color: #c9d3de; font-size: 13px; }
nav.stores { display: flex; gap: 8px; margin-top: 12px; }
nav.stores button { font: inherit; padding: 6px 14px; border-radius: 4px; border: 1px solid #8fa3b8;
       background: transparent; color: #fff; cursor: pointer; }
nav.stores button[aria-pressed="true"] { background: #fff; color: #1f2d3d; }
main { padding: 8px 28px 40px; }
section.store > h2 { margin: 18px 0 6px; }
nav.toc a { margin-right: 14px; font-size: 13px; }
section.part { background: #fff; border-radius: 6px; padding: 10px 18px 16px; margin: 16px 0;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section.part h3 { margin: 6px 0 2px; }
.intro, .note { color: #555; font-size: 13px; margin: 2px 0 8px; }
.grid { display: grid; grid-template-columns: 1fr; gap: 8px 20px; }
.grid.paired { grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); }
.grid .wide { grid-column: 1 / -1; }
.reading { margin: 2px 8px 12px; font-size: 14px; border-left: 3px solid #1f77b4;
       padding-left: 8px; }
.kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 8px 0; }
.kpi { background: #fff; border-radius: 6px; padding: 8px 14px;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.kpi .value { display: block; font-size: 18px; font-weight: 600; }
.kpi .label { font-size: 12px; color: #666; }
table.segments { border-collapse: collapse; width: 100%; font-size: 13px; margin: 12px 0; }
table.segments caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.segments th, table.segments td { border-bottom: 1px solid #e3e3e3; padding: 4px 6px;
       vertical-align: top; text-align: left; }
table.segments td.num { text-align: right; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
.missing { background: #fff4e5; border-left: 3px solid #f0a020; padding: 8px 12px; }
"""

SCRIPT = """
(function () {
  const config = {responsive: true, displaylogo: false};
  function render(section) {
    if (section.dataset.rendered) return;
    section.querySelectorAll('script.figure').forEach(function (spec) {
      const figure = JSON.parse(spec.textContent);
      Plotly.newPlot(spec.dataset.chart, figure.data, figure.layout, config);
    });
    section.dataset.rendered = 'true';
  }
  function show(storeId) {
    const sections = document.querySelectorAll('section.store');
    let shown = null;
    sections.forEach(function (section) {
      const match = section.dataset.store === storeId;
      section.hidden = !match;
      if (match) shown = section;
    });
    if (!shown) { shown = sections[0]; shown.hidden = false; }
    document.querySelectorAll('nav.stores button').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.dataset.store === shown.dataset.store));
    });
    render(shown);
  }
  document.querySelectorAll('nav.stores button').forEach(function (button) {
    button.addEventListener('click', function () {
      history.replaceState(null, '', '#' + button.dataset.store);
      show(button.dataset.store);
    });
  });
  show(decodeURIComponent(location.hash.slice(1)));
})();
"""


def _figure_json(figure: go.Figure) -> str:
    # "</" inside a script element would end it; "<\\/" is the same JSON string.
    return figure.to_json().replace("</", "<\\/")


def _chart_html(chart: Chart) -> str:
    return (
        f'<div class="cell{" wide" if chart.wide else ""}">'
        f'<div class="chart" id="{chart.chart_id}"></div>'
        f'<script type="application/json" class="figure" data-chart="{chart.chart_id}">'
        f"{_figure_json(chart.figure)}</script>"
        f'<p class="reading" data-chart="{chart.chart_id}">{html.escape(chart.reading)}</p></div>'
    )


def _section_html(store: Store, section: Section) -> str:
    charts = "".join(_chart_html(chart) for chart in section.charts)
    grid_class = "grid paired" if section.paired else "grid"
    return (
        f'<section class="part" id="{store.store_id}-{section.section_id}">'
        f"<h3>{html.escape(section.title)}</h3>"
        f'<p class="intro">{html.escape(section.intro)}</p>'
        f'<div class="{grid_class}">{charts}</div>{"".join(section.blocks)}</section>'
    )


def build_report(warehouse_path: Path) -> str:
    """The whole page as one string."""
    warehouse = Warehouse(warehouse_path)
    try:
        missing = warehouse.missing(*MARTS_NEEDED)
        if missing:
            raise SystemExit(
                f"report: {warehouse_path} has no {', '.join(missing)}; run `make build` first."
            )
        store_ids = [
            row["store_id"]
            for row in warehouse.rows(
                "select store_id from marts.rpt_store_summary order by store_id <> 'online_retail',"
                " store_id"
            )
        ]
        if not store_ids:
            raise SystemExit(f"report: {warehouse_path} has no store with orders.")
        buttons, bodies = [], []
        for store_id in store_ids:
            store = store_for(store_id)
            report = StoreReport(warehouse, store)
            sections = report.sections()
            toc = "".join(
                f'<a href="#{store_id}" data-target="{store_id}-{s.section_id}"'
                f" onclick=\"document.getElementById('{store_id}-{s.section_id}')"
                f'.scrollIntoView(); return false;">{html.escape(s.title)}</a>'
                for s in sections
            )
            buttons.append(
                f'<button type="button" data-store="{store_id}">{html.escape(store.title)}</button>'
            )
            bodies.append(
                f'<section class="store" data-store="{store_id}" id="store-{store_id}">'
                f"<h2>{html.escape(store.title)}</h2>{report.header_html()}"
                f'<nav class="toc">{toc}</nav>'
                + "".join(_section_html(store, s) for s in sections)
                + "</section>"
            )
    finally:
        warehouse.close()
    generated = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Customer segmentation report</title>"
        f"<style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        '<header class="top"><h1>Customer segmentation report</h1>'
        f"<p>Built from {html.escape(warehouse_path.name)} on {generated}: RFM segments, "
        "clusters, sales, segment history and recommendations, per store.</p>"
        f'<nav class="stores">{"".join(buttons)}</nav></header>'
        f"<main>{''.join(bodies)}</main><script>{SCRIPT}</script></body></html>\n"
    )


def write_report(warehouse_path: Path, out: Path) -> Path:
    page = build_report(warehouse_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--warehouse", default=os.environ.get("WAREHOUSE_DUCKDB_PATH", "warehouse.duckdb")
    )
    parser.add_argument("--out", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    out = write_report(Path(args.warehouse), Path(args.out))
    size = out.stat().st_size / 1e6
    print(f"{out}: {size:.1f} MB in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

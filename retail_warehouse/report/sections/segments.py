"""Segments: treemaps of the RFM segments by customers and by revenue, with a legend table."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from retail_warehouse.report.formatting import pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout
from retail_warehouse.report.templates import render_block

# A tile too small for its label at this size shows none; the legend table names it.
MIN_LABEL_SIZE = 11


class SegmentsSection(SectionBuilder):
    section_id = "segments"
    title = "Segments"
    intro = (
        "Rule-based RFM segments (rpt_segment_summary): how many customers each holds and how"
        " much they buy. The legend below names every segment, however small its tile."
    )
    tables = ("marts.rpt_segment_summary",)

    def fill(self, section: Section) -> None:
        rows = self.context.rows(
            "select segment, customers, share_of_customers, revenue::double as revenue,"
            " share_of_revenue from marts.rpt_segment_summary"
            " where store_id = ? and segmentation = 'rfm_segment'"
            " order by share_of_revenue desc, segment_order",
        )
        section.charts.append(self.treemaps(rows))
        section.blocks.append(
            render_block(
                "segment_legend.html.j2",
                table_id=self.context.chart_id("segment-legend"),
                rows=rows,
                store=self.store,
                colour=self.context.segment_colour,
            )
        )

    def treemaps(self, rows: list[dict]) -> Chart:
        fig = make_subplots(
            rows=1,
            cols=2,
            specs=[[{"type": "domain"}, {"type": "domain"}]],
            subplot_titles=(
                "by customers",
                f"by revenue ({self.store.unit}, purchases before returns)",
            ),
            horizontal_spacing=0.02,
        )
        labels = [row["segment"] for row in rows]
        colours = [self.context.segment_colour(label) for label in labels]
        for col, value_key, share_key, fmt in (
            (1, "customers", "share_of_customers", "%{value:,}"),
            (2, "revenue", "share_of_revenue", self.store.money_format("value")),
        ):
            fig.add_trace(
                go.Treemap(
                    labels=labels,
                    parents=[""] * len(labels),
                    values=[row[value_key] for row in rows],
                    customdata=[row[share_key] for row in rows],
                    marker={"colors": colours},
                    texttemplate=f"%{{label}}<br>{fmt}<br>%{{customdata:.1%}}",
                    hovertemplate=f"%{{label}}: {fmt} (%{{customdata:.1%}})<extra></extra>",
                    sort=False,
                    name=value_key,
                ),
                row=1,
                col=col,
            )
        layout(fig, "Segments by customers and by revenue", height=480)
        fig.update_layout(
            margin={"l": 10, "r": 10, "t": 80, "b": 10},
            uniformtext={"minsize": MIN_LABEL_SIZE, "mode": "hide"},
        )
        top = rows[0]
        largest = max(rows, key=lambda row: row["customers"])
        reading = (
            f"{top['segment']} are {pct(top['share_of_customers'])} of customers and bring "
            f"{pct(top['share_of_revenue'])} of revenue; the largest segment, "
            f"{largest['segment']}, is {pct(largest['share_of_customers'])} of customers and "
            f"brings {pct(largest['share_of_revenue'])}."
        )
        return Chart(self.context.chart_id("segment-treemap"), fig, reading)

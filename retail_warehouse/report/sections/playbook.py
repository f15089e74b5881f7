"""What to do with each segment: the description and action of every segment of both schemes."""

from __future__ import annotations

from retail_warehouse.report.section import Section, SectionBuilder
from retail_warehouse.report.templates import render_block

SCHEMES = {"rfm_segment": "RFM segments", "marketing_group": "Marketing groups"}


class PlaybookSection(SectionBuilder):
    section_id = "playbook"
    title = "What to do with each segment"
    intro = (
        "Description and recommended action of every segment (seeds/segment_actions.csv),"
        " for both schemes."
    )
    tables = ("marts.rpt_segment_summary",)

    def fill(self, section: Section) -> None:
        rows = self.context.rows(
            "select segmentation, segment, customers, share_of_customers,"
            " revenue::double as revenue, share_of_revenue, median_recency_days,"
            " median_frequency, description, recommended_action"
            " from marts.rpt_segment_summary where store_id = ? order by segment_order",
        )
        for scheme, caption in SCHEMES.items():
            scheme_rows = [row for row in rows if row["segmentation"] == scheme]
            if not scheme_rows:
                continue
            section.blocks.append(
                render_block(
                    "segment_table.html.j2",
                    table_id=self.context.chart_id(f"{scheme}-table"),
                    caption=caption,
                    rows=scheme_rows,
                    store=self.store,
                    # Only the RFM segments have colours (the charts' segments).
                    colour=self.context.segment_colour if scheme == "rfm_segment" else None,
                )
            )

"""Inputs: the store's raw files and what the line rules made of each (rpt_input_files)."""

from __future__ import annotations

from retail_warehouse.report.section import Section, SectionBuilder
from retail_warehouse.report.templates import render_block


class InputsSection(SectionBuilder):
    section_id = "inputs"
    title = "Inputs"
    intro = (
        "Every raw file of the store (rpt_input_files; `make profile` prints more): its lines,"
        " the share rejected and the reason that rejects the most, the dates it covers and how"
        " they were read. A build stops when a file or the store has more than var"
        " rejected_share_error of its lines rejected (docs/sources-and-cleaning.md)."
    )
    tables = ("marts.rpt_input_files",)

    def fill(self, section: Section) -> None:
        files = self.context.rows(
            "select source_file, lines, kept_lines, rejected_share, top_rejection_reason,"
            " top_rejection_reason_lines, first_ordered_at, last_ordered_at, months,"
            " duplicate_lines, malformed_lines, future_lines, control_character_lines,"
            " timestamp_format, encoding from marts.rpt_input_files where store_id = ?"
            " order by source_file",
        )
        section.blocks.append(
            render_block(
                "input_files.html.j2", table_id=self.context.chart_id("input-files"), files=files
            )
        )

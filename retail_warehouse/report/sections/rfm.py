"""The R x F grid (customers and average spend per cell) and the 125 RFM cells."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from retail_warehouse.report.formatting import TIMES, pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout

SCORES = [1, 2, 3, 4, 5]
AXES = {
    "xaxis": {"title": {"text": "F score (1 = fewest orders, 5 = most)"}, "dtick": 1},
    "yaxis": {"title": {"text": "R score (1 = longest ago, 5 = most recent)"}, "dtick": 1},
}


class RfmSection(SectionBuilder):
    section_id = "rfm"
    title = f"The R {TIMES} F grid and the 125 RFM cells"
    intro = "Scores 1-5 within the store, 5 best (rpt_rf_grid, rpt_rfm_cells, rpt_stores)."
    tables = ("marts.rpt_rf_grid", "marts.rpt_rfm_cells", "marts.rpt_stores")
    paired = True

    def fill(self, section: Section) -> None:
        grid = self.context.rows(
            "select r_score, f_score, segment, customers, share_of_customers, mean_monetary,"
            " spend_index from marts.rpt_rf_grid where store_id = ?"
            " order by r_score, f_score",
        )
        section.charts += self.grid_heatmaps(grid)
        cells = self.context.rows(
            "select rfm_cell, segment, customers, share_of_customers, is_large_enough_to_act_on"
            " from marts.rpt_rfm_cells where store_id = ? order by rfm_cell",
        )
        (counts,) = self.context.rows(
            "select rfm_cells_with_customers, rfm_cells_large_enough_to_act_on,"
            " rfm_min_cell_customers from marts.rpt_stores where store_id = ?",
        )
        section.charts.append(self.cell_sizes(cells, counts))

    def grid_heatmaps(self, grid: list[dict]) -> list[Chart]:
        by_cell = {(row["r_score"], row["f_score"]): row for row in grid}

        def matrix(key: str) -> list[list]:
            return [
                [by_cell[(r, f)][key] if (r, f) in by_cell else None for f in SCORES]
                for r in SCORES
            ]

        segments = matrix("segment")
        customers = go.Figure(
            go.Heatmap(
                x=SCORES,
                y=SCORES,
                z=matrix("customers"),
                text=segments,
                texttemplate="%{z:,}<br>%{text}",
                textfont={"size": 10},
                colorscale="Blues",
                colorbar={"title": {"text": "customers"}},
                hovertemplate="R %{y}, F %{x}: %{z:,} customers (%{text})<extra></extra>",
            )
        )
        layout(customers, f"Customers in each R {TIMES} F cell (customers)", **AXES)
        spend_format = self.store.money_format("z")
        spend = go.Figure(
            go.Heatmap(
                x=SCORES,
                y=SCORES,
                z=matrix("mean_monetary"),
                text=segments,
                texttemplate=f"{spend_format}<br>%{{text}}",
                textfont={"size": 10},
                colorscale="Oranges",
                colorbar={"title": {"text": self.store.axis("spend")}},
                hovertemplate=f"R %{{y}}, F %{{x}}: {spend_format} average spend"
                " (%{text})<extra></extra>",
            )
        )
        layout(
            spend,
            f"Average spend per customer in each R {TIMES} F cell ({self.store.unit})",
            **AXES,
        )
        populated = [row for row in grid if row["customers"]]
        biggest = _first(populated, lambda row: (-row["customers"], row["r_score"]))
        richest = _first(populated, lambda row: -row["mean_monetary"])
        return [
            Chart(
                self.context.chart_id("rf-customers"),
                customers,
                f"The biggest cell is R = {biggest['r_score']}, F = {biggest['f_score']} "
                f"({biggest['segment']}): {biggest['customers']:,} customers, "
                f"{pct(biggest['share_of_customers'])} of the store.",
            ),
            Chart(
                self.context.chart_id("rf-spend"),
                spend,
                f"Customers at R = {richest['r_score']}, F = {richest['f_score']} "
                f"({richest['segment']}) spend {self.store.money(richest['mean_monetary'])} on "
                f"average, {richest['spend_index']:.1f}{TIMES} the store's average (purchases "
                "before returns).",
            ),
        ]

    def cell_sizes(self, cells: list[dict], counts: dict) -> Chart:
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
        layout(
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
        largest = _first(cells, lambda c: -c["customers"])
        reading = (
            f"{counts['rfm_cells_with_customers']} of the 125 cells have customers and "
            f"{counts['rfm_cells_large_enough_to_act_on']} have the "
            f"{counts['rfm_min_cell_customers']:,} or more that make them large enough to act "
            f"on; the largest, {largest['rfm_cell']} ({largest['segment']}), holds "
            f"{pct(largest['share_of_customers'])} of customers."
        )
        return Chart(self.context.chart_id("rfm-cells"), fig, reading, wide=True)


def _first(rows: list[dict], order: Callable[[dict], object]) -> dict:
    """The first row in the given order (ties keep the rows' own order)."""
    return sorted(rows, key=order)[0]

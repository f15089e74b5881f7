"""Segment transitions: a Sankey of the moves in a month (a selector picks the month), and
the stayed / improved / declined shares of every period, partial ones marked."""

from __future__ import annotations

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.subplots import make_subplots

from retail_warehouse.report.formatting import month_name, pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, Variant, layout
from retail_warehouse.report.templates import render_block

NOT_YET_A_CUSTOMER = "Not yet a customer"
MOVEMENT_COLOURS = {
    "stayed": "rgba(140, 140, 140, 0.45)",
    "improved": "rgba(44, 160, 44, 0.55)",
    "declined": "rgba(214, 39, 40, 0.55)",
    "entered": "rgba(31, 119, 180, 0.45)",
}
PARTIAL_OPACITY = 0.35


class HistorySection(SectionBuilder):
    section_id = "history"
    title = "Segment transitions"
    intro = (
        "Each customer's segment at every month start, scored on the orders before it"
        " (rpt_segment_transitions, rpt_segment_transition_periods). The Sankey compares the"
        " segments at the start and the end of a complete month; pick the month above it."
    )
    tables = ("marts.rpt_segment_transitions", "marts.rpt_segment_transition_periods")
    optional = True
    paired = True

    def missing_note(self, tables: list[str]) -> Markup:
        return render_block(
            "note.html.j2",
            kind="no-history",
            text=f"No history built: {', '.join(tables)} not in this warehouse. Build the"
            " segment-history models (make build), then run make report again.",
        )

    def fill(self, section: Section) -> None:
        periods = self.context.rows(
            "select from_as_of_date, to_as_of_date, period_days, is_complete_month, customers,"
            " entered_customers, stayed_share, improved_share, declined_share"
            " from marts.rpt_segment_transition_periods where store_id = ?"
            " order by to_as_of_date",
        )
        if not periods:
            section.blocks.append(
                render_block(
                    "note.html.j2",
                    kind="no-history",
                    text="No history built: the store has fewer than two as-of dates in"
                    " rpt_segment_transition_periods.",
                )
            )
            return
        shown = [row for row in periods if row["is_complete_month"]]
        if not shown:
            # Dates other than month starts (var segment_history_as_of_dates): every pair.
            shown = periods
            section.blocks.append(
                render_block(
                    "note.html.j2",
                    kind="",
                    text="No pair of as-of dates spans one calendar month"
                    " (var segment_history_as_of_dates), so the selector lists every pair.",
                )
            )
        moves = self.context.rows(
            "select from_as_of_date, to_as_of_date, from_segment, to_segment, movement,"
            " customers from marts.rpt_segment_transitions where store_id = ?"
            " order by from_segment, to_segment",
        )
        variants = [
            self.sankey_variant(
                period,
                [m for m in moves if m["to_as_of_date"] == period["to_as_of_date"]],
            )
            for period in shown
        ]
        section.charts.append(
            Chart.with_variants(
                self.context.chart_id("transitions-sankey"),
                variants,
                selected=len(variants) - 1,
                label="Month",
                wide=True,
            )
        )
        section.charts.append(self.transition_shares(periods))

    def sankey_variant(self, period: dict, moves: list[dict]) -> Variant:
        sources = [NOT_YET_A_CUSTOMER] * any(
            m["from_segment"] == NOT_YET_A_CUSTOMER for m in moves
        ) + self.context.sorted_segments(
            m["from_segment"] for m in moves if m["from_segment"] != NOT_YET_A_CUSTOMER
        )
        targets = self.context.sorted_segments(m["to_segment"] for m in moves)
        nodes = [f"{s} " for s in sources] + targets  # the trailing space keeps both sides apart
        index = {name: i for i, name in enumerate(nodes)}
        fig = go.Figure(
            go.Sankey(
                arrangement="fixed",
                node={
                    "label": [n.strip() for n in nodes],
                    "color": [self.context.segment_colour(n.strip()) for n in nodes],
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
        start, end = period["from_as_of_date"], period["to_as_of_date"]
        layout(
            fig,
            f"Segment moves in {_period_name(period)}: {start:%Y-%m-%d} (left) to "
            f"{end:%Y-%m-%d} (right), in customers",
            height=560,
        )
        reading = (
            f"In {_period_name(period)} ({start:%Y-%m-%d} to {end:%Y-%m-%d}), of the "
            f"{period['customers']:,} customers scored at both dates "
            f"{pct(period['stayed_share'])} kept their segment, "
            f"{pct(period['improved_share'])} improved and {pct(period['declined_share'])} "
            f"declined; {period['entered_customers']:,} entered as new customers."
        )
        return Variant(_period_name(period), fig, reading)

    def transition_shares(self, periods: list[dict]) -> Chart:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        # Categories, not dates: a short last period keeps a bar as wide as the others, and
        # its label says it is partial.
        x = [_period_label(row) for row in periods]
        opacity = [1 if row["is_complete_month"] else PARTIAL_OPACITY for row in periods]
        for key, name, colour in (
            ("stayed_share", "stayed", "#9e9e9e"),
            ("improved_share", "improved", "#2ca02c"),
            ("declined_share", "declined", "#d62728"),
        ):
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=[row[key] * 100 for row in periods],
                    name=name,
                    marker={"color": colour, "opacity": opacity},
                    hovertemplate=f"%{{x}}: %{{y:.1f}}% {name}<extra></extra>",
                ),
                secondary_y=False,
            )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=[row["entered_customers"] for row in periods],
                name="entered (new customers)",
                mode="lines+markers",
                line={"color": "#1f77b4"},
                hovertemplate="%{x}: %{y:,} new customers<extra></extra>",
            ),
            secondary_y=True,
        )
        layout(
            fig,
            "Stayed, improved, declined between consecutive as-of dates (faded: partial)",
            barmode="stack",
        )
        fig.update_xaxes(
            title_text="month of the moves (a partial period by its dates)", type="category"
        )
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
        return Chart(
            self.context.chart_id("transitions-shares"),
            fig,
            _shares_reading(periods),
            wide=True,
        )


def _shares_reading(periods: list[dict]) -> str:
    complete = [row for row in periods if row["is_complete_month"]]
    partial = [row for row in periods if not row["is_complete_month"]]
    compared = complete or periods
    kind = "complete months" if complete else "periods"
    least = sorted(compared, key=lambda row: row["stayed_share"])[0]
    most = sorted(compared, key=lambda row: -row["stayed_share"])[0]
    worst = sorted(compared, key=lambda row: -row["declined_share"])[0]
    reading = (
        f"Across the {kind}, from {pct(least['stayed_share'])} ({_period_name(least)}) to "
        f"{pct(most['stayed_share'])} ({_period_name(most)}) of customers kept their segment; "
        f"the most declined in {_period_name(worst)} ({pct(worst['declined_share'])})."
    )
    if complete and partial:
        reading += (
            " Left out as partial: "
            + "; ".join(
                f"{row['from_as_of_date']:%Y-%m-%d} to {row['to_as_of_date']:%Y-%m-%d} "
                f"({row['period_days']} days)"
                for row in partial
            )
            + "."
        )
    return reading


def _period_name(period: dict) -> str:
    """A complete month by its name (the month the moves happened in), another period by its
    dates."""
    if period["is_complete_month"]:
        return month_name(period["from_as_of_date"])
    return f"{period['from_as_of_date']:%Y-%m-%d} to {period['to_as_of_date']:%Y-%m-%d}"


def _period_label(period: dict) -> str:
    """An x-axis category: a complete month by its short name, another period by its dates."""
    if period["is_complete_month"]:
        return f"{period['from_as_of_date']:%b %Y}"
    return (
        f"{period['from_as_of_date']:%Y-%m-%d} to {period['to_as_of_date']:%Y-%m-%d}"
        f" (partial, {period['period_days']} days)"
    )


def _spread(n: int) -> list[float]:
    """Node positions from top to bottom in the segment order (Sankey's y is 0 at the top)."""
    return [0.001 + 0.998 * i / max(n - 1, 1) for i in range(n)]

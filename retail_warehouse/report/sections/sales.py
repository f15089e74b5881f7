"""Sales: monthly net revenue and customers (partial months marked), and revenue by country."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from retail_warehouse.report.formatting import month_name, pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout

COMPLETE_COLOUR = "#9ecae1"
PARTIAL_COLOUR = "#c6dbef"
NO_COUNTRY = ("Other", "Unknown")


class SalesSection(SectionBuilder):
    section_id = "sales"
    title = "Sales"
    intro = (
        "Net revenue (returns deducted) by month and country (rpt_monthly_sales,"
        " rpt_sales_by_country). A month the orders do not cover from its first day to its"
        " last (rpt_stores) is hatched and left out of the highest and lowest month."
    )
    tables = (
        "marts.rpt_monthly_sales",
        "marts.rpt_sales_by_country",
        "marts.rpt_store_summary",
        "marts.rpt_stores",
    )
    paired = True

    def fill(self, section: Section) -> None:
        months = self.context.rows(
            "select months.order_month, months.orders, months.customers, months.new_customers,"
            " months.revenue::double as revenue, months.order_month between"
            " stores.first_complete_month and stores.last_complete_month as is_complete,"
            " stores.first_order_at, stores.last_order_at"
            " from marts.rpt_monthly_sales as months inner join marts.rpt_stores as stores"
            " on months.store_id = stores.store_id"
            " where months.store_id = ? order by months.order_month",
        )
        section.charts.append(self.monthly_sales(months))
        countries = self.context.rows(
            "select country, country_rank, customers, revenue::double as revenue,"
            " share_of_revenue from marts.rpt_sales_by_country where store_id = ?"
            " order by country_rank",
        )
        (summary,) = self.context.rows(
            "select revenue::double as revenue from marts.rpt_store_summary where store_id = ?",
        )
        section.charts.append(self.top_countries(countries, summary["revenue"]))

    def monthly_sales(self, months: list[dict]) -> Chart:
        fig = make_subplots(specs=[[{"secondary_y": True}]])
        x = [row["order_month"].isoformat() for row in months]
        coverage = [_coverage(row) for row in months]
        complete = [row["is_complete"] for row in months]
        money = self.store.money_format("y")
        fig.add_trace(
            go.Bar(
                x=x,
                y=[row["revenue"] for row in months],
                name=self.store.axis("net revenue"),
                customdata=coverage,
                marker={
                    "color": [COMPLETE_COLOUR if c else PARTIAL_COLOUR for c in complete],
                    "pattern": {"shape": ["" if c else "/" for c in complete]},
                },
                hovertemplate=f"%{{x|%B %Y}}: {money} (%{{customdata}})<extra></extra>",
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
        layout(fig, "Monthly sales and customers (hatched: a partial month)")
        for row, text in zip(months, coverage, strict=True):
            if not row["is_complete"]:
                fig.add_annotation(
                    x=row["order_month"].isoformat(),
                    y=row["revenue"],
                    yref="y",
                    text=text,
                    showarrow=True,
                    arrowhead=0,
                    ay=-30,
                    font={"size": 11},
                )
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
        return Chart(self.context.chart_id("monthly-sales"), fig, self._monthly_reading(months))

    def _monthly_reading(self, months: list[dict]) -> str:
        complete = [row for row in months if row["is_complete"]]
        partial = [row for row in months if not row["is_complete"]]
        if not complete:
            return (
                "No month is covered from its first day to its last (orders from "
                f"{months[0]['first_order_at']:%Y-%m-%d} to {months[0]['last_order_at']:%Y-%m-%d}"
                "), so no month is called the highest or the lowest."
            )
        peak = sorted(complete, key=lambda row: -row["revenue"])[0]
        low = sorted(complete, key=lambda row: row["revenue"])[0]
        reading = (
            f"{month_name(peak['order_month'])} is the peak month: "
            f"{self.store.money(peak['revenue'])} of net revenue from {peak['orders']:,} orders "
            f"and {peak['customers']:,} customers; the lowest complete month is "
            f"{month_name(low['order_month'])} ({self.store.money(low['revenue'])})."
        )
        if partial:
            reading += (
                " Left out as partial: "
                + "; ".join(
                    f"{month_name(row['order_month'])} ({_coverage(row)})" for row in partial
                )
                + "."
            )
        return reading

    def top_countries(self, countries: list[dict], store_revenue: float) -> Chart:
        money = self.store.money_format("x")
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
                    f"%{{y}}: {money} (%{{customdata[0]:.1%}}), %{{customdata[1]:,}} customers"
                    "<extra></extra>"
                ),
            )
        )
        layout(
            fig,
            "Top countries by net revenue",
            xaxis={
                "title": {"text": self.store.axis("net revenue")},
                # Room for the share printed beyond the longest bar.
                "range": [0, max(row["revenue"] for row in countries) * 1.15],
            },
            yaxis={"title": {"text": "country"}, "autorange": "reversed"},
        )
        named = [row for row in countries if row["country"] not in NO_COUNTRY]
        if named:
            reading = f"{named[0]['country']} brings {pct(named[0]['share_of_revenue'])} of revenue"
            reading += (
                f"; the next, {named[1]['country']}, {pct(named[1]['share_of_revenue'])}."
                if len(named) > 1
                else "."
            )
        else:
            reading = (
                f"The data names no country: all {self.store.money(store_revenue)} of net "
                "revenue is under Unknown."
            )
        return Chart(self.context.chart_id("countries"), fig, reading)


def _coverage(row: dict) -> str:
    """What a month's orders cover: all of it, or the days from the first or to the last order."""
    if row["is_complete"]:
        return "complete month"
    if row["order_month"] == row["last_order_at"].date().replace(day=1):
        return f"partial: orders to {row['last_order_at']:%-d %b}"
    return f"partial: orders from {row['first_order_at']:%-d %b}"

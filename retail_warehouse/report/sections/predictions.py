"""Predictions: probability alive against recency and frequency, predicted against actual in
the holdout, CLV by segment, and the most valuable customers at risk (models/ml/predictions)."""

from __future__ import annotations

import plotly.graph_objects as go

from retail_warehouse.labels import ALL_CUSTOMERS
from retail_warehouse.report.formatting import pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout
from retail_warehouse.report.templates import render_block


class PredictionsSection(SectionBuilder):
    section_id = "predictions"
    title = "Predictions"
    intro = (
        "BG/NBD for purchases and Gamma-Gamma for spend, fitted per store inside the warehouse"
        " (docs/predictions.md). A purchase is a purchase order; the horizon is var"
        " clv_horizon_days. The holdout chart refits on the orders before a cut-off and"
        " compares with what customers then bought."
    )
    tables = (
        "marts.rpt_probability_alive_grid",
        "marts.rpt_holdout_predicted_vs_actual",
        "marts.rpt_clv_by_segment",
        "marts.rpt_customers_at_risk",
        "ml.ml_prediction_eval",
    )
    optional = True
    paired = True

    def fill(self, section: Section) -> None:
        grid = self.context.rows(
            "select repeat_orders, repeat_orders_label, recency_band_start_days,"
            " recency_band_label, customers, mean_probability_alive"
            " from marts.rpt_probability_alive_grid where store_id = ?"
            " order by repeat_orders, recency_band_start_days",
        )
        holdout = self.context.rows(
            "select repeat_orders_label, customers, predicted_purchases_per_customer,"
            " historical_rate_purchases_per_customer, actual_purchases_per_customer"
            " from marts.rpt_holdout_predicted_vs_actual where store_id = ? order by repeat_orders",
        )
        scores = self.context.rows(
            "select predictor, purchases_mae, purchases_correlation, actual_purchases,"
            " predicted_purchases from ml.ml_prediction_eval where store_id = ? and segment = ?",
            ALL_CUSTOMERS,
        )
        segments = self.context.rows(
            "select segment, customers, clv, clv_per_customer, share_of_clv,"
            " high_churn_risk_share from marts.rpt_clv_by_segment where store_id = ?",
        )
        at_risk = self.context.rows(
            "select value_rank, customer_id, segment, last_purchase_at, frequency, monetary,"
            " churn_probability, clv from marts.rpt_customers_at_risk where store_id = ?"
            " order by value_rank",
        )
        if not grid:
            section.blocks.append(
                render_block(
                    "note.html.j2",
                    kind="",
                    text="No predictions: the store's fits did not converge or it has too few"
                    " repeat customers (the note in ml_clv_model_fit says why).",
                )
            )
            return
        section.charts.append(self.alive_grid(grid))
        if holdout:
            section.charts.append(self.holdout_chart(holdout, scores))
        section.charts.append(self.clv_by_segment(segments))
        section.blocks.append(
            render_block(
                "customers_at_risk.html.j2",
                table_id=self.context.chart_id("customers-at-risk"),
                customers=at_risk,
                money=self.store.money,
                unit=self.store.unit,
            )
        )

    def alive_grid(self, grid: list[dict]) -> Chart:
        # Rows and columns in their order, each shown by the label the model gives it.
        repeats = dict(sorted({(r["repeat_orders"], r["repeat_orders_label"]) for r in grid}))
        bands = dict(
            sorted({(r["recency_band_start_days"], r["recency_band_label"]) for r in grid})
        )
        cells = {(row["repeat_orders"], row["recency_band_start_days"]): row for row in grid}

        def cell(r: int, b: int, key: str):
            row = cells.get((r, b))
            return row[key] if row else None

        fig = go.Figure(
            go.Heatmap(
                x=list(bands.values()),
                y=list(repeats.values()),
                z=[[cell(r, b, "mean_probability_alive") for b in bands] for r in repeats],
                customdata=[[cell(r, b, "customers") for b in bands] for r in repeats],
                colorscale="RdYlGn",
                zmin=0,
                zmax=1,
                colorbar={"title": {"text": "P(alive)"}},
                hovertemplate=(
                    "%{y} repeat orders, last purchase %{x} days ago: P(alive) %{z:.2f}"
                    " (%{customdata:,} customers)<extra></extra>"
                ),
            )
        )
        layout(
            fig,
            "Probability alive by repeat orders and days since the last purchase",
            xaxis={"title": {"text": "days since the last purchase (30-day bands)"}},
            yaxis={"title": {"text": "repeat purchase orders"}},
        )
        repeaters = [row for row in grid if row["repeat_orders"] > 0]
        one_timers = sum(row["customers"] for row in grid if row["repeat_orders"] == 0)
        customers = sum(row["customers"] for row in grid)
        if repeaters:
            recent = min(repeaters, key=lambda r: (r["recency_band_start_days"], -r["customers"]))
            stale = max(repeaters, key=lambda r: (r["recency_band_start_days"], r["customers"]))
            reading = (
                f"A repeat customer whose last purchase was {recent['recency_band_label']}"
                f" days ago is alive with probability {recent['mean_probability_alive']:.2f}"
                f" (with {recent['repeat_orders_label']} repeat orders), one silent for"
                f" {stale['recency_band_label']} days with"
                f" {stale['mean_probability_alive']:.2f}"
                f" (with {stale['repeat_orders_label']})."
            )
        else:
            reading = "No customer has a repeat order yet."
        reading += (
            f" The {one_timers:,} one-order customers ({pct(one_timers / customers)}) count as"
            " alive: in BG/NBD a customer can drop out only after a repeat purchase, so their"
            " churn risk comes from the chance of no purchase in the horizon instead."
        )
        return Chart(self.context.chart_id("probability-alive"), fig, reading)

    def holdout_chart(self, holdout: list[dict], scores: list[dict]) -> Chart:
        x = [row["repeat_orders_label"] for row in holdout]
        fig = go.Figure()
        for key, name, colour, dash in (
            ("actual_purchases_per_customer", "actual", "#222222", "solid"),
            ("predicted_purchases_per_customer", "model (BG/NBD, mean)", "#1f77b4", "solid"),
            ("historical_rate_purchases_per_customer", "historical rate", "#ff7f0e", "dot"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=[row[key] for row in holdout],
                    name=name,
                    mode="lines+markers",
                    line={"color": colour, "dash": dash},
                    customdata=[row["customers"] for row in holdout],
                    hovertemplate=(
                        f"%{{x}} repeat orders: {name} %{{y:.2f}} purchases per customer"
                        " (%{customdata:,} customers)<extra></extra>"
                    ),
                )
            )
        layout(
            fig,
            "Holdout purchases per customer: predicted against actual",
            xaxis={"title": {"text": "repeat orders before the cut-off"}, "type": "category"},
            yaxis={"title": {"text": "purchases per customer in the holdout"}},
        )
        by_predictor = {row["predictor"]: row for row in scores}
        model, median = by_predictor.get("bg_nbd"), by_predictor.get("bg_nbd_median")
        baseline = by_predictor.get("historical_rate")
        if model and median and baseline:
            verdict = "beats" if median["purchases_mae"] < baseline["purchases_mae"] else "loses to"
            reading = (
                f"Customers bought {model['actual_purchases']:,.0f} times in the holdout; the model"
                f" expected {model['predicted_purchases']:,.0f}. Per customer, its median forecast"
                f" {verdict} the historical rate on mean absolute error"
                f" ({median['purchases_mae']:.3f} against {baseline['purchases_mae']:.3f}), and"
                f" its mean ranks customers better (correlation"
                f" {model['purchases_correlation']:.2f} against"
                f" {baseline['purchases_correlation']:.2f})."
            )
        else:
            reading = "The holdout check has no score for this store in ml_prediction_eval."
        return Chart(self.context.chart_id("holdout-predicted"), fig, reading)

    def clv_by_segment(self, segments: list[dict]) -> Chart:
        order = self.context.sorted_segments(row["segment"] for row in segments)
        by_segment = {row["segment"]: row for row in segments}
        rows = [by_segment[s] for s in order]
        money = self.store.money_format("customdata[0]")
        fig = go.Figure(
            go.Bar(
                x=order,
                y=[row["share_of_clv"] * 100 for row in rows],
                marker={"color": [self.context.segment_colour(s) for s in order]},
                customdata=[
                    [row["clv_per_customer"], row["customers"], row["high_churn_risk_share"]]
                    for row in rows
                ],
                hovertemplate=(
                    f"%{{x}}: %{{y:.1f}}% of the CLV, {money} per customer,"
                    " %{customdata[1]:,} customers, %{customdata[2]:.0%} at high churn risk"
                    "<extra></extra>"
                ),
            )
        )
        layout(
            fig,
            f"Share of the horizon's CLV by segment ({self.store.unit})",
            xaxis={"title": {"text": "rule-based RFM segment"}, "tickangle": -30},
            yaxis={"title": {"text": "% of the store's CLV"}, "rangemode": "tozero"},
        )
        top = max(rows, key=lambda row: row["share_of_clv"])
        risky = max(rows, key=lambda row: (row["high_churn_risk_share"], row["customers"]))
        reading = (
            f"{top['segment']} hold {pct(top['share_of_clv'])} of the CLV expected over the"
            f" horizon ({self.store.money(top['clv_per_customer'])} per customer);"
            f" {pct(risky['high_churn_risk_share'], 0)} of {risky['segment']} are at high churn"
            " risk, the most of any segment."
        )
        return Chart(self.context.chart_id("clv-by-segment"), fig, reading, wide=True)

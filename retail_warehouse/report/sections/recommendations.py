"""Recommendations: every algorithm against the popularity baseline, overall and per segment,
and a typical customer of each segment with what they bought and what is recommended, by name."""

from __future__ import annotations

import plotly.graph_objects as go
from markupsafe import Markup
from plotly.colors import qualitative

from retail_warehouse.labels import ALL_CUSTOMERS
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout
from retail_warehouse.report.templates import render_block

EVAL_METRICS = [
    ("precision_at_k", "precision@{k}"),
    ("recall_at_k", "recall@{k}"),
    ("map_at_k", "MAP@{k}"),
    ("ndcg_at_k", "NDCG@{k}"),
    ("hit_rate", "hit rate"),
    ("catalog_coverage", "catalogue coverage"),
]
BASELINE_ALGORITHM = "popularity"


class RecommendationsSection(SectionBuilder):
    section_id = "recommendations"
    title = "Recommendations against the baseline"
    intro = (
        "Every algorithm on the same time-based split (ml_recommendation_eval); popularity is"
        " the baseline. Below, examples by name (rpt_recommendation_examples)."
    )
    tables = ("ml.ml_recommendation_eval", "marts.rpt_recommendation_examples")
    optional = True
    paired = True

    def fill(self, section: Section) -> None:
        rows = self.context.rows(
            "select algorithm, segment, k, cutoff_at, customers, precision_at_k, recall_at_k,"
            " map_at_k, ndcg_at_k, hit_rate, catalog_coverage, is_default"
            " from ml.ml_recommendation_eval where store_id = ? and customers > 0"
            " order by algorithm, segment",
        )
        # A store where nobody bought a new item after the cut-off has no evaluated customer.
        overall = [row for row in rows if row["segment"] == ALL_CUSTOMERS]
        if overall:
            section.charts.append(self.eval_overall(overall))
            by_segment = [row for row in rows if row["segment"] != ALL_CUSTOMERS]
            if by_segment:
                section.charts.append(self.eval_by_segment(by_segment))
        else:
            section.blocks.append(
                render_block(
                    "note.html.j2",
                    kind="",
                    text="No customer was evaluated in this store (nobody bought a new item"
                    " after the cut-off).",
                )
            )
        default = next((row["algorithm"] for row in rows if row["is_default"]), None)
        section.blocks.append(self.examples(default))

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
        by_algorithm = {row["algorithm"]: row for row in overall}
        fig = go.Figure()
        for position, algorithm in enumerate(self._algorithm_order(overall)):
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
        layout(
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
            reading += f" against {baseline['ndcg_at_k']:.3f} for the popularity baseline"
        reading += (
            f", over {default['customers']:,} customers who bought new items after "
            f"{default['cutoff_at']:%Y-%m-%d}."
        )
        return Chart(self.context.chart_id("rec-eval"), fig, reading)

    def eval_by_segment(self, rows: list[dict]) -> Chart:
        k = rows[0]["k"]
        algorithms = self._algorithm_order([r for r in rows if r["segment"] == rows[0]["segment"]])
        segments = self.context.sorted_segments(row["segment"] for row in rows)
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
        layout(
            fig,
            f"NDCG@{k} by segment and algorithm",
            xaxis={"title": {"text": "algorithm (default first, baseline last)"}},
            yaxis={"title": {"text": "RFM segment (customers)"}, "autorange": "reversed"},
        )
        default = algorithms[0]
        behind = [
            s
            for s in segments
            if (s, default) in by_cell
            and (s, BASELINE_ALGORITHM) in by_cell
            and by_cell[(s, default)]["ndcg_at_k"] <= by_cell[(s, BASELINE_ALGORITHM)]["ndcg_at_k"]
        ]
        if not behind:
            reading = f"{default} beats the popularity baseline in every segment evaluated."
        else:
            reading = (
                f"{default} beats the popularity baseline in every segment evaluated but "
                f"{', '.join(behind)}."
            )
        return Chart(self.context.chart_id("rec-eval-segments"), fig, reading)

    def examples(self, default_algorithm: str | None) -> Markup:
        """One row per example customer; an item not from the default algorithm (a fallback)
        says where it came from."""
        rows = self.context.rows(
            "select examples.customer_id, examples.segment, examples.item_list,"
            " examples.item_id, examples.item_name, examples.recommendation_source"
            " from marts.rpt_recommendation_examples as examples"
            " inner join marts.rpt_segment_summary as segments"
            " on examples.store_id = segments.store_id and examples.segment = segments.segment"
            " and segments.segmentation = 'rfm_segment'"
            " where examples.store_id = ?"
            " order by segments.segment_order, examples.item_list, examples.item_rank",
        )
        examples: dict[str, dict] = {}
        for row in rows:
            example = examples.setdefault(
                row["customer_id"],
                {
                    "customer_id": row["customer_id"],
                    "segment": row["segment"],
                    "bought": [],
                    "recommended": [],
                },
            )
            example[row["item_list"]].append(row)
        return render_block(
            "recommendation_examples.html.j2",
            table_id=self.context.chart_id("rec-examples"),
            examples=list(examples.values()),
            colour=self.context.segment_colour,
            algorithm=default_algorithm,
        )

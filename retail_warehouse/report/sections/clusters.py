"""Customer clusters: choosing k, the snake plot of cluster profiles, clusters x segments."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from retail_warehouse.report.formatting import TIMES, pct
from retail_warehouse.report.section import Chart, Section, SectionBuilder, layout
from retail_warehouse.report.templates import render_block

COMPARED_KS = (4, 5)
FEATURES = (
    ("mean_z_recency", "recency"),
    ("mean_z_frequency", "frequency"),
    ("mean_z_monetary", "spend"),
)


class ClustersSection(SectionBuilder):
    section_id = "clusters"
    title = "Customer clusters"
    intro = (
        "K-Means on standardised log recency, frequency and spend (models/ml/clustering)."
        " In the snake plot 0 is the store's average and a recency below 0 means a more"
        " recent last order."
    )
    tables = (
        "ml.ml_cluster_k_selection",
        "ml.ml_cluster_segment_crosstab",
        "marts.rpt_cluster_feature_means",
    )
    optional = True
    paired = True

    def fill(self, section: Section) -> None:
        k_rows = self.context.rows(
            "select k, inertia, silhouette, is_chosen, is_best_silhouette"
            " from ml.ml_cluster_k_selection where store_id = ? order by k",
        )
        if k_rows:
            section.charts.append(self.k_selection(k_rows))
        means = self.context.rows(
            "select k, cluster_id, label, is_chosen_k, share_of_customers, share_of_revenue,"
            " mean_z_recency, mean_z_frequency, mean_z_monetary"
            " from marts.rpt_cluster_feature_means where store_id = ? order by k, cluster_id",
        )
        if means:
            section.charts.append(self.snake_plot(means))
        crosstab = self.context.rows(
            "select k, cluster_id, cluster_label, segment, customers, share_of_cluster_customers"
            " from ml.ml_cluster_segment_crosstab where store_id = ? order by k, cluster_id",
        )
        for k in COMPARED_KS:
            cells = [row for row in crosstab if row["k"] == k]
            if cells:
                section.charts.append(self.crosstab_heatmap(k, cells))
            else:
                section.blocks.append(
                    render_block(
                        "note.html.j2",
                        kind="",
                        text=f"No k = {k} clusters: the store has too few customers.",
                    )
                )

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
        layout(fig, "Choosing k: elbow and silhouette curves")
        fig.update_xaxes(title_text="k (number of clusters)", dtick=1)
        fig.update_yaxes(title_text="inertia (sum of squared distances, z units²)", row=1, col=1)
        fig.update_yaxes(title_text="mean silhouette (-1 to 1)", row=1, col=2)
        best = next((row for row in k_rows if row["is_best_silhouette"]), None)
        if chosen and best and best["k"] == chosen["k"]:
            reading = f"k = {chosen['k']} is chosen, the best silhouette ({best['silhouette']:.3f})"
        elif chosen:
            reading = f"k = {chosen['k']} is chosen (silhouette {chosen['silhouette']:.3f}"
            if best:
                reading += f"; the best is k = {best['k']} at {best['silhouette']:.3f}"
            reading += ")"
        else:
            reading = "No k is chosen"
        first, last = k_rows[0], k_rows[-1]
        reading += (
            f"; inertia falls from {first['inertia']:,.0f} at k = {first['k']} to "
            f"{last['inertia']:,.0f} at k = {last['k']}."
        )
        return Chart(self.context.chart_id("k-selection"), fig, reading, wide=True)

    def snake_plot(self, means: list[dict]) -> Chart:
        ks = sorted({row["k"] for row in means})
        chosen_k = next((row["k"] for row in means if row["is_chosen_k"]), None)
        fig = make_subplots(
            rows=1,
            cols=len(ks),
            shared_yaxes=True,
            subplot_titles=[f"k = {k}" + (" (chosen)" if k == chosen_k else "") for k in ks],
            horizontal_spacing=0.04,
        )
        for col, k in enumerate(ks, start=1):
            for row in (row for row in means if row["k"] == k):
                fig.add_trace(
                    go.Scatter(
                        x=[name for _, name in FEATURES],
                        y=[row[key] for key, _ in FEATURES],
                        mode="lines+markers",
                        name=f"{row['cluster_id']} {row['label']}",
                        legendgroup=str(k),
                        legendgrouptitle={"text": f"k = {k}"},
                        line={"color": qualitative.D3[row["cluster_id"] % len(qualitative.D3)]},
                        hovertemplate=(
                            f"k = {k}, cluster {row['cluster_id']} {row['label']} "
                            f"({pct(row['share_of_customers'])} of customers): "
                            "%{x} %{y:+.2f} sd<extra></extra>"
                        ),
                    ),
                    row=1,
                    col=col,
                )
            fig.update_xaxes(title_text="feature", row=1, col=col)
        layout(fig, "Cluster profiles (snake plot): standardised R, F, M per cluster")
        fig.update_yaxes(title_text="cluster mean (standard deviations)", row=1, col=1)
        fig.update_layout(
            legend={"orientation": "v", "y": 1, "yanchor": "top", "x": 1.02},
            margin={"r": 220, "b": 70},
        )
        k = 5 if 5 in ks else chosen_k or ks[-1]
        top = next(row for row in means if row["k"] == k and row["cluster_id"] == 0)
        reading = (
            f"At k = {k}, the most valuable cluster, {top['label']}, is "
            f"{pct(top['share_of_customers'])} of customers and brings "
            f"{pct(top['share_of_revenue'])} of revenue: {top['mean_z_frequency']:+.1f} sd on "
            f"frequency, {top['mean_z_monetary']:+.1f} on spend and "
            f"{top['mean_z_recency']:+.1f} on recency."
        )
        return Chart(self.context.chart_id("cluster-snake"), fig, reading, wide=True)

    def crosstab_heatmap(self, k: int, cells: list[dict]) -> Chart:
        # Segments with no customer in the store would be empty columns.
        segments = self.context.sorted_segments(row["segment"] for row in cells if row["customers"])
        clusters = sorted({(row["cluster_id"], row["cluster_label"]) for row in cells})
        by_cell = {(row["cluster_id"], row["segment"]): row for row in cells}
        fig = go.Figure(
            go.Heatmap(
                x=segments,
                y=[f"{cid} {label}" for cid, label in clusters],
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
        layout(
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
        return Chart(self.context.chart_id(f"crosstab-k{k}"), fig, reading)

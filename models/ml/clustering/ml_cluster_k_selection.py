"""K-Means k-selection per store: elbow, silhouette, Calinski-Harabasz, Davies-Bouldin, BIC."""

from retail_warehouse.clustering import ClusteringSettings, k_selection, read_ordered
from retail_warehouse.predictions import actionable_k


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    table = k_selection(
        read_ordered(dbt.ref("ml_cluster_features")),
        dbt.ref("ml_cluster_kmeans_fits").to_arrow_table(),
        dbt.ref("ml_cluster_mixture_fits").to_arrow_table(),
        settings,
    )
    if settings.cluster_k == "auto":  # the largest k a marketer can use (docs/predictions.md)
        table = actionable_k(table, dbt.ref("ml_cluster_k_holdout").df(), settings)
    return table

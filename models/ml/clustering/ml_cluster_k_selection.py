"""K-Means k-selection per store: elbow, silhouette, Calinski-Harabasz, Davies-Bouldin, BIC."""

from retail_warehouse.clustering import ClusteringSettings, k_selection, read_ordered


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    return k_selection(
        read_ordered(dbt.ref("ml_cluster_features")),
        dbt.ref("ml_cluster_kmeans_fits").to_arrow_table(),
        dbt.ref("ml_cluster_mixture_fits").to_arrow_table(),
        settings,
    )

"""K-Means fitted once per store and k: the centres every K-Means model applies."""

from retail_warehouse.clustering import ClusteringSettings, kmeans_fits, read_ordered


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    return kmeans_fits(read_ordered(dbt.ref("ml_cluster_features")), settings)

"""Each customer's Gaussian-mixture component and membership probabilities."""

from retail_warehouse.clustering import ClusteringSettings, customer_mixture, read_ordered


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    return customer_mixture(
        read_ordered(dbt.ref("ml_cluster_features")),
        dbt.ref("ml_cluster_feature_transform").to_arrow_table(),
        dbt.ref("ml_cluster_mixture_fits").to_arrow_table(),
        dbt.ref("ml_cluster_k_selection").to_arrow_table(),
        settings,
    )

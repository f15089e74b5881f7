"""Size, shares, centroid and label of every K-Means cluster and mixture component."""

from retail_warehouse.clustering import (
    CLUSTER_ID_COLUMNS,
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    cluster_profiles,
    read_ordered,
)


def model(dbt, session):
    config = ClusteringConfig.from_settings(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    clusters = read_ordered(dbt.ref("ml_customer_clusters"), CLUSTER_ID_COLUMNS)
    mixture = read_ordered(dbt.ref("ml_customer_mixture"))
    return cluster_profiles(rfm, clusters, mixture, config)

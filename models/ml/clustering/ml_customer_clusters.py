"""Each customer's K-Means cluster at the chosen k, at k = 4 and at k = 5."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    customer_clusters,
    read_ordered,
)


def model(dbt, session):
    config = ClusteringConfig.from_settings(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    k_table = dbt.ref("ml_cluster_k_selection").df()
    return customer_clusters(rfm, k_table, config)

"""Each customer's Gaussian-mixture component and membership probabilities."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    customer_mixture,
    read_ordered,
)


def model(dbt, session):
    config = ClusteringConfig.from_settings(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    k_table = dbt.ref("ml_cluster_k_selection").df()
    return customer_mixture(rfm, k_table, config)

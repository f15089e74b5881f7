"""K-Means k-selection per store: elbow, silhouette, Calinski-Harabasz, Davies-Bouldin, BIC."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    k_selection,
    read_ordered,
)


def model(dbt, session):
    config = ClusteringConfig.from_settings(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    return k_selection(rfm, config)

"""K-Means k-selection per store: elbow, silhouette, Calinski-Harabasz, Davies-Bouldin, BIC."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    k_selection,
    read_ordered,
)
from retail_warehouse.predictions.cluster_k import actionable_k


def model(dbt, session):
    settings = dbt.config.get("clustering")
    config = ClusteringConfig.from_settings(settings)
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    frame = k_selection(rfm, config)
    if config.k is None:  # `auto`: the largest k a marketer can use (docs/predictions.md)
        holdout = dbt.ref("ml_cluster_k_holdout").df()
        frame = actionable_k(
            frame,
            holdout,
            float(settings["cluster_min_share"]),
            float(settings["cluster_min_buying_gap"]),
        )
    return frame

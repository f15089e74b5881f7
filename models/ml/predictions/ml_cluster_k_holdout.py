"""K-Means at every k on the RFM at the holdout cut-off: cluster sizes and holdout buying."""

from retail_warehouse.clustering import ClusteringSettings
from retail_warehouse.predictions import BOUGHT_COLUMNS, CUTOFF_RFM_COLUMNS, cluster_k_holdout


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    split = dbt.ref("int_customer_histories_split")
    rfm = split.project(CUTOFF_RFM_COLUMNS).order("store_id, customer_id").to_arrow_table()
    return cluster_k_holdout(rfm, split.project(BOUGHT_COLUMNS).df(), settings)

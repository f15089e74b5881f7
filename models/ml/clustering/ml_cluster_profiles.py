"""Size, shares, centroid and label of every K-Means cluster and mixture component."""

from retail_warehouse.clustering import (
    CLUSTER_ID_COLUMNS,
    RFM_INPUT_COLUMNS,
    cluster_profiles,
    read_ordered,
)


def model(dbt, session):
    return cluster_profiles(
        read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS),
        read_ordered(dbt.ref("ml_cluster_features")),
        dbt.ref("ml_cluster_feature_transform").to_arrow_table(),
        read_ordered(dbt.ref("ml_customer_clusters"), CLUSTER_ID_COLUMNS),
        read_ordered(dbt.ref("ml_customer_mixture")),
    )

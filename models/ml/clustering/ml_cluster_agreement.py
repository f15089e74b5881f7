"""Adjusted Rand index between K-Means, the mixture and the rule-based segments, per store."""

from retail_warehouse.clustering import (
    CLUSTER_ID_COLUMNS,
    MIXTURE_ID_COLUMNS,
    RFM_INPUT_COLUMNS,
    cluster_agreement,
    read_ordered,
)


def model(dbt, session):
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    clusters = read_ordered(dbt.ref("ml_customer_clusters"), CLUSTER_ID_COLUMNS)
    mixture = read_ordered(dbt.ref("ml_customer_mixture"), MIXTURE_ID_COLUMNS)
    return cluster_agreement(rfm, clusters, mixture)

"""K-Means clusters (k = 4 and k = 5) against the rule-based RFM segments."""

from retail_warehouse.clustering import (
    CLUSTER_ID_COLUMNS,
    RFM_INPUT_COLUMNS,
    read_ordered,
    segment_crosstab,
)


def model(dbt, session):
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    clusters = read_ordered(dbt.ref("ml_customer_clusters"), CLUSTER_ID_COLUMNS)
    return segment_crosstab(rfm, clusters)

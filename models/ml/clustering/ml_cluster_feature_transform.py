"""How the clustering features were made, per store and feature: reproduces every z value."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringConfig,
    feature_transform,
    read_ordered,
)


def model(dbt, session):
    config = ClusteringConfig.from_settings(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    return feature_transform(rfm, config.outliers, config.clip_quantile)

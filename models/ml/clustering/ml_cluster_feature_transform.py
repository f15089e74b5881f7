"""How the clustering features are made, per store and feature: the fitted transform."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringSettings,
    feature_transform,
    read_ordered,
)


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    return feature_transform(rfm, settings)

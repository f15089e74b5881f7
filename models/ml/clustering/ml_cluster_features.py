"""Each customer's standardised clustering features and the samples the models are fitted on."""

from retail_warehouse.clustering import (
    RFM_INPUT_COLUMNS,
    ClusteringSettings,
    customer_features,
    read_ordered,
)


def model(dbt, session):
    settings = ClusteringSettings.from_config(dbt.config.get("clustering"))
    rfm = read_ordered(dbt.ref("fct_customer_rfm"), RFM_INPUT_COLUMNS)
    transform = dbt.ref("ml_cluster_feature_transform").to_arrow_table()
    return customer_features(rfm, transform, settings)

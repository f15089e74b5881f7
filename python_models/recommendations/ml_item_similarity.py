"""ml_item_similarity: "customers who bought this also bought", top N per item and store."""

from retail_warehouse.recommendations import (
    INTERACTION_COLUMNS,
    item_similarity,
    settings_from_config,
)


def model(dbt, session):
    settings = settings_from_config(dbt.config.get("recommendations"))
    interactions = dbt.ref("int_customer_item_interactions").project(INTERACTION_COLUMNS).df()
    return item_similarity(interactions, settings)

"""ml_customer_recommendations: top N items per customer and store, not bought yet."""

from retail_warehouse.recommendations import (
    INTERACTION_COLUMNS,
    customer_profiles,
    recommend,
    settings_from_config,
)


def model(dbt, session):
    settings = settings_from_config(dbt.config.get("recommendations"))
    interactions = dbt.ref("int_customer_item_interactions").project(INTERACTION_COLUMNS).df()
    customers = customer_profiles(
        dbt.ref("dim_customers").project("store_id, customer_id, country").df(),
        dbt.ref("fct_customer_rfm").project("store_id, customer_id, segment").df(),
    )
    return recommend(interactions, customers, settings)

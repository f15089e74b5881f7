"""ml_customer_recommendations: top N items per customer and store, not bought yet."""

from retail_warehouse.recommendations import customer_profiles, recommend, settings_from_config


def model(dbt, session):
    settings = settings_from_config(dbt.config.get("recommendations"))
    customers = customer_profiles(dbt.ref("dim_customers"), dbt.ref("fct_customer_rfm"))
    # The relation, not a DataFrame: the package reads one store at a time as Arrow.
    return recommend(dbt.ref("int_customer_item_interactions"), customers, settings)

"""ml_customer_recommendations: top N items per customer and store, not bought or returned yet."""

from retail_warehouse.recommendations import (
    RecommendationSettings,
    customer_profiles,
    recommend,
)


def model(dbt, session):
    settings = RecommendationSettings.from_config(dbt.config.get("recommendations"))
    customers = customer_profiles(dbt.ref("dim_customers"), dbt.ref("fct_customer_rfm"))
    # Relations, not DataFrames: the package reads one store at a time as Arrow.
    return recommend(
        dbt.ref("int_customer_item_interactions"),
        dbt.ref("ml_recommendation_fit"),
        customers,
        dbt.ref("int_customer_item_returns"),
        settings,
    )

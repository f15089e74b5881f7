"""ml_recommendation_eval: every algorithm on a time-based split, overall and per segment."""

from retail_warehouse.recommendations import (
    RecommendationSettings,
    customer_profiles,
    evaluate,
)


def model(dbt, session):
    settings = RecommendationSettings.from_config(dbt.config.get("recommendations"))
    customers = customer_profiles(dbt.ref("dim_customers"), dbt.ref("fct_customer_rfm"))
    # The relation, not a DataFrame: a store's customer sample is drawn in the warehouse.
    purchases = dbt.ref("int_order_lines_cleaned").filter("not is_return")
    return evaluate(purchases, customers, dbt.ref("int_customer_item_returns"), settings)

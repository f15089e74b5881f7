"""ml_recommendation_eval: every algorithm on a time-based split, overall and per segment."""

from retail_warehouse.recommendations import (
    customer_profiles,
    eval_options,
    evaluate,
    settings_from_config,
)


def model(dbt, session):
    config = dbt.config.get("recommendations")
    customers = customer_profiles(dbt.ref("dim_customers"), dbt.ref("fct_customer_rfm"))
    # The relation, not a DataFrame: a store's customer sample is drawn in the warehouse.
    purchases = dbt.ref("int_order_lines_cleaned").filter("not is_return")
    return evaluate(purchases, customers, settings_from_config(config), **eval_options(config))

"""ml_recommendation_eval: every algorithm on a time-based split, overall and per segment."""

from retail_warehouse.recommendations import (
    PURCHASE_COLUMNS,
    customer_profiles,
    eval_options,
    evaluate,
    settings_from_config,
)


def model(dbt, session):
    config = dbt.config.get("recommendations")
    purchases = (
        dbt.ref("int_order_lines_cleaned").filter("not is_return").project(PURCHASE_COLUMNS).df()
    )
    customers = customer_profiles(
        dbt.ref("dim_customers").project("store_id, customer_id, country").df(),
        dbt.ref("fct_customer_rfm").project("store_id, customer_id, segment").df(),
    )
    return evaluate(purchases, customers, settings_from_config(config), **eval_options(config))

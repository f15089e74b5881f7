"""ml_item_similarity: "customers who bought this also bought", top N per item and store."""

from retail_warehouse.recommendations import item_similarity, settings_from_config


def model(dbt, session):
    settings = settings_from_config(dbt.config.get("recommendations"))
    # The relation, not a DataFrame: the package reads one store at a time as Arrow.
    return item_similarity(dbt.ref("int_customer_item_interactions"), settings)

"""ml_recommendation_fit: each store's model (neighbour graph, factors), fitted once."""

from retail_warehouse.recommendations import RecommendationSettings, recommendation_fit


def model(dbt, session):
    settings = RecommendationSettings.from_config(dbt.config.get("recommendations"))
    # The relation, not a DataFrame: the package reads one store at a time as Arrow.
    return recommendation_fit(dbt.ref("int_customer_item_interactions"), settings)

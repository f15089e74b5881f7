"""ml_item_similarity: "customers who bought this also bought", top N per item and store."""

from retail_warehouse.recommendations import RecommendationSettings, item_similarity


def model(dbt, session):
    settings = RecommendationSettings.from_config(dbt.config.get("recommendations"))
    return item_similarity(dbt.ref("ml_recommendation_fit"), settings)

"""The model against the historical-rate and segment-mean baselines, overall and per segment."""

from retail_warehouse.predictions import PredictionSettings, prediction_eval


def model(dbt, session):
    settings = PredictionSettings.from_config(dbt.config.get("predictions"))
    segments = (
        dbt.ref("int_customers_scored_at_cutoff")
        .filter(f"scoring_method = '{settings.rfm_scoring_method}'")
        .project("store_id, customer_id, segment")
        .df()
    )
    return prediction_eval(dbt.ref("ml_holdout_predictions").df(), segments)

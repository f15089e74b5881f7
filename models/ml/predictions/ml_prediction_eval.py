"""The model against the historical-rate and segment-mean baselines, overall and per segment."""

from retail_warehouse.predictions import prediction_eval


def model(dbt, session):
    method = dbt.config.get("predictions")["rfm_scoring_method"]
    segments = (
        dbt.ref("int_customers_scored_at_cutoff")
        .filter(f"scoring_method = '{method}'")
        .project("store_id, customer_id, segment")
        .df()
    )
    return prediction_eval(dbt.ref("ml_holdout_predictions").df(), segments)

"""Each customer's probability alive, expected purchases, order value, CLV and churn risk."""

from retail_warehouse.predictions import PredictionSettings, customer_predictions, read_histories


def model(dbt, session):
    settings = PredictionSettings.from_config(dbt.config.get("predictions"))
    histories = read_histories(dbt.ref("int_customer_histories_summarised"))
    return customer_predictions(histories, dbt.ref("ml_clv_model_fit").df(), settings)

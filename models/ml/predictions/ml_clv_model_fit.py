"""BG/NBD and Gamma-Gamma per store, fitted on all of the history and on the calibration period."""

from retail_warehouse.predictions import PredictionSettings, model_fits, read_histories


def model(dbt, session):
    settings = PredictionSettings.from_config(dbt.config.get("predictions"))
    current = read_histories(dbt.ref("int_customer_histories_summarised"))
    calibration = read_histories(dbt.ref("int_customer_histories_split"))
    return model_fits(current, calibration, settings)

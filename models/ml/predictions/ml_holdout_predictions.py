"""The calibration fit's predictions for the holdout, the baseline's, and what was bought."""

from retail_warehouse.predictions import HOLDOUT_EXTRA_COLUMNS, holdout_predictions, read_histories


def model(dbt, session):
    split = read_histories(dbt.ref("int_customer_histories_split"), HOLDOUT_EXTRA_COLUMNS)
    return holdout_predictions(split, dbt.ref("ml_clv_model_fit").df())

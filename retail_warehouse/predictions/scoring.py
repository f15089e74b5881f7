"""Each customer's predictions from a store's fitted parameters (a row of ml_clv_model_fit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from retail_warehouse.predictions.fitting import PURCHASE_MODEL, SPEND_MODEL
from retail_warehouse.predictions.formulas import (
    BgNbd,
    GammaGamma,
    discounted_value,
    poisson_median,
)
from retail_warehouse.predictions.inputs import StoreHistories, by_store
from retail_warehouse.predictions.settings import PredictionSettings

YEAR_DAYS = 365


def fitted_models(fits: Any, store_id: str, fitted_on: str) -> tuple[BgNbd, GammaGamma] | None:
    """The store's two converged models, or None when either did not converge."""
    frame = fits if isinstance(fits, pd.DataFrame) else fits.df()
    rows = frame[(frame["store_id"] == store_id) & (frame["fitted_on"] == fitted_on)]
    by_model = {row["model"]: row for _, row in rows.iterrows() if row["is_converged"]}
    if PURCHASE_MODEL not in by_model or SPEND_MODEL not in by_model:
        return None
    purchase, spend = by_model[PURCHASE_MODEL], by_model[SPEND_MODEL]
    return (
        BgNbd(*(float(purchase[name]) for name in ("r", "alpha", "a", "b"))),
        GammaGamma(*(float(spend[name]) for name in ("p", "q", "v"))),
    )


def order_values(store: StoreHistories, spend: GammaGamma) -> tuple[np.ndarray, np.ndarray]:
    """Expected purchase value, and its basis: a customer without a repeat purchase of
    positive value (one-time buyers, and repeats worth nothing) gets the store's mean."""
    x, mean = store.x, store.mean_value
    own = (x > 0) & (mean > 0)
    value = spend.expected_order_value(np.where(own, x, 0.0), np.where(own, mean, 0.0))
    return value, np.where(own, "own_repeats", "store_mean")


def churn_risk(churn_probability: np.ndarray, settings: PredictionSettings) -> np.ndarray:
    return np.select(
        [
            churn_probability >= settings.clv_churn_high_from,
            churn_probability < settings.clv_churn_low_below,
        ],
        ["high", "low"],
        "medium",
    )


def _store_predictions(
    store: StoreHistories, purchase: BgNbd, spend: GammaGamma, settings: PredictionSettings
) -> pa.Table:
    x, t_x, T = store.x, store.t_x, store.T
    horizon = float(settings.clv_horizon_days)
    value, basis = order_values(store, spend)
    no_purchase = purchase.probability_no_purchase(x, t_x, T, horizon)
    return pa.table(
        {
            "store_id": store.table["store_id"],
            "customer_id": store.table["customer_id"],
            "horizon_days": pa.array(np.full(len(x), settings.clv_horizon_days, dtype=np.int32)),
            "probability_alive": purchase.probability_alive(x, t_x, T),
            "expected_purchases": purchase.expected_purchases(x, t_x, T, horizon),
            "median_purchases": pa.array(
                purchase.median_purchases(x, t_x, T, horizon).astype(np.int32)
            ),
            "expected_purchases_365d": purchase.expected_purchases(x, t_x, T, float(YEAR_DAYS)),
            "expected_order_value": value,
            "order_value_basis": basis,
            "clv": discounted_value(
                purchase, value, x, t_x, T, horizon, settings.clv_discount_rate
            ),
            "churn_probability": no_purchase,
            "churn_risk": churn_risk(no_purchase, settings),
        }
    )


PREDICTION_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("customer_id", pa.string()),
        ("horizon_days", pa.int32()),
        ("probability_alive", pa.float64()),
        ("expected_purchases", pa.float64()),
        ("median_purchases", pa.int32()),
        ("expected_purchases_365d", pa.float64()),
        ("expected_order_value", pa.float64()),
        ("order_value_basis", pa.string()),
        ("clv", pa.float64()),
        ("churn_probability", pa.float64()),
        ("churn_risk", pa.string()),
    ]
)


def customer_predictions(histories: pa.Table, fits: Any, settings: PredictionSettings) -> pa.Table:
    """ml_customer_predictions: every customer of a store whose two models converged (the
    fit row of a store that did not says why its customers are missing)."""
    tables = []
    for store in by_store(histories):
        models = fitted_models(fits, store.store_id, "all")
        if models is not None:
            tables.append(_store_predictions(store, *models, settings))
    if not tables:
        return PREDICTION_SCHEMA.empty_table()
    return pa.concat_tables(tables).cast(PREDICTION_SCHEMA)


HOLDOUT_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("customer_id", pa.string()),
        ("holdout_days", pa.int32()),
        ("repeat_orders", pa.int32()),
        ("probability_alive", pa.float64()),
        ("predicted_purchases", pa.float64()),
        ("predicted_spend", pa.float64()),
        ("predicted_purchases_median", pa.int32()),
        ("predicted_spend_median", pa.float64()),
        ("historical_rate_purchases", pa.float64()),
        ("historical_rate_spend", pa.float64()),
        ("historical_rate_purchases_median", pa.int32()),
        ("historical_rate_spend_median", pa.float64()),
        ("actual_purchases", pa.int32()),
        ("actual_spend", pa.float64()),
    ]
)


def _store_holdout(store: StoreHistories, purchase: BgNbd, spend: GammaGamma) -> pa.Table:
    x, t_x, T = store.x, store.t_x, store.T
    days = store.column("holdout_days").astype(np.float64)
    predicted = purchase.expected_purchases(x, t_x, T, days)
    median = purchase.median_purchases(x, t_x, T, days)
    value, _ = order_values(store, spend)
    # The baseline: each customer keeps buying at their calibration rate of repeat purchases
    # per day of tenure, each worth their calibration mean per purchase.
    rate = x / T * days
    rate_median = poisson_median(rate)
    mean_per_order = store.column("spend").astype(np.float64) / store.column("orders")
    return pa.table(
        {
            "store_id": store.table["store_id"],
            "customer_id": store.table["customer_id"],
            "holdout_days": store.table["holdout_days"],
            "repeat_orders": store.table["repeat_orders"],
            "probability_alive": purchase.probability_alive(x, t_x, T),
            "predicted_purchases": predicted,
            "predicted_spend": predicted * value,
            "predicted_purchases_median": median,
            "predicted_spend_median": median * value,
            "historical_rate_purchases": rate,
            "historical_rate_spend": rate * mean_per_order,
            "historical_rate_purchases_median": rate_median,
            "historical_rate_spend_median": rate_median * mean_per_order,
            "actual_purchases": store.table["holdout_orders"],
            "actual_spend": store.column("holdout_spend").astype(np.float64),
        }
    )


HOLDOUT_EXTRA_COLUMNS = "holdout_days, spend, orders, holdout_orders, holdout_spend"


def holdout_predictions(split: pa.Table, fits: Any) -> pa.Table:
    """ml_holdout_predictions: the calibration fit's predictions for the holdout next to the
    historical-rate baseline and what each customer actually bought."""
    tables = []
    for store in by_store(split):
        models = fitted_models(fits, store.store_id, "calibration")
        if models is not None:
            tables.append(_store_holdout(store, *models))
    if not tables:
        return HOLDOUT_SCHEMA.empty_table()
    return pa.concat_tables(tables).cast(HOLDOUT_SCHEMA)

"""ml_prediction_eval: the model's holdout predictions against two baselines, per segment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.labels import ALL_CUSTOMERS

# Each predictor's columns of ml_holdout_predictions (purchases, spend). The means suit totals
# and squared errors, the medians absolute errors; the segment mean is added per segment.
COLUMNS = {
    "bg_nbd": ("predicted_purchases", "predicted_spend"),
    "bg_nbd_median": ("predicted_purchases_median", "predicted_spend_median"),
    "historical_rate": ("historical_rate_purchases", "historical_rate_spend"),
    "historical_rate_median": (
        "historical_rate_purchases_median",
        "historical_rate_spend_median",
    ),
    "segment_mean": ("segment_mean_purchases", "segment_mean_spend"),
}
EVAL_COLUMNS = [
    "store_id",
    "segment",
    "predictor",
    "customers",
    "actual_purchases",
    "predicted_purchases",
    "purchases_mae",
    "purchases_rmse",
    "purchases_correlation",
    "actual_spend",
    "predicted_spend",
    "spend_mae",
    "spend_rmse",
    "spend_correlation",
]


def _correlation(predicted: np.ndarray, actual: np.ndarray) -> float:
    if len(actual) < 2 or np.std(predicted) == 0 or np.std(actual) == 0:
        return float("nan")  # undefined for a constant predictor (the segment mean in a segment)
    return float(np.corrcoef(predicted, actual)[0, 1])


def _scores(group: pd.DataFrame, predicted: tuple[str, str]) -> dict[str, float]:
    scores: dict[str, float] = {"customers": len(group)}
    for quantity, column in zip(("purchases", "spend"), predicted, strict=True):
        actual = group[f"actual_{quantity}"].to_numpy(np.float64)
        guess = group[column].to_numpy(np.float64)
        error = guess - actual
        scores |= {
            f"actual_{quantity}": float(actual.sum()),
            f"predicted_{quantity}": float(guess.sum()),
            f"{quantity}_mae": float(np.abs(error).mean()),
            f"{quantity}_rmse": float(np.sqrt((error**2).mean())),
            f"{quantity}_correlation": _correlation(guess, actual),
        }
    return scores


def prediction_eval(holdout: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """One row per store, segment (and `(all customers)`) and predictor.

    ``holdout`` is ml_holdout_predictions; ``segments`` gives each customer's RFM segment at the
    cut-off (store_id, customer_id, segment). The `segment_mean` baseline predicts for each
    customer the mean of the historical-rate baseline over their segment (calibration data only).
    """
    frame = holdout.merge(segments, on=["store_id", "customer_id"], how="left")
    frame["segment"] = frame["segment"].fillna("(no segment)")
    grouped = frame.groupby(["store_id", "segment"])
    for quantity in ("purchases", "spend"):
        frame[f"segment_mean_{quantity}"] = grouped[f"historical_rate_{quantity}"].transform("mean")
    rows = []
    for store_id, store in frame.groupby("store_id", sort=True):
        groups = [(ALL_CUSTOMERS, store), *store.groupby("segment", sort=True)]
        for segment, group in groups:
            for predictor, columns in COLUMNS.items():
                rows.append(
                    {
                        "store_id": store_id,
                        "segment": segment,
                        "predictor": predictor,
                        **_scores(group, columns),
                    }
                )
    frame = pd.DataFrame(rows, columns=EVAL_COLUMNS)
    # Typed even when empty (a store whose fit did not converge has no holdout predictions).
    return frame.astype({"customers": "int64", **dict.fromkeys(EVAL_COLUMNS[4:], "float64")})

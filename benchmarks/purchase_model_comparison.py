"""Compares pymc-marketing's purchase models on the holdout of a built warehouse.

Fits BG/NBD, Pareto/NBD and MBG/NBD (MAP) on each store's calibration summary
(int_customer_histories_split) and scores their expected holdout purchases against what the
customers bought, next to the historical-rate baseline: the evidence for the purchase model that
ml_clv_model_fit uses (docs/predictions.md). Prints one row per store and model with the fit
time.

    .venv/bin/python benchmarks/purchase_model_comparison.py [--warehouse warehouse.duckdb]
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import duckdb
import numpy as np
import pandas as pd

COLUMNS = (
    "store_id, repeat_orders as frequency, days_first_to_last as recency, "
    "tenure_days as T, holdout_days, holdout_orders as actual"
)


def _fit(model_class, data: pd.DataFrame):
    import pymc as pm
    from pymc_extras.prior import Prior

    names = {"BetaGeoModel": "r alpha a b", "ParetoNBDModel": "r alpha s beta"}
    config = {n: Prior("HalfFlat") for n in names.get(model_class.__name__, "").split()}
    model = model_class(model_config=config) if config else model_class()
    model.build_model(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = pm.find_MAP(model=model.model, progressbar=False)
    model.idata = __import__("arviz").from_dict(
        posterior={k: np.array([[v]]) for k, v in values.items() if np.ndim(v) == 0}
    )
    return model


def main() -> int:
    from pymc_marketing.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default="warehouse.duckdb")
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    with duckdb.connect(args.warehouse, read_only=True) as con:
        split = con.sql(
            f"select {COLUMNS} from intermediate.int_customer_histories_split "
            "order by store_id, customer_id"
        ).df()
    rows = []
    for store_id, store in split.groupby("store_id"):
        data = store.assign(customer_id=np.arange(len(store)))[
            ["customer_id", "frequency", "recency", "T"]
        ]
        actual = store["actual"].to_numpy(float)
        days = store["holdout_days"].to_numpy(float)
        baseline = store["frequency"].to_numpy(float) / store["T"].to_numpy(float) * days
        rows.append((store_id, "historical_rate", 0.0, baseline, actual))
        for model_class in (BetaGeoModel, ParetoNBDModel, ModifiedBetaGeoModel):
            start = time.perf_counter()
            model = _fit(model_class, data)
            predicted = model.expected_purchases(data, future_t=days).values.ravel()
            rows.append(
                (store_id, model_class.__name__, time.perf_counter() - start, predicted, actual)
            )
    for store_id, name, seconds, predicted, actual in rows:
        error = predicted - actual
        print(
            f"{store_id:14} {name:22} fit+predict {seconds:6.1f} s  "
            f"total {predicted.sum():9.0f} / {actual.sum():7.0f}  "
            f"MAE {np.abs(error).mean():.4f}  RMSE {np.sqrt((error**2).mean()):.4f}  "
            f"corr {np.corrcoef(predicted, actual)[0, 1]:.4f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

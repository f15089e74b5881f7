"""MAP fits of pymc-marketing's BG/NBD and Gamma-Gamma models, one store at a time.

The models are pymc-marketing's (``BetaGeoModel``, ``GammaGammaModel``) with flat priors, so
the MAP is the maximum-likelihood fit; ``pymc.find_MAP`` is called directly for its optimiser
report, which says whether the fit converged. A fit that fails, or lands where the model's
predictions are undefined, becomes a row that says so (``is_converged`` false and a note),
never an exception: one odd store must not stop the others.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from retail_warehouse.predictions.formulas import BgNbd, GammaGamma
from retail_warehouse.predictions.inputs import by_store
from retail_warehouse.predictions.settings import PredictionSettings

PURCHASE_MODEL = "bg_nbd"
SPEND_MODEL = "gamma_gamma"
MIN_REPEAT_CUSTOMERS = 2  # fewer cannot tell a rate's spread from its mean
FIT_COLUMNS = [
    "store_id",
    "fitted_on",
    "model",
    "customers",
    "customers_fitted",
    "r",
    "alpha",
    "a",
    "b",
    "p",
    "q",
    "v",
    "log_likelihood",
    "iterations",
    "is_converged",
    "note",
]


@dataclass(frozen=True)
class ModelFit:
    """One row of ml_clv_model_fit."""

    model: str
    customers_fitted: int
    parameters: dict[str, float]
    log_likelihood: float | None
    iterations: int | None
    is_converged: bool
    note: str


def _quiet_map(model) -> tuple[dict[str, float], object]:
    import pymc as pm  # imported here: pytensor's start-up is paid only by the fitting models

    logging.getLogger("pymc").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values, result = pm.find_MAP(model=model, return_raw=True, progressbar=False)
    return {k: float(np.asarray(v)) for k, v in values.items() if np.ndim(v) == 0}, result


def _flat(names: str) -> dict:
    from pymc_extras.prior import Prior

    return {name: Prior("HalfFlat") for name in names.split()}


def _failed(model: str, fitted: int, note: str) -> ModelFit:
    return ModelFit(model, fitted, {}, None, None, False, note)


def fit_bg_nbd(frequency: np.ndarray, recency: np.ndarray, T: np.ndarray) -> ModelFit:
    """BG/NBD on repeat purchases, days from first to last purchase, and tenure in days."""
    n = len(frequency)
    repeaters = int((frequency > 0).sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        return _failed(
            PURCHASE_MODEL, n, f"not fitted: {repeaters} customers with a repeat purchase"
        )
    from pymc_marketing.clv import BetaGeoModel

    data = pd.DataFrame(
        {"customer_id": np.arange(n), "frequency": frequency, "recency": recency, "T": T}
    )
    try:
        model = BetaGeoModel(model_config=_flat("r alpha a b"))
        model.build_model(data)
        values, result = _quiet_map(model.model)
    except Exception as error:  # a numerical failure is reported in the table, not raised
        return _failed(PURCHASE_MODEL, n, f"fit failed: {type(error).__name__}: {error}")
    parameters = {name: values.get(name, float("nan")) for name in ("r", "alpha", "a", "b")}
    fitted = BgNbd(**parameters)
    if not all(np.isfinite(v) and v > 0 for v in parameters.values()):
        return ModelFit(
            PURCHASE_MODEL,
            n,
            parameters,
            None,
            result.nit,
            False,
            "parameters not finite and positive",
        )
    log_likelihood = fitted.log_likelihood(frequency, recency, T)
    if not result.success:
        return ModelFit(
            PURCHASE_MODEL,
            n,
            parameters,
            log_likelihood,
            result.nit,
            False,
            f"optimiser: {result.message}",
        )
    if abs(parameters["a"] - 1) < 1e-6:
        return ModelFit(
            PURCHASE_MODEL,
            n,
            parameters,
            log_likelihood,
            result.nit,
            False,
            "a = 1: expected purchases undefined",
        )
    return ModelFit(PURCHASE_MODEL, n, parameters, log_likelihood, result.nit, True, "converged")


def fit_gamma_gamma(frequency: np.ndarray, mean_value: np.ndarray) -> ModelFit:
    """Gamma-Gamma on the customers with a repeat purchase of positive mean value."""
    usable = (frequency > 0) & (mean_value > 0)
    n = int(usable.sum())
    if n < MIN_REPEAT_CUSTOMERS:
        return _failed(
            SPEND_MODEL, n, f"not fitted: {n} customers with a repeat purchase of positive value"
        )
    from pymc_marketing.clv import GammaGammaModel

    x, mean = frequency[usable], mean_value[usable]
    data = pd.DataFrame({"customer_id": np.arange(n), "frequency": x, "monetary_value": mean})
    try:
        model = GammaGammaModel(model_config=_flat("p q v"))
        model.build_model(data)
        values, result = _quiet_map(model.model)
    except Exception as error:
        return _failed(SPEND_MODEL, n, f"fit failed: {type(error).__name__}: {error}")
    parameters = {name: values.get(name, float("nan")) for name in ("p", "q", "v")}
    if not all(np.isfinite(v) and v > 0 for v in parameters.values()):
        return ModelFit(
            SPEND_MODEL,
            n,
            parameters,
            None,
            result.nit,
            False,
            "parameters not finite and positive",
        )
    log_likelihood = GammaGamma(**parameters).log_likelihood(x, mean)
    if not result.success:
        return ModelFit(
            SPEND_MODEL,
            n,
            parameters,
            log_likelihood,
            result.nit,
            False,
            f"optimiser: {result.message}",
        )
    if parameters["q"] <= 1:
        return ModelFit(
            SPEND_MODEL,
            n,
            parameters,
            log_likelihood,
            result.nit,
            False,
            "q <= 1: spend has no finite mean",
        )
    return ModelFit(SPEND_MODEL, n, parameters, log_likelihood, result.nit, True, "converged")


def sample_index(n: int, size: int, seed: int) -> np.ndarray:
    """A seeded sample of ``size`` of ``n`` customers in input order (all when n <= size)."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def _row(store_id: str, fitted_on: str, customers: int, fit: ModelFit) -> dict:
    return {
        "store_id": store_id,
        "fitted_on": fitted_on,
        "model": fit.model,
        "customers": customers,
        "customers_fitted": fit.customers_fitted,
        **{name: fit.parameters.get(name) for name in ("r", "alpha", "a", "b", "p", "q", "v")},
        "log_likelihood": fit.log_likelihood,
        "iterations": fit.iterations,
        "is_converged": fit.is_converged,
        "note": fit.note,
    }


def model_fits(
    current: pa.Table, calibration: pa.Table, settings: PredictionSettings
) -> pd.DataFrame:
    """ml_clv_model_fit: both models per store, fitted on all of the history (`all`, what
    ml_customer_predictions uses) and on the calibration period (`calibration`, what the
    holdout check uses). A store larger than ``fit_sample_size`` is fitted on a seeded sample."""
    rows = []
    for fitted_on, table in (("all", current), ("calibration", calibration)):
        for store in by_store(table):
            n = store.table.num_rows
            index = sample_index(n, settings.clv_fit_sample_size, settings.clv_seed)
            x, t_x, T, mean = (
                store.x[index],
                store.t_x[index],
                store.T[index],
                store.mean_value[index],
            )
            for fit in (fit_bg_nbd(x, t_x, T), fit_gamma_gamma(x, mean)):
                if not fit.is_converged:
                    warnings.warn(
                        f"ml_clv_model_fit: {fit.model} for store {store.store_id} ({fitted_on}) "
                        f"did not converge: {fit.note}; its customers get no predictions",
                        stacklevel=2,
                    )
                rows.append(_row(store.store_id, fitted_on, n, fit))
    frame = pd.DataFrame(rows, columns=FIT_COLUMNS)
    parameters = dict.fromkeys(("r", "alpha", "a", "b", "p", "q", "v", "log_likelihood"), "float64")
    return frame.astype(
        {
            "customers": "int64",
            "customers_fitted": "int64",
            "iterations": "Int64",
            "is_converged": "bool",
            **parameters,
        }
    )

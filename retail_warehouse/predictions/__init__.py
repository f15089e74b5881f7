"""Buy-till-you-die predictions per store: pymc-marketing's BG/NBD (purchases) and Gamma-Gamma
(spend) fitted by MAP, each customer's predictions from the fitted parameters, and the check
of those predictions on a time split against two baselines (docs/predictions.md).

The dbt Python models in models/ml/predictions call one function each.
"""

from retail_warehouse.predictions.cluster_k import (
    BOUGHT_COLUMNS,
    CUTOFF_RFM_COLUMNS,
    actionable_k,
    cluster_k_holdout,
)
from retail_warehouse.predictions.evaluation import prediction_eval
from retail_warehouse.predictions.fitting import fit_bg_nbd, fit_gamma_gamma, model_fits
from retail_warehouse.predictions.formulas import BgNbd, GammaGamma, discounted_value
from retail_warehouse.predictions.inputs import read_histories
from retail_warehouse.predictions.scoring import (
    HOLDOUT_EXTRA_COLUMNS,
    customer_predictions,
    holdout_predictions,
)
from retail_warehouse.predictions.settings import PredictionSettings

__all__ = [
    "BOUGHT_COLUMNS",
    "CUTOFF_RFM_COLUMNS",
    "HOLDOUT_EXTRA_COLUMNS",
    "BgNbd",
    "GammaGamma",
    "PredictionSettings",
    "actionable_k",
    "cluster_k_holdout",
    "customer_predictions",
    "discounted_value",
    "fit_bg_nbd",
    "fit_gamma_gamma",
    "holdout_predictions",
    "model_fits",
    "prediction_eval",
    "read_histories",
]

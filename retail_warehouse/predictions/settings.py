"""The prediction settings: one field per var of dbt_project.yml's "Predictions" block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from retail_warehouse.settings import from_config

CONFIG_SOURCE = "the `predictions` config of models/ml/predictions/_predictions__models.yml"


@dataclass(frozen=True)
class PredictionSettings:
    """What each var does is in dbt_project.yml and docs/settings.md."""

    clv_horizon_days: int
    clv_discount_rate: float
    clv_fit_sample_size: int
    clv_seed: int
    clv_churn_high_from: float
    clv_churn_low_below: float
    # The segments the evaluation reports per (fct_customer_rfm's method).
    rfm_scoring_method: Literal["cut_points", "percent_rank", "ntile"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> PredictionSettings:
        return from_config(cls, config, CONFIG_SOURCE)

    def __post_init__(self) -> None:
        for name in ("clv_horizon_days", "clv_fit_sample_size"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"var {name} must be a positive integer, got {value}")
        if not 0 <= self.clv_discount_rate < 1:
            raise ValueError(
                "var clv_discount_rate must be a yearly rate from 0 to 1, "
                f"got {self.clv_discount_rate}"
            )
        if not 0 < self.clv_churn_low_below <= self.clv_churn_high_from <= 1:
            raise ValueError(
                "vars clv_churn_low_below and clv_churn_high_from must be probabilities with "
                f"0 < low <= high <= 1, got {self.clv_churn_low_below} and "
                f"{self.clv_churn_high_from}"
            )

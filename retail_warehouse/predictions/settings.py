"""The prediction settings, one per dbt var, parsed once with errors that name the var."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PredictionSettings:
    horizon_days: int = 90  # clv_horizon_days
    discount_rate: float = 0.1  # clv_discount_rate: a year's discount, 0.1 = 10%
    fit_sample_size: int = 500_000  # clv_fit_sample_size: customers per store a fit reads
    seed: int = 42  # clv_seed
    churn_high_from: float = 0.8  # clv_churn_high_from: P(no purchase in the horizon)
    churn_low_below: float = 0.5  # clv_churn_low_below

    def __post_init__(self) -> None:
        for name, value in (
            ("clv_horizon_days", self.horizon_days),
            ("clv_fit_sample_size", self.fit_sample_size),
        ):
            if value < 1:
                raise ValueError(f"var {name} must be a positive integer, got {value}")
        if not 0 <= self.discount_rate < 1:
            raise ValueError(
                f"var clv_discount_rate must be a yearly rate from 0 to 1, got {self.discount_rate}"
            )
        if not 0 < self.churn_low_below <= self.churn_high_from <= 1:
            raise ValueError(
                "vars clv_churn_low_below and clv_churn_high_from must be probabilities with "
                f"0 < low <= high <= 1, got {self.churn_low_below} and {self.churn_high_from}"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> PredictionSettings:
        """From the `predictions` model config (values named like the vars, maybe strings)."""
        config = config or {}
        fields: dict[str, Any] = {}
        for field, name, kind in (
            ("horizon_days", "clv_horizon_days", int),
            ("discount_rate", "clv_discount_rate", float),
            ("fit_sample_size", "clv_fit_sample_size", int),
            ("seed", "clv_seed", int),
            ("churn_high_from", "clv_churn_high_from", float),
            ("churn_low_below", "clv_churn_low_below", float),
        ):
            raw = config.get(name)
            if raw is None or str(raw).strip() == "":
                continue
            try:
                number = float(raw)
            except (TypeError, ValueError):
                raise ValueError(f"var {name} must be a number, got {raw!r}") from None
            if kind is int and not number.is_integer():
                raise ValueError(f"var {name} must be an integer, got {raw!r}")
            fields[field] = kind(number)
        return cls(**fields)

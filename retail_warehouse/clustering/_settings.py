"""The clustering settings: one field per var of dbt_project.yml's "Clustering" block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from retail_warehouse.settings import from_config

CONFIG_SOURCE = "the `clustering` config of models/ml/clustering/_clustering__models.yml"
MIN_FIT_SAMPLE = 1_000  # a sample cap below this could not fit cluster_k_max clusters reliably


@dataclass(frozen=True)
class ClusteringSettings:
    """What each var does is in dbt_project.yml and docs/settings.md."""

    cluster_k: int | Literal["auto"]
    cluster_k_min: int
    cluster_k_max: int
    cluster_seed: int
    cluster_n_init: int
    cluster_fit_sample_size: int
    mixture_fit_sample_size: int
    cluster_silhouette_sample_size: int
    cluster_outliers: Literal["clip", "flag"]
    cluster_clip_quantile: float
    mixture_components: int | Literal["auto"]
    cluster_min_share: float
    cluster_min_buying_gap: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ClusteringSettings:
        return from_config(cls, config, CONFIG_SOURCE)

    def __post_init__(self) -> None:
        if self.cluster_k_min < 2 or self.cluster_k_max < self.cluster_k_min:
            raise ValueError(
                f"vars cluster_k_min/cluster_k_max need 2 <= min <= max, "
                f"got {self.cluster_k_min}/{self.cluster_k_max}"
            )
        for name in ("cluster_k", "mixture_components"):
            value = getattr(self, name)
            if value != "auto" and not self.cluster_k_min <= value <= self.cluster_k_max:
                raise ValueError(
                    f"var {name} must be `auto` or a number from cluster_k_min "
                    f"({self.cluster_k_min}) to cluster_k_max ({self.cluster_k_max}), got {value}"
                )
        for name in ("cluster_silhouette_sample_size", "cluster_n_init"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"var {name} must be a positive integer, got {getattr(self, name)}"
                )
        for name in ("cluster_fit_sample_size", "mixture_fit_sample_size"):
            if getattr(self, name) < MIN_FIT_SAMPLE:
                raise ValueError(
                    f"var {name} must be at least {MIN_FIT_SAMPLE}, got {getattr(self, name)}"
                )
        for name in ("cluster_min_share", "cluster_min_buying_gap"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"var {name} must be a share from 0 to 1, got {value}")
        if not 0.5 < self.cluster_clip_quantile <= 1:
            raise ValueError(
                f"var cluster_clip_quantile must be in (0.5, 1], got {self.cluster_clip_quantile}"
            )

    @property
    def k_values(self) -> range:
        """The k values ml_cluster_k_selection tries."""
        return range(self.cluster_k_min, self.cluster_k_max + 1)

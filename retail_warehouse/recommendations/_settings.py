"""The recommendation settings: one field per var of dbt_project.yml's "Recommendations" block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from retail_warehouse.settings import from_config

CONFIG_SOURCE = (
    "the `recommendations` config of models/ml/recommendations/_recommendations__models.yml"
)
Algorithm = Literal["popularity", "item_cosine", "bm25", "als", "bpr"]
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)


@dataclass(frozen=True)
class RecommendationSettings:
    """What each var does is in dbt_project.yml and docs/settings.md."""

    rec_algorithm: Algorithm
    rec_similar_items: int
    rec_customer_items: int
    rec_min_item_customers: int
    rec_neighbours: int
    rec_candidate_neighbours: int
    rec_factors: int
    rec_iterations: int
    rec_bpr_epochs: int
    rec_regularization: float
    rec_factor_candidates: Literal["neighbours", "all"]
    rec_seed: int
    rec_holdout_days: int
    rec_eval_k: int
    rec_eval_algorithms: tuple[Algorithm, ...]
    rec_eval_max_customers: int | None
    rec_eval_min_customers: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> RecommendationSettings:
        return from_config(cls, config, CONFIG_SOURCE)

    def __post_init__(self) -> None:
        for name in (
            "rec_similar_items",
            "rec_customer_items",
            "rec_min_item_customers",
            "rec_neighbours",
            "rec_candidate_neighbours",
            "rec_factors",
            "rec_eval_k",
            "rec_holdout_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"var {name} must be at least 1, got {getattr(self, name)!r}")
        if self.rec_eval_max_customers is not None and self.rec_eval_max_customers < 1:
            raise ValueError(
                f"var rec_eval_max_customers must be null or at least 1, "
                f"got {self.rec_eval_max_customers!r}"
            )

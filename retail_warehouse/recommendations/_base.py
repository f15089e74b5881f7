"""The recommender family: one store's model over its kept catalogue (items past the
item-history line), fitted once by ml_recommendation_fit and restored by the models that
apply it.

Every model has an item-item ``graph`` (kept items x kept items, float32, no self-loops, sorted
indices): the neighbour models' similarity, or the co-purchase cosine graph the factor models
take their candidates from. Factor models also have item and customer factors. The graph and
the factors are all of a fitted model's state: ``restore`` rebuilds the model from them.
"""

from __future__ import annotations

import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from retail_warehouse.recommendations._settings import RecommendationSettings

LOG = logging.getLogger("retail_warehouse.recommendations")
Entries = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # rows, cols, scores, ranks


@contextmanager
def quiet() -> Iterator[None]:
    """One BLAS thread around implicit, as it advises (its constructors warn otherwise), and
    none of its CSR-conversion warnings: its item-item models weight the matrix into COO and
    then warn about converting their own result.

    The filter is added for the whole process and never removed: `warnings.catch_warnings`
    around each call is not thread-safe (dbt runs two models at once, and the first to finish
    re-enabled the warning for the other). It is added here rather than at import because
    whoever imports the module may do so inside a catch_warnings block of its own.
    """
    warnings.filterwarnings("ignore", message="Method expects CSR input", module=r"implicit\.")
    with threadpool_limits(1, "blas"):
        yield


class Recommender(ABC):
    """A fitted model of one store's customers x kept items."""

    graph: sp.csr_matrix

    def __init__(self, algorithm: str, settings: RecommendationSettings):
        self.algorithm = algorithm
        self.settings = settings

    @abstractmethod
    def fit(self, matrix: sp.csr_matrix) -> None:
        """Fits on the customers x kept items matrix of `orders`."""

    @abstractmethod
    def similar_items(self, n: int) -> Entries:
        """(item, similar item, score, rank) of each kept item's n most similar, in item order."""

    @abstractmethod
    def recommend(
        self, customers: np.ndarray, rows: sp.csr_matrix, n: int, excluded: sp.csr_matrix | None
    ) -> Entries:
        """(row of `rows`, kept item, score, rank) of the n best items for each of these
        customers (codes; `rows` their kept-item histories), none they bought and none
        stored in `excluded` (same shape as `rows`)."""

    @property
    def item_factors(self) -> np.ndarray | None:
        return None

    @property
    def user_factors(self) -> np.ndarray | None:
        return None

    @classmethod
    @abstractmethod
    def restore(
        cls,
        algorithm: str,
        settings: RecommendationSettings,
        graph: sp.csr_matrix,
        item_factors: np.ndarray | None,
        user_factors: np.ndarray | None,
    ) -> Self:
        """The fitted model back from its graph and factors."""

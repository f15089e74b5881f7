"""Neighbour models (implicit's item-item models): item_cosine (CosineRecommender) and bm25
(BM25Recommender). A customer's candidates are the neighbours of the items they bought, scored
by the sum of the similarities."""

from __future__ import annotations

import functools
from typing import Self

import numpy as np
import scipy.sparse as sp

from retail_warehouse.recommendations._base import Entries, Recommender, quiet
from retail_warehouse.recommendations._ranking import (
    candidates,
    csr_entries,
    drop_pairs,
    top_per_row,
    with_nan_diagonal,
)
from retail_warehouse.recommendations._settings import RecommendationSettings


class NeighbourModel(Recommender):
    """The `rec_neighbours` most similar items of each item; candidates from the graph."""

    def fit(self, matrix: sp.csr_matrix) -> None:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        kind = CosineRecommender if self.algorithm == "item_cosine" else BM25Recommender
        model = kind(K=int(self.settings.rec_neighbours), num_threads=0)
        with quiet():
            model.fit(matrix, show_progress=False)
        rows, cols, values = csr_entries(model.similarity.tocsr())
        other = (rows != cols) & (values != 0)  # an item is not its own neighbour
        self.graph = sp.csr_matrix(
            (values[other].astype(np.float32), (rows[other], cols[other])),
            shape=model.similarity.shape,
        )
        self.graph.sort_indices()

    @classmethod
    def restore(
        cls,
        algorithm: str,
        settings: RecommendationSettings,
        graph: sp.csr_matrix,
        item_factors: np.ndarray | None,
        user_factors: np.ndarray | None,
    ) -> Self:
        model = cls(algorithm, settings)
        model.graph = graph
        return model

    @functools.cached_property
    def candidate_graph(self) -> sp.csr_matrix:
        return with_nan_diagonal(self.graph)

    def similar_items(self, n: int) -> Entries:
        return top_per_row(*csr_entries(self.graph), n)

    def recommend(
        self, customers: np.ndarray, rows: sp.csr_matrix, n: int, excluded: sp.csr_matrix | None
    ) -> Entries:
        r, c, scores = candidates(rows, self.candidate_graph)
        return top_per_row(*drop_pairs(r, c, scores, excluded), n)

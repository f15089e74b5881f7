"""Factor models (implicit's matrix factorisation): als (AlternatingLeastSquares on BM25-weighted
`orders`) and bpr (BayesianPersonalizedRanking).

Candidates (var `rec_factor_candidates`): `neighbours` (the default) ranks, by the factor
score, the co-purchase neighbours of what the customer bought (each item's nearest
`rec_candidate_neighbours` in an item_cosine graph of `rec_neighbours` per item), so the work
grows with the customers' histories rather than with customers x items; `all` scores every
kept item with implicit's batched `recommend`, which is exact but out of reach at millions of
customers and items. Similar items follow the same rule: the cosine neighbours reranked by the
cosine of the item factors, or every kept item.
"""

from __future__ import annotations

import functools
from typing import Self

import numpy as np
import scipy.sparse as sp

from retail_warehouse.recommendations._base import Entries, Recommender, quiet
from retail_warehouse.recommendations._neighbours import NeighbourModel
from retail_warehouse.recommendations._ranking import (
    candidates,
    csr_entries,
    drop_pairs,
    row_dots,
    top_per_row,
    with_nan_diagonal,
)
from retail_warehouse.recommendations._settings import RecommendationSettings


class FactorModel(Recommender):
    """Item and customer factors, and the cosine graph of the candidates."""

    def __init__(self, algorithm: str, settings: RecommendationSettings):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        super().__init__(algorithm, settings)
        if algorithm == "als":
            with quiet():  # the constructor checks the BLAS threads
                self.model = AlternatingLeastSquares(
                    factors=int(settings.rec_factors),
                    regularization=float(settings.rec_regularization),
                    iterations=int(settings.rec_iterations),
                    random_state=int(settings.rec_seed),
                    num_threads=0,
                )
        else:
            # BPR's parallel SGD updates race; one thread keeps it reproducible.
            self.model = BayesianPersonalizedRanking(
                factors=int(settings.rec_factors),
                iterations=int(settings.rec_bpr_epochs),
                random_state=int(settings.rec_seed),
                num_threads=1,
            )

    @property
    def by_neighbours(self) -> bool:
        return self.settings.rec_factor_candidates == "neighbours"

    def fit(self, matrix: sp.csr_matrix) -> None:
        if self.algorithm == "als":
            self._fit_als(matrix)
        else:
            with quiet():
                self.model.fit(matrix.astype(np.float32), show_progress=False)
        if self.by_neighbours:
            cosine = NeighbourModel("item_cosine", self.settings)
            cosine.fit(matrix)
            self.graph = cosine.graph
        else:  # candidates are every kept item: no graph
            self.graph = sp.csr_matrix((matrix.shape[1], matrix.shape[1]), dtype=np.float32)

    def _fit_als(self, matrix: sp.csr_matrix) -> None:
        """ALS on BM25-weighted `orders`, fitted on the customers with a kept item only: an
        empty row would only get a zero factor vector, and at full scale one customer in
        eight has no kept item (a fifth of the sweep time)."""
        from implicit.nearest_neighbours import bm25_weight

        weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr().astype(np.float32)
        train = np.flatnonzero(np.diff(weighted.indptr) > 0)
        with quiet():
            self.model.fit(weighted[train], show_progress=False)
        user_factors = np.zeros((matrix.shape[0], self.model.factors), dtype=np.float32)
        user_factors[train] = self.model.user_factors
        self.model.user_factors = user_factors

    @property
    def item_factors(self) -> np.ndarray:
        return np.asarray(self.model.item_factors, dtype=np.float32)

    @property
    def user_factors(self) -> np.ndarray:
        return np.asarray(self.model.user_factors, dtype=np.float32)

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
        model.model.item_factors = item_factors
        model.model.user_factors = user_factors
        return model

    @functools.cached_property
    def candidate_graph(self) -> sp.csr_matrix:
        """Each item's nearest `rec_candidate_neighbours` in the graph, NaN on the diagonal.
        (Computed once: on Python 3.11 cached_property locks while threads share the model.)"""
        rows, cols, values, _ = top_per_row(
            *csr_entries(self.graph), int(self.settings.rec_candidate_neighbours)
        )
        nearest = sp.csr_matrix((values, (rows, cols)), shape=self.graph.shape)
        return with_nan_diagonal(nearest)

    def similar_items(self, n: int) -> Entries:
        factors = self.item_factors
        norms = np.linalg.norm(factors, axis=1)
        unit = factors / np.where(norms > 0, norms, 1.0)[:, None]
        if self.by_neighbours:
            rows, cols, _ = csr_entries(self.graph)
            return top_per_row(rows, cols, row_dots(unit, unit, rows, cols), n)
        n_items = factors.shape[0]
        ids, scores = self.model.similar_items(np.arange(n_items), N=min(n + 1, n_items))
        rows = np.repeat(np.arange(n_items), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel()
        keep = (cols != rows) & (cols >= 0) & np.isfinite(data)
        order = np.lexsort((cols[keep], rows[keep]))  # (row, col) order for the ties
        return top_per_row(rows[keep][order], cols[keep][order], data[keep][order], n)

    def recommend(
        self, customers: np.ndarray, rows: sp.csr_matrix, n: int, excluded: sp.csr_matrix | None
    ) -> Entries:
        users, items = self.user_factors, self.item_factors
        if self.by_neighbours:
            r, c, _ = candidates(rows, self.candidate_graph)
            r, c, _ = drop_pairs(r, c, c, excluded)
            return top_per_row(r, c, row_dots(users, items, customers[r], c), n)
        n_items = rows.shape[1]
        # implicit leaves out every item stored in its `user_items`: the bought and the excluded.
        seen = rows if excluded is None else (rows + excluded).tocsr()
        with quiet():
            ids, scores = self.model.recommend(
                customers, seen, N=min(n, n_items), filter_already_liked_items=True
            )
        out_rows = np.repeat(np.arange(len(customers)), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel()
        keep = (cols >= 0) & np.isfinite(data) & (data > -1e30)
        order = np.lexsort((cols[keep], out_rows[keep]))
        return top_per_row(out_rows[keep][order], cols[keep][order], data[keep][order], n)

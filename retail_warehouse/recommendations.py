"""Product recommendations from implicit feedback: similar items and top-N items per customer.

Input is one row per store, customer and item bought (``int_customer_item_interactions``:
``store_id, customer_id, item_id, orders``). Every store is modelled on its own.

    item_similarity(interactions, settings)               -> ml_item_similarity
    recommend(interactions, customers, settings)          -> ml_customer_recommendations
    evaluate(purchases, customers, settings, ...)         -> ml_recommendation_eval

The algorithms come from ``implicit`` (0.7): ``item_cosine`` (CosineRecommender), ``bm25``
(BM25Recommender), ``als`` (AlternatingLeastSquares) and ``bpr`` (BayesianPersonalizedRanking);
``popularity`` (the most-bought items the customer does not have) is the baseline.

Only items bought by at least ``min_item_customers`` distinct customers (the item-history line)
take part in similarity and candidate generation: with fewer buyers an item's neighbours are
noise, and at full scale the line cuts a catalogue of millions mostly bought once or twice down
to what can be scored. Candidates are the neighbours of what a customer bought (a sparse
product of the customer's row with the item-item matrix, in batches) or, for the factor models,
implicit's batched ``recommend`` over the kept items. Nothing ever scores every item for every
customer outside the kept catalogue.

A customer whose history gives fewer than N candidates (say one purchase of a rare item) is
filled up from fallback rankings, in this order: the items most bought in the customer's
rule-based segment, then in their country, then overall. Already-bought items are never
recommended; ``source`` says where each row came from. Scores compare within one source only:
a model's score (a similarity sum or a factor dot product) and a popularity share (buyers over
customers of the group) are different units. Ranks follow the source order, then the score.

Deterministic: factor models take ``random_state`` from the seed, BPR runs on one thread (its
parallel SGD is not reproducible), and every ranking breaks ties by item id.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

ALGORITHMS = ("popularity", "item_cosine", "bm25", "als", "bpr")
NEIGHBOUR_ALGORITHMS = ("item_cosine", "bm25")
FACTOR_ALGORITHMS = ("als", "bpr")
FALLBACK_SOURCES = ("segment_popular", "country_popular", "overall_popular")
SOURCES = (*ALGORITHMS[1:], *FALLBACK_SOURCES)
INTERACTION_COLUMNS = "store_id, customer_id, item_id, orders"
PURCHASE_COLUMNS = "store_id, customer_id, item_id, order_id, ordered_at"


@dataclass(frozen=True)
class Settings:
    """Tunables; the dbt models fill them from the `rec_*` vars."""

    algorithm: str = "als"
    n_similar: int = 10
    n_recommendations: int = 10
    min_item_customers: int = 3
    neighbours: int = 50
    factors: int = 32
    iterations: int = 10
    regularization: float = 0.05
    seed: int = 42
    factor_candidates: str = "neighbours"
    batch_size: int = 50_000

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"rec_algorithm: unknown algorithm {self.algorithm!r}; "
                f"expected one of {', '.join(ALGORITHMS)}"
            )
        if self.factor_candidates not in ("neighbours", "all"):
            raise ValueError(
                f"rec_factor_candidates: expected neighbours or all, got {self.factor_candidates!r}"
            )
        for name in ("n_similar", "n_recommendations", "min_item_customers", "neighbours"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")


def _parse(value):
    """A config value as dbt hands it over: vars rendered into YAML config come as text."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("", "none", "null"):
            return None
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return value


def config_value(value, name: str, kind: type = int):
    """`value` parsed and converted; a clear error names the var when it cannot be."""
    parsed = _parse(value)
    if parsed is None or kind is None:
        return parsed
    if kind is list:
        items = [parsed] if isinstance(parsed, str) else list(parsed)
        return [str(item).strip() for item in items]
    try:
        return kind(parsed)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: expected {kind.__name__}, got {value!r}") from error


# The `rec_*` vars and the Settings field each one fills.
VAR_FIELDS = {
    "rec_algorithm": ("algorithm", str),
    "rec_similar_items": ("n_similar", int),
    "rec_customer_items": ("n_recommendations", int),
    "rec_min_item_customers": ("min_item_customers", int),
    "rec_neighbours": ("neighbours", int),
    "rec_factors": ("factors", int),
    "rec_iterations": ("iterations", int),
    "rec_regularization": ("regularization", float),
    "rec_seed": ("seed", int),
    "rec_factor_candidates": ("factor_candidates", str),
}


def settings_from_config(config: dict | None) -> Settings:
    """Settings from the `recommendations` config of a dbt model: the `rec_*` vars by name.

    A var that is missing or null keeps its default; an unknown algorithm or a value that is
    not a number stops with a message naming the var.
    """
    values = {}
    for var, (field, kind) in VAR_FIELDS.items():
        if config and var in config:
            value = config_value(config[var], var, kind)
            if value is not None:
                values[field] = value
    return Settings(**values)


def eval_options(config: dict | None) -> dict:
    """evaluate()'s keyword arguments from the `rec_holdout_days`, `rec_eval_*` vars."""
    config = config or {}
    options = {
        "holdout_days": config_value(config.get("rec_holdout_days"), "rec_holdout_days"),
        "k": config_value(config.get("rec_eval_k"), "rec_eval_k"),
        "algorithms": config_value(config.get("rec_eval_algorithms"), "rec_eval_algorithms", list),
        "max_customers": config_value(
            config.get("rec_eval_max_customers"), "rec_eval_max_customers"
        ),
    }
    return {name: value for name, value in options.items() if value is not None}


def customer_profiles(dim_customers: pd.DataFrame, customer_rfm: pd.DataFrame) -> pd.DataFrame:
    """store_id, customer_id, country (dim_customers) and segment (fct_customer_rfm)."""
    return dim_customers[["store_id", "customer_id", "country"]].merge(
        customer_rfm[["store_id", "customer_id", "segment"]],
        on=["store_id", "customer_id"],
        how="left",
    )


# --------------------------------------------------------------------------------------------
# Encoding


@dataclass
class StoreMatrix:
    """One store's interactions as a customers x items matrix (rows and columns sorted by id)."""

    customer_ids: np.ndarray
    item_ids: np.ndarray
    matrix: sp.csr_matrix  # float32 `orders`

    @property
    def item_customers(self) -> np.ndarray:
        return np.diff(self.matrix.tocsc().indptr)


def build_matrix(interactions: pd.DataFrame) -> StoreMatrix:
    """Encodes one store's (customer_id, item_id, orders) rows; ids are sorted as strings."""
    customer_codes, customer_ids = pd.factorize(interactions["customer_id"], sort=True)
    item_codes, item_ids = pd.factorize(interactions["item_id"], sort=True)
    weights = interactions["orders"].to_numpy(dtype=np.float32)
    matrix = sp.csr_matrix(
        (weights, (customer_codes, item_codes)), shape=(len(customer_ids), len(item_ids))
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return StoreMatrix(np.asarray(customer_ids), np.asarray(item_ids), matrix)


def _stores(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["store_id"].dropna().unique().tolist())


# --------------------------------------------------------------------------------------------
# Models


@contextmanager
def _quiet():
    """One BLAS thread around implicit (as it advises) and no CSR-conversion warnings: its
    item-item models convert their own weighted COO matrices."""
    from implicit.utils import ParameterWarning

    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ParameterWarning)
        yield


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The n best (row, col, score) of each row: score descending, ties by col; with rank 1..n.

    Three stable sorts (col, then score, then row) give the same order as a lexsort on the
    three keys, at less than half its cost on millions of candidates.
    """
    order = np.argsort(cols, kind="stable")
    order = order[np.argsort(-scores[order], kind="stable")]
    order = order[np.argsort(rows[order], kind="stable")]
    rows, cols, scores = rows[order], cols[order], scores[order]
    if not len(rows):
        empty = np.array([], dtype=np.int64)
        return rows, cols, scores, empty
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lengths = np.diff(np.r_[starts, len(rows)])
    rank = np.arange(len(rows)) - np.repeat(starts, lengths) + 1
    keep = rank <= n
    return rows[keep], cols[keep], scores[keep], rank[keep]


def _top_per_csr_row(matrix: sp.csr_matrix, n: int, dense_width: int = 128):
    """`_top_per_row` of a CSR matrix's stored entries, faster for short rows.

    Rows with at most `dense_width` entries (nearly all: a customer's candidates, an item's
    neighbours) are padded into a dense block and sorted row by row; a stable sort on the
    negated score keeps the sorted column order for ties. Longer rows take the general path.
    """
    matrix = matrix.tocsr()
    matrix.sort_indices()
    lengths = np.diff(matrix.indptr)
    short = np.flatnonzero((lengths > 0) & (lengths <= dense_width))
    long_rows = np.flatnonzero(lengths > dense_width)
    parts = []
    for start in range(0, len(short), 200_000):
        rows = short[start : start + 200_000]
        width = int(lengths[rows].max())
        sub = matrix[rows]
        row_of = np.repeat(np.arange(len(rows)), np.diff(sub.indptr))
        slot = np.arange(sub.nnz) - np.repeat(sub.indptr[:-1], np.diff(sub.indptr))
        scores = np.full((len(rows), width), -np.inf)
        cols = np.full((len(rows), width), -1, dtype=np.int64)
        scores[row_of, slot] = sub.data
        cols[row_of, slot] = sub.indices
        take = min(n, width)
        order = np.argsort(-scores, axis=1, kind="stable")[:, :take]
        best_scores = np.take_along_axis(scores, order, axis=1)
        best_cols = np.take_along_axis(cols, order, axis=1)
        keep = np.isfinite(best_scores)
        rank = np.broadcast_to(np.arange(1, take + 1), best_scores.shape)
        parts.append(
            (
                np.broadcast_to(rows[:, None], best_scores.shape)[keep],
                best_cols[keep],
                best_scores[keep],
                rank[keep],
            )
        )
    if len(long_rows):
        sub = matrix[long_rows].tocoo()
        r, c, v, k = _top_per_row(sub.row, sub.col, sub.data, n)
        parts.append((long_rows[r], c, v, k))
    if not parts:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64), empty
    rows, cols, scores, ranks = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((ranks, rows))
    return rows[order], cols[order], scores[order], ranks[order]


class _NeighbourModel:
    """implicit's item-item models; candidates = the neighbours of the customer's items."""

    def __init__(self, algorithm: str, settings: Settings):
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        k = int(settings.neighbours)
        self.model = (
            CosineRecommender(K=k, num_threads=0)
            if algorithm == "item_cosine"
            else BM25Recommender(K=k, num_threads=0)
        )

    def fit(self, matrix: sp.csr_matrix) -> None:
        with _quiet():
            self.model.fit(matrix, show_progress=False)
        similarity = self.model.similarity.tocsr().astype(np.float64)
        similarity.setdiag(0)
        similarity.eliminate_zeros()
        self.similarity = similarity

    def similar_items(self, n: int) -> tuple[np.ndarray, ...]:
        return _top_per_csr_row(self.similarity, n)

    def recommend(
        self, user_ids: np.ndarray, rows: sp.csr_matrix, n: int
    ) -> tuple[np.ndarray, ...]:
        scores = (rows @ self.similarity).tocsr()
        # Drop what the customer already has: subtract the scores at their own items.
        scores = scores - scores.multiply(rows.astype(bool))
        scores.eliminate_zeros()
        return _top_per_csr_row(scores, n)


class _FactorModel:
    """implicit's matrix-factorisation models.

    Candidates (var `rec_factor_candidates`): `neighbours` (the default) ranks, by the factor
    score, the co-purchase neighbours of what the customer bought (an item_cosine graph with
    `neighbours` per item), so the work grows with the customers' histories rather than with
    customers x items; `all` scores every kept item with implicit's batched `recommend`,
    which is exact but out of reach at millions of customers and items. Similar items follow
    the same rule: the cosine neighbours reranked by the cosine of the item factors, or every
    kept item.
    """

    def __init__(self, algorithm: str, settings: Settings):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        self.algorithm = algorithm
        self.candidates = settings.factor_candidates
        self.graph = _NeighbourModel("item_cosine", settings)
        if algorithm == "als":
            with _quiet():  # the constructor checks the BLAS threads
                self.model = AlternatingLeastSquares(
                    factors=int(settings.factors),
                    regularization=float(settings.regularization),
                    iterations=int(settings.iterations),
                    random_state=int(settings.seed),
                    num_threads=0,
                )
        else:
            # BPR's parallel SGD updates race; one thread keeps it reproducible.
            self.model = BayesianPersonalizedRanking(
                factors=int(settings.factors),
                iterations=int(settings.iterations) * 10,
                random_state=int(settings.seed),
                num_threads=1,
            )

    def fit(self, matrix: sp.csr_matrix) -> None:
        from implicit.nearest_neighbours import bm25_weight

        weighted = matrix
        if self.algorithm == "als":
            weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr().astype(np.float32)
        with _quiet():
            self.model.fit(weighted.astype(np.float32), show_progress=False)
        if self.candidates == "neighbours":
            self.graph.fit(matrix)

    def _dot(self, left: np.ndarray, right: np.ndarray, rows, cols, chunk=2_000_000):
        out = np.empty(len(rows), dtype=np.float64)
        for start in range(0, len(rows), chunk):
            part = slice(start, start + chunk)
            out[part] = np.einsum("ij,ij->i", left[rows[part]], right[cols[part]])
        return out

    def similar_items(self, n: int) -> tuple[np.ndarray, ...]:
        factors = np.asarray(self.model.item_factors, dtype=np.float64)
        if self.candidates == "neighbours":
            norms = np.linalg.norm(factors, axis=1)
            unit = factors / np.where(norms > 0, norms, 1.0)[:, None]
            coo = self.graph.similarity.tocoo()
            scores = self._dot(unit, unit, coo.row, coo.col)
            return _top_per_row(coo.row, coo.col, scores, n)
        n_items = factors.shape[0]
        ids, scores = self.model.similar_items(np.arange(n_items), N=min(n + 1, n_items))
        rows = np.repeat(np.arange(n_items), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel().astype(np.float64)
        keep = (cols != rows) & (cols >= 0) & np.isfinite(data)
        return _top_per_row(rows[keep], cols[keep], data[keep], n)

    def recommend(
        self, user_ids: np.ndarray, rows: sp.csr_matrix, n: int
    ) -> tuple[np.ndarray, ...]:
        if self.candidates == "neighbours":
            candidates = (rows @ self.graph.similarity).tocsr()
            candidates = candidates - candidates.multiply(rows.astype(bool))
            candidates.eliminate_zeros()
            coo = candidates.tocoo()
            users = np.asarray(self.model.user_factors, dtype=np.float32)
            items = np.asarray(self.model.item_factors, dtype=np.float32)
            scores = self._dot(users, items, user_ids[coo.row], coo.col)
            return _top_per_row(coo.row, coo.col, scores, n)
        n_items = rows.shape[1]
        with _quiet():
            ids, scores = self.model.recommend(
                user_ids, rows, N=min(n, n_items), filter_already_liked_items=True
            )
        out_rows = np.repeat(np.arange(len(user_ids)), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel().astype(np.float64)
        keep = (cols >= 0) & np.isfinite(data) & (data > -1e30)
        return _top_per_row(out_rows[keep], cols[keep], data[keep], n)


def _make_model(algorithm: str, settings: Settings):
    if algorithm in NEIGHBOUR_ALGORITHMS:
        return _NeighbourModel(algorithm, settings)
    return _FactorModel(algorithm, settings)


@dataclass
class _Fitted:
    store: StoreMatrix
    kept_items: np.ndarray  # item codes of the kept catalogue
    kept_matrix: sp.csr_matrix  # customers x kept items
    model: object | None


def _fit(store: StoreMatrix, algorithm: str, settings: Settings) -> _Fitted:
    kept_items = np.flatnonzero(store.item_customers >= int(settings.min_item_customers))
    kept_matrix = store.matrix[:, kept_items].tocsr()
    model = None
    if algorithm != "popularity" and len(kept_items) > 1:
        model = _make_model(algorithm, settings)
        model.fit(kept_matrix)
    return _Fitted(store, kept_items, kept_matrix, model)


# --------------------------------------------------------------------------------------------
# Item similarity

SIMILARITY_COLUMNS = ["store_id", "item_id", "similar_item_rank", "similar_item_id", "score"]


def item_similarity(interactions: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Top `n_similar` items bought by the same customers, per kept item and store.

    `popularity` has no item model, so it uses `item_cosine` here.
    """
    algorithm = "item_cosine" if settings.algorithm == "popularity" else settings.algorithm
    frames = []
    for store_id in _stores(interactions):
        store = build_matrix(interactions[interactions["store_id"] == store_id])
        fitted = _fit(store, algorithm, settings)
        if fitted.model is None:
            continue
        rows, cols, scores, rank = fitted.model.similar_items(int(settings.n_similar))
        frames.append(
            pd.DataFrame(
                {
                    "store_id": store_id,
                    "item_id": store.item_ids[fitted.kept_items[rows]],
                    "similar_item_rank": rank.astype(np.int64),
                    "similar_item_id": store.item_ids[fitted.kept_items[cols]],
                    "score": scores,
                }
            )
        )
    if not frames:
        return _empty(SIMILARITY_COLUMNS)
    return pd.concat(frames, ignore_index=True)[SIMILARITY_COLUMNS]


def _empty(columns: list[str]) -> pd.DataFrame:
    dtypes = {
        "similar_item_rank": "int64",
        "recommendation_rank": "int64",
        "score": "float64",
        "k": "int64",
        "cutoff_at": "datetime64[us]",
        "customers": "int64",
        "is_default": "bool",
        **dict.fromkeys(
            ["precision_at_k", "recall_at_k", "map_at_k", "ndcg_at_k", "hit_rate"], "float64"
        ),
        "catalog_coverage": "float64",
    }
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in columns})


# --------------------------------------------------------------------------------------------
# Customer recommendations

RECOMMENDATION_COLUMNS = [
    "store_id",
    "customer_id",
    "recommendation_rank",
    "item_id",
    "score",
    "source",
]


def _model_candidates(fitted: _Fitted, customers: np.ndarray, n: int, batch_size: int):
    """(customer code, item code, score) of the model's top n per customer, in batches."""
    out = []
    if fitted.model is None:
        return out
    has_history = np.diff(fitted.kept_matrix.indptr)[customers] > 0
    customers = customers[has_history]
    for start in range(0, len(customers), batch_size):
        batch = customers[start : start + batch_size]
        rows, cols, scores, _ = fitted.model.recommend(batch, fitted.kept_matrix[batch], n)
        out.append((batch[rows], fitted.kept_items[cols], scores))
    return out


def _popularity_ranking(matrix: sp.csr_matrix, customers: np.ndarray) -> tuple[np.ndarray, ...]:
    """Items bought by these customers: (item codes, share of them who bought it), best first."""
    sub = matrix[customers]
    buyers = np.diff(sub.tocsc().indptr)
    items = np.flatnonzero(buyers)
    order = np.lexsort((items, -buyers[items]))
    items = items[order]
    return items, buyers[items] / max(len(customers), 1)


def _fill(
    needy: np.ndarray,
    need: np.ndarray,
    group_of: np.ndarray,
    rankings: dict[int, tuple[np.ndarray, np.ndarray]],
    taken: np.ndarray,
    n_items: int,
    chunk: int,
    block_size: int = 100_000,
) -> tuple[np.ndarray, ...]:
    """Fills each needy customer with up to `need` items from their group's ranking.

    Walks the ranking in windows so that a customer who already has the top items moves on to
    the next ones; `taken` holds customer * n_items + item keys that may not be recommended. A
    customer is in one group and a ranking lists an item once, so a pair comes up at most once.
    """
    out_c, out_i, out_s = [], [], []
    need = need.copy()
    taken = np.unique(taken)
    for group, (items, shares) in rankings.items():
        group_members = np.flatnonzero((group_of == group) & (need > 0))
        # Blocks of customers keep the customers x window arrays small at millions of customers.
        for block in range(0, len(group_members), block_size):
            members = group_members[block : block + block_size]
            start = 0
            while len(members) and start < len(items):
                window = slice(start, start + chunk)
                w_items, w_shares = items[window], shares[window]
                cust = np.repeat(members, len(w_items))
                item = np.tile(w_items, len(members))
                share = np.tile(w_shares, len(members))
                keys = needy[cust].astype(np.int64) * n_items + item
                pos = np.searchsorted(taken, keys)
                free = ~((pos < len(taken)) & (taken[np.minimum(pos, len(taken) - 1)] == keys))
                cust, item, share = cust[free], item[free], share[free]
                # Order within a customer is the ranking order; keep the first `need` of them.
                first = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]]) if len(cust) else cust
                lengths = np.diff(np.r_[first, len(cust)])
                position = np.arange(len(cust)) - np.repeat(first, lengths)
                keep = position < need[cust]
                out_c.append(needy[cust[keep]])
                out_i.append(item[keep])
                out_s.append(share[keep])
                need -= np.bincount(cust[keep], minlength=len(need))
                members = members[need[members] > 0]
                start += chunk
    if not out_c:
        empty = np.array([], dtype=np.int64)
        return empty, empty, np.array([], dtype=np.float64), need
    return np.concatenate(out_c), np.concatenate(out_i), np.concatenate(out_s), need


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Group codes (-1 for null) and the group labels."""
    codes, labels = pd.factorize(values, sort=True)
    return codes, np.asarray(labels)


def _recommend_store(
    store: StoreMatrix,
    fitted: _Fitted,
    customers: pd.DataFrame,
    settings: Settings,
    algorithm: str,
    only_customers: np.ndarray | None = None,
) -> pd.DataFrame:
    n = int(settings.n_recommendations)
    n_items = len(store.item_ids)
    targets = (
        np.arange(len(store.customer_ids))
        if only_customers is None
        else np.asarray(only_customers, dtype=np.int64)
    )
    parts_c, parts_i, parts_s, parts_src = [], [], [], []
    for c, i, s in _model_candidates(fitted, targets, n, int(settings.batch_size)):
        parts_c.append(c)
        parts_i.append(i)
        parts_s.append(s)
        parts_src.append(np.full(len(c), SOURCES.index(algorithm), dtype=np.int8))
    have = np.zeros(len(store.customer_ids), dtype=np.int64)
    if parts_c:
        have += np.bincount(np.concatenate(parts_c), minlength=len(have))

    # Fallbacks, in order, for customers still short of n.
    profile = (
        pd.DataFrame({"customer_id": store.customer_ids})
        .merge(customers, on="customer_id", how="left")
        .reindex(columns=["customer_id", "segment", "country"])
    )
    matrix = store.matrix
    bought_keys = (
        np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * n_items
        + matrix.indices
    )
    recommended_keys = (
        np.concatenate(parts_c).astype(np.int64) * n_items + np.concatenate(parts_i)
        if parts_c
        else np.array([], dtype=np.int64)
    )
    taken = np.concatenate([bought_keys, recommended_keys])
    all_customers = np.arange(matrix.shape[0])
    fallback_groups = []
    if algorithm != "popularity":
        fallback_groups += [("segment_popular", "segment"), ("country_popular", "country")]
    fallback_groups.append(("overall_popular", None))
    for source, column in fallback_groups:
        need = np.maximum(n - have[targets], 0)
        if not need.any():
            break
        needy_mask = need > 0
        needy, need = targets[needy_mask], need[needy_mask]
        if column is None:
            group_of = np.zeros(len(needy), dtype=np.int64)
            rankings = {0: _popularity_ranking(matrix, all_customers)}
        else:
            codes, _ = _codes(profile[column])
            group_of = codes[needy]
            rankings = {
                int(g): _popularity_ranking(matrix, np.flatnonzero(codes == g))
                for g in np.unique(group_of)
                if g >= 0
            }
        c, i, s, _ = _fill(needy, need, group_of, rankings, taken, n_items, chunk=4 * n)
        if len(c):
            parts_c.append(c)
            parts_i.append(i)
            parts_s.append(s)
            parts_src.append(np.full(len(c), SOURCES.index(source), dtype=np.int8))
            have += np.bincount(c, minlength=len(have))
            taken = np.concatenate([taken, c.astype(np.int64) * n_items + i])

    if not parts_c:
        return _empty(RECOMMENDATION_COLUMNS)
    c = np.concatenate(parts_c)
    i = np.concatenate(parts_i)
    s = np.concatenate(parts_s).astype(np.float64)
    src = np.concatenate(parts_src)
    # Rank: source order first (model, then each fallback in turn), then score, then item id.
    order = np.lexsort((i, -s, src, c))
    c, i, s, src = c[order], i[order], s[order], src[order]
    first = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    rank = np.arange(len(c)) - np.repeat(first, np.diff(np.r_[first, len(c)])) + 1
    return pd.DataFrame(
        {
            "customer_code": c,
            "customer_id": store.customer_ids[c],
            "recommendation_rank": rank.astype(np.int64),
            "item_code": i,
            "item_id": store.item_ids[i],
            "score": s,
            "source": np.asarray(SOURCES, dtype=object)[src],  # 8 bytes a row, not 60
        }
    )


def _store_customers(customers: pd.DataFrame | None, store_id: str) -> pd.DataFrame:
    if customers is None:
        return pd.DataFrame(columns=["customer_id", "segment", "country"])
    frame = customers[customers["store_id"] == store_id]
    return frame.reindex(columns=["customer_id", "segment", "country"]).drop_duplicates(
        "customer_id"
    )


def recommend(
    interactions: pd.DataFrame, customers: pd.DataFrame | None, settings: Settings
) -> pd.DataFrame:
    """Top `n_recommendations` items per customer and store that the customer has not bought.

    `customers` gives each customer's `segment` and `country` (store_id, customer_id, segment,
    country; either may be null) for the fallbacks.
    """
    frames = []
    for store_id in _stores(interactions):
        store = build_matrix(interactions[interactions["store_id"] == store_id])
        fitted = _fit(store, settings.algorithm, settings)
        recs = _recommend_store(
            store, fitted, _store_customers(customers, store_id), settings, settings.algorithm
        )
        if recs.empty:
            continue
        recs.insert(0, "store_id", store_id)
        frames.append(recs[RECOMMENDATION_COLUMNS])
    if not frames:
        return _empty(RECOMMENDATION_COLUMNS)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# Evaluation

EVAL_COLUMNS = [
    "store_id",
    "algorithm",
    "segment",
    "k",
    "cutoff_at",
    "customers",
    "precision_at_k",
    "recall_at_k",
    "map_at_k",
    "ndcg_at_k",
    "hit_rate",
    "catalog_coverage",
    "is_default",
]
OVERALL = "(all customers)"


def time_split(
    purchases: pd.DataFrame, holdout_days: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """One store's purchase lines (customer_id, item_id, order_id, ordered_at) split in time.

    The cut-off is midnight `holdout_days` days before the day after the last purchase. Train
    is the interactions (distinct orders per customer and item) before it; test is each
    customer's items first bought on or after it, i.e. items new to them.
    """
    last_day = pd.Timestamp(purchases["ordered_at"].max()).normalize()
    cutoff = last_day + pd.Timedelta(days=1) - pd.Timedelta(days=int(holdout_days))
    before = purchases["ordered_at"] < cutoff
    train = (
        purchases.loc[before]
        .groupby(["customer_id", "item_id"], sort=False, observed=True)["order_id"]
        .nunique()
        .rename("orders")
        .reset_index()
    )
    test = purchases.loc[~before, ["customer_id", "item_id"]].drop_duplicates()
    seen = pd.MultiIndex.from_frame(train[["customer_id", "item_id"]])
    test = test[~pd.MultiIndex.from_frame(test).isin(seen)]
    return train, test.reset_index(drop=True), cutoff


def ranking_metrics(recommended: list[list], relevant: list[set], k: int) -> pd.DataFrame:
    """Per-customer precision@k, recall@k, AP@k, NDCG@k and hit for ranked lists.

    recall = hits / |relevant|; AP@k = sum of precision@i at each hit / min(k, |relevant|);
    NDCG@k = DCG / ideal DCG with binary gains and log2(rank + 1) discounts.
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    rows = []
    for recs, rel in zip(recommended, relevant, strict=True):
        hits = np.array([item in rel for item in recs[:k]], dtype=float)
        n_hits = hits.sum()
        cum = np.cumsum(hits)
        ranks = np.arange(1, len(hits) + 1)
        ideal = discounts[: min(k, len(rel))].sum()
        rows.append(
            (
                n_hits / k,
                n_hits / len(rel) if rel else 0.0,
                float((hits * cum / ranks).sum() / min(k, len(rel))) if rel else 0.0,
                float((hits * discounts[: len(hits)]).sum() / ideal) if ideal else 0.0,
                float(n_hits > 0),
            )
        )
    return pd.DataFrame(rows, columns=["precision", "recall", "ap", "ndcg", "hit"])


def _metrics_table(
    recs: pd.DataFrame, truth: pd.DataFrame, segments: pd.Series, k: int, n_catalog: int
) -> pd.DataFrame:
    """Mean metrics over evaluated customers, overall and per segment, plus coverage."""
    relevant = truth.groupby("customer_id")["item_id"].agg(set)
    ranked = (
        recs.sort_values(["customer_id", "recommendation_rank"])
        .groupby("customer_id")["item_id"]
        .agg(list)
        .reindex(relevant.index)
    )
    ranked = ranked.apply(lambda v: v if isinstance(v, list) else [])
    per_customer = ranking_metrics(ranked.tolist(), relevant.tolist(), k)
    per_customer["customer_id"] = relevant.index.to_numpy()
    per_customer["segment"] = (
        segments.reindex(relevant.index).fillna("(no segment)").to_numpy()
        if len(segments)
        else "(no segment)"
    )
    items_by_customer = recs.groupby("customer_id")["item_id"].agg(set)
    out = []
    groups = [(OVERALL, per_customer), *per_customer.groupby("segment", sort=True)]
    for segment, frame in groups:
        items = set().union(*items_by_customer.reindex(frame["customer_id"]).dropna().tolist())
        out.append(
            {
                "segment": segment,
                "customers": len(frame),
                "precision_at_k": frame["precision"].mean(),
                "recall_at_k": frame["recall"].mean(),
                "map_at_k": frame["ap"].mean(),
                "ndcg_at_k": frame["ndcg"].mean(),
                "hit_rate": frame["hit"].mean(),
                "catalog_coverage": len(items) / n_catalog if n_catalog else 0.0,
            }
        )
    return pd.DataFrame(out)


def evaluate(
    purchases: pd.DataFrame,
    customers: pd.DataFrame | None,
    settings: Settings,
    holdout_days: int = 30,
    k: int = 10,
    algorithms: Iterable[str] = ALGORITHMS,
    max_customers: int | None = None,
) -> pd.DataFrame:
    """Time-based evaluation of every algorithm, per store, overall and per segment.

    `purchases`: purchase lines (store_id, customer_id, item_id, order_id, ordered_at). Models
    are trained on everything before the cut-off (see `time_split`) with the same settings as
    the production models (fallbacks included) and asked for k items for each customer who has
    history before the cut-off and buys something new after it; customers with no history
    before the cut-off are cold starts that every algorithm treats alike and are left out.
    `max_customers` evaluates a seeded random sample of them (none: all). Catalogue coverage
    is distinct items recommended over items in the training data.
    """
    algorithms = list(algorithms)
    for algorithm in algorithms:
        if algorithm not in ALGORITHMS:
            raise ValueError(
                f"rec_eval_algorithms: unknown algorithm {algorithm!r}; "
                f"expected some of {', '.join(ALGORITHMS)}"
            )
    eval_settings = replace(settings, n_recommendations=int(k))
    frames = []
    for store_id in _stores(purchases):
        lines = purchases[purchases["store_id"] == store_id]
        train, test, cutoff = time_split(lines, holdout_days)
        if train.empty or test.empty:
            continue
        store = build_matrix(train)
        position = pd.Index(store.customer_ids)
        test = test[test["customer_id"].isin(position)]
        evaluated = np.sort(position.get_indexer(test["customer_id"].unique()))
        if max_customers is not None and len(evaluated) > int(max_customers):
            rng = np.random.default_rng(int(settings.seed))
            evaluated = np.sort(rng.choice(evaluated, int(max_customers), replace=False))
        evaluated_ids = store.customer_ids[evaluated]
        test = test[test["customer_id"].isin(evaluated_ids)]
        store_customers = _store_customers(customers, store_id)
        segments = store_customers.set_index("customer_id")["segment"]
        for algorithm in algorithms:
            fitted = _fit(store, algorithm, eval_settings)
            recs = _recommend_store(
                store, fitted, store_customers, eval_settings, algorithm, evaluated
            )
            table = _metrics_table(recs, test, segments, int(k), len(store.item_ids))
            table.insert(0, "algorithm", algorithm)
            table.insert(0, "store_id", store_id)
            frames.append(table)
            table["cutoff_at"] = cutoff
    if not frames:
        return _empty(EVAL_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["k"] = int(k)
    out["is_default"] = out["algorithm"] == settings.algorithm
    return out[EVAL_COLUMNS]

"""Product recommendations from implicit feedback: similar items and top-N items per customer.

Input is one row per store, customer and item bought (``int_customer_item_interactions``:
``store_id, customer_id, item_id, orders``), as a DuckDB relation (what the dbt models pass:
each store's rows are read from the warehouse as Arrow, one store at a time), a pyarrow Table
or a pandas DataFrame. Every store is modelled on its own. Results are pyarrow Tables whose id
columns are dictionary-encoded (int32 codes into the sorted ids), so 28.5M rows cost a few
bytes each and DuckDB reads them without a pandas copy.

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
product of the customer's row with an item-item matrix, in batches): all ``neighbours`` of
each item for item_cosine and bm25, whose score is that product, and the nearest
``candidate_neighbours`` for als and bpr, which score each candidate by a factor dot product;
or, with ``factor_candidates="all"``, implicit's batched ``recommend`` over the kept items.
Nothing ever scores every item for every customer outside the kept catalogue.

A customer whose history gives fewer than N candidates (say one purchase of a rare item) is
filled up from fallback rankings, in this order: the items most bought in the customer's
rule-based segment, then in their country, then overall. Already-bought items are never
recommended; ``source`` says where each row came from. Scores compare within one source only:
a model's score (a similarity sum or a factor dot product) and a popularity share (buyers over
customers of the group) are different units. Ranks follow the source order, then the score.

item_similarity and recommend fit the same model on the same interactions; within one process
(dbt runs the Python models of an invocation in one, on its threads) the second reuses the
first's fit (``_shared_fit``). Customer batches run on every core; implicit's ALS and
item-item fits use every core themselves, with one BLAS thread.

Deterministic: factor models take ``random_state`` from the seed, BPR runs on one thread (its
parallel SGD is not reproducible), and every ranking breaks ties by item id.
"""

from __future__ import annotations

import ast
import os
import threading
import warnings
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

ALGORITHMS = ("popularity", "item_cosine", "bm25", "als", "bpr")
NEIGHBOUR_ALGORITHMS = ("item_cosine", "bm25")
FACTOR_ALGORITHMS = ("als", "bpr")
FALLBACK_SOURCES = ("segment_popular", "country_popular", "overall_popular")
SOURCES = (*ALGORITHMS[1:], *FALLBACK_SOURCES)
INTERACTION_COLUMNS = ["customer_id", "item_id", "orders"]
PURCHASE_COLUMNS = ["customer_id", "item_id", "order_id", "ordered_at"]


@dataclass(frozen=True)
class Settings:
    """Tunables; the dbt models fill them from the `rec_*` vars."""

    algorithm: str = "als"
    n_similar: int = 10
    n_recommendations: int = 10
    min_item_customers: int = 3
    neighbours: int = 50
    candidate_neighbours: int = 20
    factors: int = 32
    iterations: int = 5
    bpr_epochs: int = 100
    regularization: float = 0.05
    seed: int = 42
    factor_candidates: str = "neighbours"
    batch_size: int = 10_000  # customers per candidate batch: its arrays stay in cache

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
        for name in (
            "n_similar",
            "n_recommendations",
            "min_item_customers",
            "neighbours",
            "candidate_neighbours",
        ):
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
    "rec_candidate_neighbours": ("candidate_neighbours", int),
    "rec_factors": ("factors", int),
    "rec_iterations": ("iterations", int),
    "rec_bpr_epochs": ("bpr_epochs", int),
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
    for var, (name, kind) in VAR_FIELDS.items():
        if config and var in config:
            value = config_value(config[var], var, kind)
            if value is not None:
                values[name] = value
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


# --------------------------------------------------------------------------------------------
# Tables and encoding


def _table(frame) -> pa.Table:
    """A pyarrow Table from a Table or a pandas DataFrame."""
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def customer_profiles(dim_customers, customer_rfm) -> pa.Table:
    """store_id, customer_id, country (dim_customers) and segment (fct_customer_rfm), joined
    in DuckDB: two relations of one connection (dbt refs) as they are, anything else loaded
    into a new one."""
    frames = (dim_customers, customer_rfm)
    if not all(isinstance(frame, duckdb.DuckDBPyRelation) for frame in frames):
        connection = duckdb.connect()
        frames = [connection.from_arrow(_table(frame)) for frame in frames]
    customers, segments = frames[0].set_alias("d"), frames[1].set_alias("r")
    joined = customers.join(
        segments, "d.store_id = r.store_id and d.customer_id = r.customer_id", how="left"
    )
    return joined.project("d.store_id, d.customer_id, d.country, r.segment").to_arrow_table()


def _strings(values) -> pa.Array:
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.string())


def _encode(values) -> tuple[np.ndarray, pa.Array]:
    """Codes of `values` as text (0..n-1 in the sorted order of the distinct values; -1 for
    null) and the sorted distinct values, so that code order is id order."""
    encoded = pc.dictionary_encode(_strings(values))
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1  # null: index -1 below
    indices = encoded.indices.fill_null(-1).to_numpy()
    return rank[indices], encoded.dictionary.take(order)


def _relation(frame) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation: a relation as it is (a dbt ref), or one over a Table or DataFrame."""
    if isinstance(frame, duckdb.DuckDBPyRelation):
        return frame
    return duckdb.connect().from_arrow(_table(frame))


def _store_relations(frame):
    """(store_id, that store's rows as a relation) for every store, in store order.

    `frame`: a DuckDB relation (what the dbt models pass: a store's rows go straight from the
    warehouse to Arrow, and never the whole input at once), a pyarrow Table or a DataFrame.
    """
    relation = _relation(frame)
    store_ids = relation.project("store_id").distinct().fetchall()
    for (store_id,) in sorted(row for row in store_ids if row[0] is not None):
        store_id_is = duckdb.ColumnExpression("store_id") == duckdb.ConstantExpression(store_id)
        yield store_id, relation.filter(store_id_is)


@dataclass
class StoreMatrix:
    """One store's interactions as a customers x items matrix (rows and columns sorted by id)."""

    customer_ids: pa.Array
    item_ids: pa.Array
    matrix: sp.csr_matrix  # float32 `orders`

    @property
    def item_customers(self) -> np.ndarray:
        return np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])


def build_matrix(interactions) -> StoreMatrix:
    """Encodes one store's (customer_id, item_id, orders) rows; ids are sorted as text."""
    table = _table(interactions)
    # The two columns at once: Arrow's hashing and sorting release the GIL.
    with ThreadPoolExecutor(2) as pool:
        customers = pool.submit(_encode, table["customer_id"])
        items = pool.submit(_encode, table["item_id"])
        (customer_codes, customer_ids), (item_codes, item_ids) = customers.result(), items.result()
    weights = table["orders"].to_numpy().astype(np.float32)
    matrix = sp.csr_matrix(
        (weights, (customer_codes, item_codes)), shape=(len(customer_ids), len(item_ids))
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return StoreMatrix(customer_ids, item_ids, matrix)


# --------------------------------------------------------------------------------------------
# Ranking helpers


@contextmanager
def _quiet():
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


def _descending_keys(rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """uint64 keys that sort by row, then by score (as float32) from high to low."""
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.uint32)
    # The float32 bit patterns as unsigned integers in the same order as the floats: flip
    # every bit of a negative number and the sign bit of a positive one.
    ordered = np.where(bits >> 31 == 1, ~bits, bits | np.uint32(0x80000000))
    return (rows.astype(np.uint64) << np.uint64(32)) | (~ordered).astype(np.uint64)


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The n best (row, col, score) of each row, with rank 1..n: score from high to low, ties
    to the lower col. The entries must come in (row, col) order, as a CSR matrix with sorted
    indices stores them: one stable sort on a (row, score) key then keeps that order on ties,
    at a fraction of the cost of a sort on three keys."""
    order = np.argsort(_descending_keys(rows, scores), kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    keep = rank <= n
    order = order[keep]
    return rows[order], cols[order], scores[order], rank[keep]


def _csr_entries(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, value) of every stored entry, in (row, col) order."""
    matrix.sort_indices()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows, matrix.indices, matrix.data


def _with_nan_diagonal(graph: sp.csr_matrix) -> sp.csr_matrix:
    """An item-item graph (no self-loops) with NaN on its diagonal. In `rows @ result` an item
    the customer bought comes out NaN (their own entry times NaN), whatever its neighbours,
    and every other item keeps its sum: one product both finds the candidates and marks the
    bought items, with no set difference afterwards."""
    rows, cols, values = _csr_entries(graph)
    diagonal = np.arange(graph.shape[0])
    result = sp.csr_matrix(
        (
            np.r_[values, np.full(len(diagonal), np.nan, dtype=values.dtype)],
            (np.r_[rows, diagonal], np.r_[cols, diagonal]),
        ),
        shape=graph.shape,
    )
    result.sort_indices()
    return result


def _candidates(rows: sp.csr_matrix, graph: sp.csr_matrix):
    """(row, col, sum) of `rows @ graph` for the items not bought (`graph` from
    `_with_nan_diagonal`), in (row, col) order."""
    r, c, values = _csr_entries((rows @ graph).tocsr())
    new = ~np.isnan(values)
    return r[new], c[new], values[new]


def _row_dots(left: np.ndarray, right: np.ndarray, left_rows, right_rows, chunk=1 << 16):
    """left[left_rows[j]] . right[right_rows[j]] for every j, in float32, in chunks small
    enough for the gathered rows to stay in cache (2M-row chunks ran 3x slower)."""
    out = np.empty(len(left_rows), dtype=np.float32)
    for start in range(0, len(left_rows), chunk):
        part = slice(start, start + chunk)
        np.einsum("ij,ij->i", left[left_rows[part]], right[right_rows[part]], out=out[part])
    return out


# --------------------------------------------------------------------------------------------
# Models


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

    def fit(self, matrix: sp.csr_matrix, candidates: bool = True) -> None:
        """Fits the item-item matrix; `candidates`: also the graph `recommend` uses."""
        with _quiet():
            self.model.fit(matrix, show_progress=False)
        rows, cols, values = _csr_entries(self.model.similarity.tocsr())
        other = (rows != cols) & (values != 0)  # an item is not its own neighbour
        self.similarity = sp.csr_matrix(
            (values[other].astype(np.float32), (rows[other], cols[other])),
            shape=self.model.similarity.shape,
        )
        self.similarity.sort_indices()
        self.model.similarity = None  # implicit's float64 copy: a third of the fit's memory
        if candidates:
            self.candidate_graph = _with_nan_diagonal(self.similarity)

    def similar_items(self, n: int) -> tuple[np.ndarray, ...]:
        return _top_per_row(*_csr_entries(self.similarity), n)

    def recommend(
        self, customers: np.ndarray, rows: sp.csr_matrix, n: int
    ) -> tuple[np.ndarray, ...]:
        r, c, scores = _candidates(rows, self.candidate_graph)
        return _top_per_row(r, c, scores, n)


class _FactorModel:
    """implicit's matrix-factorisation models.

    Candidates (var `rec_factor_candidates`): `neighbours` (the default) ranks, by the factor
    score, the co-purchase neighbours of what the customer bought (each item's nearest
    `candidate_neighbours` in an item_cosine graph of `neighbours` per item), so the work
    grows with the customers' histories rather than with customers x items; `all` scores
    every kept item with implicit's batched `recommend`, which is exact but out of reach at
    millions of customers and items. Similar items follow the same rule: the cosine
    neighbours reranked by the cosine of the item factors, or every kept item.
    """

    def __init__(self, algorithm: str, settings: Settings):
        from implicit.cpu.als import AlternatingLeastSquares
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        self.algorithm = algorithm
        self.candidates = settings.factor_candidates
        self.candidate_neighbours = int(settings.candidate_neighbours)
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
                iterations=int(settings.bpr_epochs),
                random_state=int(settings.seed),
                num_threads=1,
            )

    def fit(self, matrix: sp.csr_matrix) -> None:
        if self.algorithm == "als":
            self._fit_als(matrix)
        else:
            with _quiet():
                self.model.fit(matrix.astype(np.float32), show_progress=False)
        if self.candidates == "neighbours":
            self.graph.fit(matrix, candidates=False)
            # Each item's nearest `candidate_neighbours`, in (row, col) order.
            rows, cols, values, _ = _top_per_row(
                *_csr_entries(self.graph.similarity), self.candidate_neighbours
            )
            nearest = sp.csr_matrix((values, (rows, cols)), shape=self.graph.similarity.shape)
            self.candidate_graph = _with_nan_diagonal(nearest)

    def _fit_als(self, matrix: sp.csr_matrix) -> None:
        """ALS on BM25-weighted `orders`, fitted on the customers with a kept item only: an
        empty row would only get a zero factor vector, and at full scale one customer in
        eight has no kept item (a fifth of the sweep time)."""
        from implicit.nearest_neighbours import bm25_weight

        weighted = bm25_weight(matrix, K1=100, B=0.8).tocsr().astype(np.float32)
        train = np.flatnonzero(np.diff(weighted.indptr) > 0)
        with _quiet():
            self.model.fit(weighted[train], show_progress=False)
        user_factors = np.zeros((matrix.shape[0], self.model.factors), dtype=np.float32)
        user_factors[train] = self.model.user_factors
        self.model.user_factors = user_factors

    def similar_items(self, n: int) -> tuple[np.ndarray, ...]:
        factors = np.asarray(self.model.item_factors, dtype=np.float32)
        norms = np.linalg.norm(factors, axis=1)
        unit = factors / np.where(norms > 0, norms, 1.0)[:, None]
        if self.candidates == "neighbours":
            rows, cols, _ = _csr_entries(self.graph.similarity)
            return _top_per_row(rows, cols, _row_dots(unit, unit, rows, cols), n)
        n_items = factors.shape[0]
        ids, scores = self.model.similar_items(np.arange(n_items), N=min(n + 1, n_items))
        rows = np.repeat(np.arange(n_items), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel()
        keep = (cols != rows) & (cols >= 0) & np.isfinite(data)
        order = np.lexsort((cols[keep], rows[keep]))  # (row, col) order for the ties
        return _top_per_row(rows[keep][order], cols[keep][order], data[keep][order], n)

    def recommend(
        self, customers: np.ndarray, rows: sp.csr_matrix, n: int
    ) -> tuple[np.ndarray, ...]:
        users = np.asarray(self.model.user_factors, dtype=np.float32)
        items = np.asarray(self.model.item_factors, dtype=np.float32)
        if self.candidates == "neighbours":
            r, c, _ = _candidates(rows, self.candidate_graph)
            return _top_per_row(r, c, _row_dots(users, items, customers[r], c), n)
        n_items = rows.shape[1]
        with _quiet():
            ids, scores = self.model.recommend(
                customers, rows, N=min(n, n_items), filter_already_liked_items=True
            )
        out_rows = np.repeat(np.arange(len(customers)), ids.shape[1])
        cols, data = ids.ravel(), scores.ravel()
        keep = (cols >= 0) & np.isfinite(data) & (data > -1e30)
        order = np.lexsort((cols[keep], out_rows[keep]))
        return _top_per_row(out_rows[keep][order], cols[keep][order], data[keep][order], n)


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
# One fit for two models


@dataclass
class _Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    fitted: _Fitted | None = None
    users: set = field(default_factory=set)


_SHARED: dict[tuple, _Shared] = {}
_SHARED_LOCK = threading.Lock()
SHARING = ("item_similarity", "recommend")


def _fingerprint(rows: duckdb.DuckDBPyRelation) -> tuple:
    """The row count, sum and xor of the rows' hashes: the same for the same rows in any
    order (the fit does not depend on the order), computed in DuckDB without reading the
    rows into Python."""
    row_hash = f"hash({', '.join(INTERACTION_COLUMNS)})"
    return rows.aggregate(f"count(*), sum({row_hash}), bit_xor({row_hash})").fetchall()[0]


def _read_and_fit(rows: duckdb.DuckDBPyRelation, algorithm: str, settings: Settings) -> _Fitted:
    table = rows.project(", ".join(INTERACTION_COLUMNS)).to_arrow_table().drop_null()
    return _fit(build_matrix(table), algorithm, settings)


def _shared_fit(
    rows: duckdb.DuckDBPyRelation, algorithm: str, settings: Settings, user: str
) -> _Fitted:
    """`_fit` of one store's interactions, done once for item_similarity and recommend.

    ml_item_similarity and ml_customer_recommendations fit the same model on the same
    interactions, and dbt runs the Python models of one invocation in one process (on its
    threads): the first to get here reads the rows and fits, the other waits for that fit
    and takes it without reading anything. The key is a fingerprint of the interactions plus
    the algorithm and settings, so other data or other vars never share a fit; the entry is
    dropped once both users (`SHARING`) have had it.
    """
    if algorithm == "popularity":  # no model; item_similarity never asks for this one
        return _read_and_fit(rows, algorithm, settings)
    key = (_fingerprint(rows), algorithm, settings)
    with _SHARED_LOCK:
        entry = _SHARED.setdefault(key, _Shared())
    with entry.lock:
        if entry.fitted is None:
            entry.fitted = _read_and_fit(rows, algorithm, settings)
        entry.users.add(user)
        fitted = entry.fitted
    if entry.users >= set(SHARING):
        with _SHARED_LOCK:
            _SHARED.pop(key, None)
    return fitted


# --------------------------------------------------------------------------------------------
# Output tables

ID_TYPE = pa.dictionary(pa.int32(), pa.string())
SIMILARITY_SCHEMA = pa.schema(
    [
        ("store_id", ID_TYPE),
        ("item_id", ID_TYPE),
        ("similar_item_rank", pa.int64()),
        ("similar_item_id", ID_TYPE),
        ("score", pa.float64()),
    ]
)
RECOMMENDATION_SCHEMA = pa.schema(
    [
        ("store_id", ID_TYPE),
        ("customer_id", ID_TYPE),
        ("recommendation_rank", pa.int64()),
        ("item_id", ID_TYPE),
        ("score", pa.float64()),
        ("source", ID_TYPE),
    ]
)


def _ids(codes: np.ndarray, values) -> pa.DictionaryArray:
    values = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), values)


def _constant(value: str, n: int) -> pa.DictionaryArray:
    return _ids(np.zeros(n, dtype=np.int32), [value])


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    return pa.concat_tables(tables) if tables else schema.empty_table()


# --------------------------------------------------------------------------------------------
# Item similarity


def item_similarity(interactions, settings: Settings) -> pa.Table:
    """Top `n_similar` items bought by the same customers, per kept item and store.

    `popularity` has no item model, so it uses `item_cosine` here.
    """
    algorithm = "item_cosine" if settings.algorithm == "popularity" else settings.algorithm
    tables = []
    for store_id, rows in _store_relations(interactions):
        fitted = _shared_fit(rows, algorithm, settings, "item_similarity")
        store = fitted.store
        if fitted.model is None:
            continue
        item, similar, scores, rank = fitted.model.similar_items(int(settings.n_similar))
        tables.append(
            pa.table(
                {
                    "store_id": _constant(store_id, len(item)),
                    "item_id": _ids(fitted.kept_items[item], store.item_ids),
                    "similar_item_rank": pa.array(rank.astype(np.int64)),
                    "similar_item_id": _ids(fitted.kept_items[similar], store.item_ids),
                    "score": pa.array(scores.astype(np.float64)),
                },
                schema=SIMILARITY_SCHEMA,
            )
        )
    return _concat(tables, SIMILARITY_SCHEMA)


# --------------------------------------------------------------------------------------------
# Customer recommendations


def _model_candidates(fitted: _Fitted, customers: np.ndarray, n: int, batch_size: int):
    """(customer code, item code, score) of the model's top n per customer, in batches run on
    every core (numpy and scipy release the GIL in the heavy steps), in customer order."""
    if fitted.model is None:
        return []
    has_history = np.diff(fitted.kept_matrix.indptr)[customers] > 0
    customers = customers[has_history]
    batches = [
        customers[start : start + batch_size] for start in range(0, len(customers), batch_size)
    ]

    def run(batch):
        rows, cols, scores, _ = fitted.model.recommend(batch, fitted.kept_matrix[batch], n)
        return batch[rows], fitted.kept_items[cols], scores

    with ThreadPoolExecutor(_cores()) as pool:
        return list(pool.map(run, batches))


def _cores() -> int:
    return max(len(os.sched_getaffinity(0)), 1)


def _popularity_ranking(matrix: sp.csr_matrix, customers: np.ndarray) -> tuple[np.ndarray, ...]:
    """Items bought by these customers: (item codes, share of them who bought it), best first."""
    buyers = np.bincount(matrix[customers].indices, minlength=matrix.shape[1])
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
    the next ones; `taken` holds sorted customer * n_items + item keys that may not be
    recommended. A customer is in one group and a ranking lists an item once, so a pair comes
    up at most once; a customer's items come out in the ranking's order.
    """
    out_c, out_i, out_s = [], [], []
    need = need.copy()
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


def _customer_groups(store: StoreMatrix, customers) -> dict[str, np.ndarray]:
    """Per store customer (by code), the code of their segment and of their country (-1:
    none). `customers`: customer_id, segment, country of this store's customers (or None)."""
    n = len(store.customer_ids)
    groups = {"segment": np.full(n, -1, dtype=np.int32), "country": np.full(n, -1, dtype=np.int32)}
    if customers is None or customers.num_rows == 0:
        return groups
    # Each store customer's first row in `customers`.
    position = pc.index_in(store.customer_ids, value_set=_strings(customers["customer_id"]))
    position = position.fill_null(-1).to_numpy()
    for column in groups:
        if column not in customers.column_names:
            continue
        codes, _ = _encode(customers[column])
        groups[column] = np.where(position >= 0, codes[position], -1).astype(np.int32)
    return groups


def _targets(store: StoreMatrix, only_customers: np.ndarray | None) -> np.ndarray:
    if only_customers is None:
        return np.arange(store.matrix.shape[0])
    return np.asarray(only_customers, dtype=np.int64)


def _model_rows(
    fitted: _Fitted, settings: Settings, only_customers: np.ndarray | None = None
) -> tuple[np.ndarray, ...]:
    """(customer code, item code, score) of the model's picks, in customer order."""
    targets = _targets(fitted.store, only_customers)
    n = int(settings.n_recommendations)
    parts = _model_candidates(fitted, targets, n, int(settings.batch_size))
    if not parts:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([])
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def _recommend_store(
    store: StoreMatrix,
    model: tuple[np.ndarray, ...],
    groups: dict[str, np.ndarray],
    settings: Settings,
    algorithm: str,
    only_customers: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """(customer code, rank, item code, score, source index) of every recommendation: the
    model's picks (`_model_rows`), then the fallbacks for customers still short of n."""
    n = int(settings.n_recommendations)
    matrix = store.matrix
    n_customers, n_items = matrix.shape
    targets = _targets(store, only_customers)
    model_c, model_i, model_s = model
    have = np.bincount(model_c, minlength=n_customers)

    # Fallbacks, in order, for customers still short of n. `taken`: what each of them has
    # bought or been recommended already, as sorted customer * n_items + item keys.
    needy_mask = np.zeros(n_customers, dtype=bool)
    needy_mask[targets] = have[targets] < n
    needy_rows = matrix[np.flatnonzero(needy_mask)]
    mine = needy_mask[model_c]
    taken = np.unique(
        np.r_[
            np.repeat(np.flatnonzero(needy_mask).astype(np.int64), np.diff(needy_rows.indptr))
            * n_items
            + needy_rows.indices,
            model_c[mine].astype(np.int64) * n_items + model_i[mine],
        ]
    )
    all_customers = np.arange(n_customers)
    fallback_groups = []
    if algorithm != "popularity":
        fallback_groups += [("segment_popular", "segment"), ("country_popular", "country")]
    fallback_groups.append(("overall_popular", None))
    fallbacks = []
    for source, column in fallback_groups:
        need = np.maximum(n - have[targets], 0)
        if not need.any():
            break
        needy, need = targets[need > 0], need[need > 0]
        if column is None:
            group_of = np.zeros(len(needy), dtype=np.int64)
            rankings = {0: _popularity_ranking(matrix, all_customers)}
        else:
            codes = groups[column]
            group_of = codes[needy]
            rankings = {
                int(g): _popularity_ranking(matrix, np.flatnonzero(codes == g))
                for g in np.unique(group_of)
                if g >= 0
            }
        c, i, s, _ = _fill(needy, need, group_of, rankings, taken, n_items, chunk=4 * n)
        if len(c):
            fallbacks.append((c, i, s, np.full(len(c), SOURCES.index(source), dtype=np.int8)))
            have += np.bincount(c, minlength=n_customers)
            # Only customers still short matter from here on. Merging two sorted runs: a
            # stable sort is linear on them; a repeated key does no harm.
            short = have[c] < n
            new = np.sort(c[short].astype(np.int64) * n_items + i[short])
            taken = np.sort(np.r_[taken, new], kind="stable")
    model_source = SOURCES.index(algorithm) if model_c.size else 0  # popularity: no rows
    model = (model_c, model_i, model_s, np.full(len(model_c), model_source, dtype=np.int8))
    return _assemble(model, fallbacks, n_customers)


def _run_positions(sorted_codes: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    if not len(sorted_codes):
        return np.array([], dtype=np.int64)
    first = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    return np.arange(len(sorted_codes)) - np.repeat(first, np.diff(np.r_[first, len(sorted_codes)]))


def _assemble(model, fallbacks, n_customers: int) -> tuple[np.ndarray, ...]:
    """(customer code, rank, item code, score, source index) in (customer, rank) order.

    `model` rows come in customer order, each customer's in rank order (score, then item id);
    `fallbacks` in source order, each listing a customer's items in its ranking's order. A
    customer's model rows come first, then their fallback rows in order: each row's place in
    the output is computed, so only the (fewer) fallback rows are sorted.
    """
    fallback = [np.concatenate(column) for column in zip(*fallbacks, strict=True)]
    if not fallback:
        fallback = [np.array([], dtype=np.int64)] * 2 + [np.array([]), np.array([], np.int8)]
    order = np.argsort(fallback[0], kind="stable")
    fallback = [column[order] for column in fallback]
    model_count = np.bincount(model[0], minlength=n_customers)
    total = model_count + np.bincount(fallback[0], minlength=n_customers)
    start = np.r_[0, np.cumsum(total)[:-1]]
    model_rank = _run_positions(model[0])
    fallback_rank = model_count[fallback[0]] + _run_positions(fallback[0])
    places = (start[model[0]] + model_rank, start[fallback[0]] + fallback_rank)
    size = len(model[0]) + len(fallback[0])
    out = []
    for dtype, m, f in zip(
        (np.int32, np.int64, np.int32, np.float64, np.int8),
        (model[0], model_rank + 1, *model[1:]),
        (fallback[0], fallback_rank + 1, *fallback[1:]),
        strict=True,
    ):
        column = np.empty(size, dtype=dtype)
        column[places[0]] = m
        column[places[1]] = f
        out.append(column)
    return tuple(out)


def _recommendation_table(store_id: str, store: StoreMatrix, rows) -> pa.Table:
    c, rank, i, s, src = rows
    return pa.table(
        {
            "store_id": _constant(store_id, len(c)),
            "customer_id": _ids(c, store.customer_ids),
            "recommendation_rank": pa.array(rank.astype(np.int64)),
            "item_id": _ids(i, store.item_ids),
            "score": pa.array(s),
            "source": _ids(src, list(SOURCES)),
        },
        schema=RECOMMENDATION_SCHEMA,
    )


def _store_customers(customers, store_id: str) -> pa.Table | None:
    if customers is None:
        return None
    table = _table(customers)
    return table.filter(pc.equal(_strings(table["store_id"]), store_id))


def recommend(interactions, customers, settings: Settings) -> pa.Table:
    """Top `n_recommendations` items per customer and store that the customer has not bought.

    `customers` gives each customer's `segment` and `country` (store_id, customer_id, segment,
    country; either may be null) for the fallbacks.
    """
    tables = []
    for store_id, rows in _store_relations(interactions):
        fitted = _shared_fit(rows, settings.algorithm, settings, "recommend")
        store = fitted.store
        model = _model_rows(fitted, settings)
        del fitted  # the fallbacks need no factors or graphs: free them (a GB at full scale)
        groups = _customer_groups(store, _store_customers(customers, store_id))
        recs = _recommend_store(store, model, groups, settings, settings.algorithm)
        del model
        if len(recs[0]):
            tables.append(_recommendation_table(store_id, store, recs))
    return _concat(tables, RECOMMENDATION_SCHEMA)


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
EVAL_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("algorithm", pa.string()),
        ("segment", pa.string()),
        ("k", pa.int64()),
        ("cutoff_at", pa.timestamp("us")),
        ("customers", pa.int64()),
        *((name, pa.float64()) for name in EVAL_COLUMNS[6:12]),
        ("is_default", pa.bool_()),
    ]
)
OVERALL = "(all customers)"


def time_split(
    purchases: pd.DataFrame, holdout_days: int, last_purchase_at=None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """One store's purchase lines (customer_id, item_id, order_id, ordered_at) split in time.

    The cut-off is midnight `holdout_days` days before the day after the last purchase (of
    these lines, or `last_purchase_at`). Train is the interactions (distinct orders per
    customer and item) before it; test is each customer's items first bought on or after it,
    i.e. items new to them.
    """
    last = purchases["ordered_at"].max() if last_purchase_at is None else last_purchase_at
    cutoff = pd.Timestamp(last).normalize() + pd.Timedelta(days=1) - pd.Timedelta(days=holdout_days)
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


def sample_customers(lines, max_customers: int | None, seed: int) -> duckdb.DuckDBPyRelation:
    """The lines (a relation, or a Table or DataFrame) of a seeded random sample of
    `max_customers` of their customers: those with the lowest DuckDB hash of the customer id
    and `seed`, ties by id. All of them when there are no more (or `max_customers` is None).
    Sampling in the warehouse means that the full lines never reach Python; one query, with
    no count first, so the lines are not scanned an extra time."""
    lines = _relation(lines)
    if max_customers is None:
        return lines
    return lines.query(
        "lines",
        f"""
        select * from lines
        where customer_id in (
            select customer_id from (select distinct customer_id from lines)
            order by hash(customer_id, {int(seed)}), customer_id
            limit {int(max_customers)}
        )
        """,
    )


def ranking_metrics(recommended: pd.DataFrame, relevant: pd.DataFrame, k: int) -> pd.DataFrame:
    """Per customer of `relevant`, precision@k, recall@k, AP@k, NDCG@k and hit.

    `recommended`: customer_id, recommendation_rank (1..n without gaps), item_id; `relevant`:
    customer_id, item_id, the items each customer went on to buy (one row per pair).
    recall = hits / |relevant|; AP@k = sum of precision@i at each hit / min(k, |relevant|);
    NDCG@k = DCG / ideal DCG with binary gains and log2(rank + 1) discounts.
    """
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    n_relevant = relevant.groupby("customer_id", sort=True).size()
    top = recommended[recommended["recommendation_rank"] <= k]
    hits = top.merge(relevant[["customer_id", "item_id"]], on=["customer_id", "item_id"])
    hits = hits.sort_values(["customer_id", "recommendation_rank"])
    rank = hits["recommendation_rank"].to_numpy()
    hits["precision_at_hit"] = (hits.groupby("customer_id").cumcount() + 1) / rank
    hits["gain"] = discounts[rank - 1]
    per_hit = hits.groupby("customer_id").agg(
        hits=("gain", "size"), ap=("precision_at_hit", "sum"), dcg=("gain", "sum")
    )
    per_hit = per_hit.reindex(n_relevant.index, fill_value=0)
    cut = np.minimum(n_relevant.to_numpy(), k)
    ideal = np.cumsum(discounts)[cut - 1]
    return pd.DataFrame(
        {
            "customer_id": n_relevant.index.to_numpy(),
            "precision": per_hit["hits"].to_numpy() / k,
            "recall": per_hit["hits"].to_numpy() / n_relevant.to_numpy(),
            "ap": per_hit["ap"].to_numpy() / cut,
            "ndcg": per_hit["dcg"].to_numpy() / ideal,
            "hit": (per_hit["hits"].to_numpy() > 0).astype(float),
        }
    )


def _metrics_table(
    recs: pd.DataFrame, truth: pd.DataFrame, segments: pd.Series, k: int, n_catalog: int
) -> pd.DataFrame:
    """Mean metrics over evaluated customers, overall and per segment, plus coverage."""
    per_customer = ranking_metrics(recs, truth, k)
    per_customer["segment"] = (
        segments.reindex(per_customer["customer_id"]).fillna("(no segment)").to_numpy()
    )
    recs = recs.merge(per_customer[["customer_id", "segment"]], on="customer_id")
    out = []
    groups = [
        (OVERALL, per_customer, recs),
        *(
            (segment, frame, recs[recs["segment"] == segment])
            for segment, frame in per_customer.groupby("segment", sort=True)
        ),
    ]
    for segment, frame, items in groups:
        out.append(
            {
                "segment": segment,
                "customers": len(frame),
                "precision_at_k": frame["precision"].mean(),
                "recall_at_k": frame["recall"].mean(),
                "map_at_k": frame["ap"].mean(),
                "ndcg_at_k": frame["ndcg"].mean(),
                "hit_rate": frame["hit"].mean(),
                "catalog_coverage": items["item_id"].nunique() / n_catalog if n_catalog else 0.0,
            }
        )
    return pd.DataFrame(out)


def _segments(customers: pa.Table | None, customer_ids: pa.Array) -> pd.Series:
    """The segment of each of these customers (first row per customer), by customer_id."""
    if customers is None or "segment" not in customers.column_names:
        return pd.Series(dtype=object)
    ids = _strings(customers["customer_id"])
    rows = customers.select(["customer_id", "segment"]).filter(
        pc.is_in(ids, value_set=customer_ids)
    )
    frame = rows.to_pandas().drop_duplicates("customer_id")
    return frame.set_index("customer_id")["segment"]


def evaluate(
    purchases,
    customers,
    settings: Settings,
    holdout_days: int = 30,
    k: int = 10,
    algorithms: Iterable[str] = ALGORITHMS,
    max_customers: int | None = None,
) -> pa.Table:
    """Time-based evaluation of every algorithm, per store, overall and per segment.

    `purchases`: purchase lines (store_id, customer_id, item_id, order_id, ordered_at). Models
    are trained on everything before the cut-off (see `time_split`) with the same settings as
    the production models (fallbacks included) and asked for k items for each customer who has
    history before the cut-off and buys something new after it; customers with no history
    before the cut-off are cold starts that every algorithm treats alike and are left out.
    A store with more than `max_customers` customers is evaluated on a seeded random sample of
    that many (`sample_customers`): the models are trained on the sample's purchases before the
    cut-off and asked about the sample's customers. The cut-off is the same either way.
    Catalogue coverage is distinct items recommended over items in the training data.
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
    for store_id, lines in _store_relations(purchases):
        last = lines.aggregate("max(ordered_at)").fetchall()[0][0]
        if last is None:
            continue
        sample = sample_customers(lines, max_customers, settings.seed)
        sample = sample.project(", ".join(PURCHASE_COLUMNS)).to_arrow_table().drop_null()
        train, test, cutoff = time_split(sample.to_pandas(), int(holdout_days), last)
        if train.empty or test.empty:
            continue
        store = build_matrix(train)
        customer_ids = pd.Index(store.customer_ids.to_pandas())
        test = test[test["customer_id"].isin(customer_ids)]
        evaluated = np.sort(customer_ids.get_indexer(test["customer_id"].unique()))
        store_customers = _store_customers(customers, store_id)
        groups = _customer_groups(store, store_customers)
        segments = _segments(store_customers, store.customer_ids.take(evaluated))
        item_ids = store.item_ids.to_numpy(zero_copy_only=False)
        for algorithm in algorithms:
            model = _model_rows(_fit(store, algorithm, eval_settings), eval_settings, evaluated)
            c, rank, i, _, _ = _recommend_store(
                store, model, groups, eval_settings, algorithm, evaluated
            )
            recs = pd.DataFrame(
                {
                    "customer_id": customer_ids.to_numpy()[c],
                    "recommendation_rank": rank,
                    "item_id": item_ids[i],
                }
            )
            table = _metrics_table(recs, test, segments, int(k), len(store.item_ids))
            table.insert(0, "algorithm", algorithm)
            table.insert(0, "store_id", store_id)
            table["cutoff_at"] = cutoff
            frames.append(table)
    if not frames:
        return EVAL_SCHEMA.empty_table()
    out = pd.concat(frames, ignore_index=True)
    out["k"] = int(k)
    out["is_default"] = out["algorithm"] == settings.algorithm
    out["cutoff_at"] = out["cutoff_at"].astype("datetime64[us]")
    return pa.Table.from_pandas(out[EVAL_COLUMNS], schema=EVAL_SCHEMA, preserve_index=False)

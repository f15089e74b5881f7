"""The recommendation fit (ml_recommendation_fit): each store's model fitted once, stored as a
table, and restored by ml_item_similarity and ml_customer_recommendations.

Only items bought by at least `rec_min_item_customers` distinct customers (the item-history
line) take part: with fewer buyers an item's neighbours are noise, and at full scale the line
cuts a catalogue of millions mostly bought once or twice down to what can be scored.

The table has one row per store and kept item (``entity = 'item'``: its position in the kept
catalogue, its buyers, its neighbours in the item-item graph as positions with their scores,
its factors) and, for the factor models, one row per store and customer with a kept item
(``entity = 'customer'``: the customer's factors). A store with no model gets one row whose
``note`` says why. `popularity` has no model of its own: the fit is item_cosine's, for the
similar items.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from retail_warehouse.arrow import (
    ID_TYPE,
    concat,
    constant_column,
    dictionary_column,
    note_rows,
    strings,
)
from retail_warehouse.recommendations._base import LOG, Recommender
from retail_warehouse.recommendations._data import (
    StoreMatrix,
    read_matrix,
    store_relations,
    store_rows,
)
from retail_warehouse.recommendations._factors import FactorModel
from retail_warehouse.recommendations._neighbours import NeighbourModel
from retail_warehouse.recommendations._settings import RecommendationSettings

NEIGHBOUR_ALGORITHMS = ("item_cosine", "bm25")
FIT_SCHEMA = pa.schema(
    [
        ("store_id", ID_TYPE),
        ("algorithm", ID_TYPE),
        ("entity", ID_TYPE),
        ("entity_id", ID_TYPE),
        ("item_index", pa.int32()),
        ("buyers", pa.int64()),
        ("neighbour_indexes", pa.list_(pa.int32())),
        ("neighbour_scores", pa.list_(pa.float32())),
        ("factors", pa.list_(pa.float32())),
        ("note", pa.string()),
    ]
)


def model_class(algorithm: str, factor_model: type[FactorModel] = FactorModel) -> type[Recommender]:
    """The class of `algorithm`'s model; `factor_model` fits als and bpr (the Spark path's
    subclass fits ALS with Spark MLlib, retail_warehouse.spark_ml)."""
    return NeighbourModel if algorithm in NEIGHBOUR_ALGORITHMS else factor_model


def fitted_algorithm(settings: RecommendationSettings) -> str:
    """The model ml_recommendation_fit fits: var rec_algorithm (item_cosine for popularity)."""
    return "item_cosine" if settings.rec_algorithm == "popularity" else settings.rec_algorithm


def fit_store(
    store: StoreMatrix,
    algorithm: str,
    settings: RecommendationSettings,
    factor_model: type[FactorModel] = FactorModel,
) -> tuple[np.ndarray, Recommender | None]:
    """The kept item codes and the model fitted on them (None for popularity, or when fewer
    than two items are kept)."""
    kept_items = store.kept_items(settings.rec_min_item_customers)
    if algorithm == "popularity" or len(kept_items) < 2:
        return kept_items, None
    model = model_class(algorithm, factor_model)(algorithm, settings)
    model.fit(store.matrix[:, kept_items].tocsr())
    return kept_items, model


def too_few_items(kept: int, settings: RecommendationSettings) -> str:
    return (
        f"no model: {kept} item(s) bought by at least rec_min_item_customers "
        f"({settings.rec_min_item_customers}) customers, a model needs 2"
    )


def _lists(offsets: np.ndarray, values: np.ndarray) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(values))


def _factor_lists(factors: np.ndarray) -> pa.ListArray:
    n, width = factors.shape
    return _lists(np.arange(n + 1) * width, np.ascontiguousarray(factors).ravel())


def _store_fit_table(
    store_id: str, store: StoreMatrix, kept_items: np.ndarray, model: Recommender
) -> pa.Table:
    n = len(kept_items)
    graph = model.graph
    item_factors = model.item_factors
    items = {
        "store_id": constant_column(store_id, n),
        "algorithm": constant_column(model.algorithm, n),
        "entity": constant_column("item", n),
        "entity_id": dictionary_column(kept_items, store.item_ids),
        "item_index": pa.array(np.arange(n, dtype=np.int32)),
        "buyers": pa.array(store.item_customers[kept_items].astype(np.int64)),
        "neighbour_indexes": _lists(graph.indptr, graph.indices.astype(np.int32)),
        "neighbour_scores": _lists(graph.indptr, graph.data.astype(np.float32)),
        "factors": (
            _factor_lists(item_factors)
            if item_factors is not None
            else pa.nulls(n, pa.list_(pa.float32()))
        ),
        "note": pa.nulls(n, pa.string()),
    }
    tables = [pa.table(items)]
    if model.user_factors is not None:
        kept_matrix = store.matrix[:, kept_items]
        customers = np.flatnonzero(np.diff(kept_matrix.tocsr().indptr) > 0)
        m = len(customers)
        tables.append(
            pa.table(
                {
                    "store_id": constant_column(store_id, m),
                    "algorithm": constant_column(model.algorithm, m),
                    "entity": constant_column("customer", m),
                    "entity_id": dictionary_column(customers, store.customer_ids),
                    "item_index": pa.nulls(m, pa.int32()),
                    "buyers": pa.nulls(m, pa.int64()),
                    "neighbour_indexes": pa.nulls(m, pa.list_(pa.int32())),
                    "neighbour_scores": pa.nulls(m, pa.list_(pa.float32())),
                    "factors": _factor_lists(model.user_factors[customers]),
                    "note": pa.nulls(m, pa.string()),
                }
            )
        )
    return concat(tables, FIT_SCHEMA)


def recommendation_fit(
    interactions, settings: RecommendationSettings, factor_model: type[FactorModel] = FactorModel
) -> pa.Table:
    """ml_recommendation_fit: every store's model (see the module docstring); `factor_model`
    fits als and bpr (see `model_class`)."""
    algorithm = fitted_algorithm(settings)
    tables, notes = [], []
    for store_id, rows in store_relations(interactions):
        store = read_matrix(rows)
        kept_items, model = fit_store(store, algorithm, settings, factor_model)
        if model is None:
            note = too_few_items(len(kept_items), settings)
            LOG.warning("ml_recommendation_fit: store %r has %s", store_id, note)
            notes.append({"store_id": store_id, "algorithm": algorithm, "note": note})
            continue
        tables.append(_store_fit_table(store_id, store, kept_items, model))
        del model, store  # a GB of graphs and factors at full scale: free it before the next
    return concat([*tables, note_rows(FIT_SCHEMA, notes)], FIT_SCHEMA)


@dataclass
class StoredFit:
    """One store's rows of ml_recommendation_fit, as the models that apply it need them."""

    store_id: str
    item_ids: pa.Array  # the kept catalogue, in item_index order
    model: Recommender | None
    note: str | None


def _values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, flat values) of a list column."""
    lists = column.combine_chunks()
    return lists.offsets.to_numpy(), lists.flatten().to_numpy(zero_copy_only=False)


def _factors(rows: pa.Table) -> np.ndarray | None:
    if rows.num_rows == 0 or rows["factors"].null_count == rows.num_rows:
        return None
    _, values = _values(rows["factors"])
    return values.astype(np.float32).reshape(rows.num_rows, -1)


def read_fit(
    fit, store_id: str, settings: RecommendationSettings, store: StoreMatrix | None = None
) -> StoredFit:
    """One store's fit back from ml_recommendation_fit (a relation). With `store` (the
    interactions it was fitted on), also the customer factors, in the store's customer codes;
    stops when the fit does not match the interactions (a stale table)."""
    rows = store_rows(fit, store_id)
    items = rows.filter("entity = 'item'").order("item_index").to_arrow_table()
    if items.num_rows == 0:
        notes = rows.filter("note is not null").project("note").fetchall()
        if not notes:
            raise ValueError(
                f"ml_recommendation_fit has no rows for store {store_id!r}: rebuild it"
            )
        return StoredFit(store_id, pa.array([], pa.string()), None, notes[0][0])
    algorithm = strings(items["algorithm"])[0].as_py()
    if algorithm != fitted_algorithm(settings):
        raise ValueError(
            f"ml_recommendation_fit holds a {algorithm} model for store {store_id!r}, var "
            f"rec_algorithm is {settings.rec_algorithm}: rebuild it"
        )
    item_ids = strings(items["entity_id"])
    n = len(item_ids)
    offsets, neighbours = _values(items["neighbour_indexes"])
    _, scores = _values(items["neighbour_scores"])
    graph = sp.csr_matrix((scores.astype(np.float32), neighbours.astype(np.int32), offsets), (n, n))
    graph.sort_indices()
    user_factors = None
    if store is not None:
        kept = store.item_ids.take(pa.array(store.kept_items(settings.rec_min_item_customers)))
        if not kept.equals(item_ids):
            raise ValueError(
                f"ml_recommendation_fit does not match int_customer_item_interactions for store "
                f"{store_id!r} (or var rec_min_item_customers changed): rebuild it"
            )
        user_factors = _customer_factors(rows, store, store_id)
    model = model_class(algorithm).restore(
        algorithm, settings, graph, _factors(items), user_factors
    )
    return StoredFit(store_id, item_ids, model, None)


def _customer_factors(
    rows: duckdb.DuckDBPyRelation, store: StoreMatrix, store_id: str
) -> np.ndarray | None:
    customers = rows.filter("entity = 'customer'").to_arrow_table()
    factors = _factors(customers)
    if factors is None:
        return None
    codes = pc.index_in(strings(customers["entity_id"]), value_set=store.customer_ids)
    if codes.null_count:
        raise ValueError(
            f"ml_recommendation_fit has customers of store {store_id!r} that "
            "int_customer_item_interactions does not: rebuild it"
        )
    user_factors = np.zeros((len(store.customer_ids), factors.shape[1]), dtype=np.float32)
    user_factors[codes.to_numpy()] = factors
    return user_factors

"""Customer recommendations (ml_customer_recommendations): the model's picks from each
customer's history, then the fallbacks for customers still short of N.

A customer whose history gives fewer than N candidates (say one purchase of a rare item) is
filled up from fallback rankings, in this order: the items most bought in the customer's
rule-based segment, then in their country, then overall. Items the customer bought or returned
are never recommended; ``source`` says where each row came from. Scores compare within one
source only: a model's score (a similarity sum or a factor dot product) and a popularity share
(buyers over customers of the group) are different units. Ranks follow the source order, then
the score, then the item id.

Customer batches run on every core: numpy and scipy release the GIL in the heavy steps.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from retail_warehouse.arrow import ID_TYPE, concat, constant_column, dictionary_column, note_rows
from retail_warehouse.recommendations._base import LOG, Recommender
from retail_warehouse.recommendations._data import (
    StoreMatrix,
    customer_groups,
    read_matrix,
    store_customers,
    store_relations,
    store_rows,
)
from retail_warehouse.recommendations._fit import read_fit
from retail_warehouse.recommendations._settings import RecommendationSettings

MODEL_SOURCES = ("item_cosine", "bm25", "als", "bpr")
FALLBACK_SOURCES = ("segment_popular", "country_popular", "overall_popular")
SOURCES = (*MODEL_SOURCES, *FALLBACK_SOURCES)
BATCH_SIZE = 10_000  # customers per candidate batch: its arrays stay in cache
RECOMMENDATION_SCHEMA = pa.schema(
    [
        ("store_id", ID_TYPE),
        ("customer_id", ID_TYPE),
        ("recommendation_rank", pa.int64()),
        ("item_id", ID_TYPE),
        ("score", pa.float64()),
        ("source", ID_TYPE),
        ("note", pa.string()),
    ]
)
NO_PICKS = (np.array([], dtype=np.int64), np.array([], dtype=np.int64), np.array([]))
NO_KEYS = np.array([], dtype=np.int64)


def _cores() -> int:
    return max(len(os.sched_getaffinity(0)), 1)


def _kept_pairs(excluded: np.ndarray, kept_items: np.ndarray, shape: tuple[int, int]):
    """The excluded customer * items + item keys of kept items, as a customers x kept items
    matrix (what the models filter their candidates by)."""
    n_customers, n_items = shape
    position = np.full(n_items, -1, dtype=np.int64)
    position[kept_items] = np.arange(len(kept_items))
    customers, items = np.divmod(excluded, n_items)
    kept = position[items] >= 0
    return sp.csr_matrix(
        (np.ones(kept.sum(), dtype=np.float32), (customers[kept], position[items[kept]])),
        shape=(n_customers, len(kept_items)),
    )


def model_picks(
    model: Recommender | None,
    store: StoreMatrix,
    kept_items: np.ndarray,
    targets: np.ndarray,
    n: int,
    excluded: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """(customer code, item code, score) of the model's top n for each target customer with a
    kept item in their history, in customer order; never a pair of `excluded` (sorted
    customer * items + item keys)."""
    if model is None:
        return NO_PICKS
    kept_matrix = store.matrix[:, kept_items].tocsr()
    banned = _kept_pairs(excluded, kept_items, store.matrix.shape) if len(excluded) else None
    customers = targets[np.diff(kept_matrix.indptr)[targets] > 0]
    batches = [
        customers[start : start + BATCH_SIZE] for start in range(0, len(customers), BATCH_SIZE)
    ]

    def run(batch):
        excluded_rows = banned[batch] if banned is not None else None
        rows, cols, scores, _ = model.recommend(batch, kept_matrix[batch], n, excluded_rows)
        return batch[rows], kept_items[cols], scores

    with ThreadPoolExecutor(_cores()) as pool:
        parts = list(pool.map(run, batches))
    if not parts:
        return NO_PICKS
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def popularity_ranking(matrix: sp.csr_matrix, customers: np.ndarray) -> tuple[np.ndarray, ...]:
    """Items bought by these customers: (item codes, share of them who bought it), best first."""
    buyers = np.bincount(matrix[customers].indices, minlength=matrix.shape[1])
    items = np.flatnonzero(buyers)
    order = np.lexsort((items, -buyers[items]))
    items = items[order]
    return items, buyers[items] / max(len(customers), 1)


def fill(
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


def fill_store(
    store: StoreMatrix,
    picks: tuple[np.ndarray, ...],
    groups: dict[str, np.ndarray],
    n: int,
    algorithm: str,
    targets: np.ndarray,
    excluded: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """(customer code, rank, item code, score, source index) of every recommendation to the
    `targets`: the model's picks, then the fallbacks for customers still short of n."""
    matrix = store.matrix
    n_customers, n_items = matrix.shape
    model_c, model_i, model_s = picks
    have = np.bincount(model_c, minlength=n_customers)

    # Fallbacks, in order, for customers still short of n. `taken`: what each of them has
    # bought, returned or been recommended already, as sorted customer * n_items + item keys.
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
            excluded,
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
            rankings = {0: popularity_ranking(matrix, all_customers)}
        else:
            codes = groups[column]
            group_of = codes[needy]
            rankings = {
                int(g): popularity_ranking(matrix, np.flatnonzero(codes == g))
                for g in np.unique(group_of)
                if g >= 0
            }
        c, i, s, _ = fill(needy, need, group_of, rankings, taken, n_items, chunk=4 * n)
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
    return assemble(model, fallbacks, n_customers)


def run_positions(sorted_codes: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    if not len(sorted_codes):
        return np.array([], dtype=np.int64)
    first = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    return np.arange(len(sorted_codes)) - np.repeat(first, np.diff(np.r_[first, len(sorted_codes)]))


def assemble(model, fallbacks, n_customers: int) -> tuple[np.ndarray, ...]:
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
    model_rank = run_positions(model[0])
    fallback_rank = model_count[fallback[0]] + run_positions(fallback[0])
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


def _store_table(store_id: str, store: StoreMatrix, rows) -> pa.Table:
    c, rank, i, s, src = rows
    return pa.table(
        {
            "store_id": constant_column(store_id, len(c)),
            "customer_id": dictionary_column(c, store.customer_ids),
            "recommendation_rank": pa.array(rank.astype(np.int64)),
            "item_id": dictionary_column(i, store.item_ids),
            "score": pa.array(s),
            "source": dictionary_column(src, list(SOURCES)),
            "note": pa.nulls(len(c), pa.string()),
        },
        schema=RECOMMENDATION_SCHEMA,
    )


def recommend(interactions, fit, customers, returns, settings: RecommendationSettings) -> pa.Table:
    """Top `rec_customer_items` items per customer and store that the customer has neither
    bought nor returned, under the model of ml_recommendation_fit (`fit`, a relation).

    `customers` gives each customer's `segment` and `country` (store_id, customer_id, segment,
    country; either may be null) for the fallbacks; `returns` the (store_id, customer_id,
    item_id) pairs of returned items.
    """
    n = int(settings.rec_customer_items)
    tables, notes = [], []
    for store_id, rows in store_relations(interactions):
        store = read_matrix(rows)
        stored = read_fit(fit, store_id, settings, store)
        reasons = []
        if settings.rec_algorithm != "popularity" and stored.model is None:
            reasons.append(f"{stored.note}; only the fallbacks recommend")
        model = stored.model if settings.rec_algorithm != "popularity" else None
        del stored
        excluded = store.pairs(store_rows(returns, store_id)) if returns is not None else NO_KEYS
        targets = np.arange(store.matrix.shape[0])
        kept_items = store.kept_items(settings.rec_min_item_customers)
        picks = model_picks(model, store, kept_items, targets, n, excluded)
        del model  # the fallbacks need no factors or graphs: free them (a GB at full scale)
        groups = customer_groups(store, store_customers(customers, store_id))
        recs = fill_store(store, picks, groups, n, settings.rec_algorithm, targets, excluded)
        del picks
        if len(recs[0]):
            tables.append(_store_table(store_id, store, recs))
        else:
            reasons.append(
                f"every customer has bought or returned all {store.matrix.shape[1]} item(s) "
                "of the store: nothing to recommend"
            )
        if reasons:
            note = "; ".join(reasons)
            LOG.warning("ml_customer_recommendations: store %r: %s", store_id, note)
            notes.append({"store_id": store_id, "note": note})
    return concat([*tables, note_rows(RECOMMENDATION_SCHEMA, notes)], RECOMMENDATION_SCHEMA)

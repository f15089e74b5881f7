"""Evaluation (ml_recommendation_eval): every algorithm on a time-based split, per store,
overall and per segment.

Each algorithm is trained on the purchases before a cut-off with the production settings and
code (history line, candidates, fallbacks, the returned items left out) and asked for k items
for each customer who buys something new after it. An evaluation of fewer customers than
`rec_eval_min_customers`, or with less history before the cut-off than `rec_holdout_days`,
says too little for the comparison to mean much: its rows say so in `note`, and the quality
tests skip the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retail_warehouse.arrow import concat, note_rows, strings
from retail_warehouse.labels import ALL_CUSTOMERS
from retail_warehouse.recommendations._base import LOG
from retail_warehouse.recommendations._candidates import NO_KEYS, fill_store, model_picks
from retail_warehouse.recommendations._data import (
    build_matrix,
    customer_groups,
    relation,
    store_customers,
    store_relations,
    store_rows,
)
from retail_warehouse.recommendations._factors import FactorModel
from retail_warehouse.recommendations._fit import fit_store
from retail_warehouse.recommendations._settings import RecommendationSettings

PURCHASE_COLUMNS = ["customer_id", "item_id", "order_id", "ordered_at"]
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
    "note",
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
        ("note", pa.string()),
    ]
)


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
    lines = relation(lines)
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
        (ALL_CUSTOMERS, per_customer, recs),
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
    ids = strings(customers["customer_id"])
    rows = customers.select(["customer_id", "segment"]).filter(
        pc.is_in(ids, value_set=customer_ids)
    )
    frame = rows.to_pandas().drop_duplicates("customer_id")
    return frame.set_index("customer_id")["segment"]


def _too_small(customers: int, history_days: int, settings: RecommendationSettings) -> str | None:
    """Why an evaluation says too little to compare the algorithms (None when it does not):
    too few customers evaluated, or less history before the cut-off than the test period
    after it (one month of data trains on a day)."""
    reasons = []
    if customers < settings.rec_eval_min_customers:
        reasons.append(
            f"{customers} customers evaluated, fewer than rec_eval_min_customers "
            f"({settings.rec_eval_min_customers})"
        )
    if history_days < settings.rec_holdout_days:
        reasons.append(
            f"{history_days} day(s) of purchases before the cut-off, fewer than the "
            f"rec_holdout_days ({settings.rec_holdout_days}) after it"
        )
    if not reasons:
        return None
    return "; ".join(reasons) + ": too little to compare the algorithms, the quality tests skip it"


def _returned_before(returns, store_id: str, cutoff: pd.Timestamp):
    """A store's returned (customer_id, item_id) pairs first returned before the cut-off."""
    if returns is None:
        return None
    cut = duckdb.ConstantExpression(cutoff.to_pydatetime())
    return store_rows(returns, store_id).filter(duckdb.ColumnExpression("first_returned_at") < cut)


class StorePurchases(NamedTuple):
    """One store's purchase lines to evaluate on: `lines` (PURCHASE_COLUMNS, no nulls) are
    those of its sampled customers (see `sample_customers`); `first` and `last` are the
    store's first and last purchase over all its lines, so the cut-off does not depend on
    the sample."""

    store_id: str
    first: datetime
    last: datetime
    lines: pa.Table


def store_purchases(purchases, settings: RecommendationSettings) -> Iterator[StorePurchases]:
    """Each store's `StorePurchases` from purchase lines (store_id, customer_id, item_id,
    order_id, ordered_at), sampled in DuckDB; stores without a dated purchase are left out."""
    for store_id, lines in store_relations(purchases):
        first, last = lines.aggregate("min(ordered_at), max(ordered_at)").fetchall()[0]
        if last is None:
            continue
        sample = sample_customers(lines, settings.rec_eval_max_customers, settings.rec_seed)
        sample = sample.project(", ".join(PURCHASE_COLUMNS)).to_arrow_table().drop_null()
        yield StorePurchases(store_id, first, last, sample)


def evaluate(
    purchases,
    customers,
    returns,
    settings: RecommendationSettings,
    factor_model: type[FactorModel] = FactorModel,
) -> pa.Table:
    """Time-based evaluation of every algorithm of `rec_eval_algorithms`, per store, overall
    and per segment.

    `purchases`: purchase lines (store_id, customer_id, item_id, order_id, ordered_at);
    `returns`: returned pairs (store_id, customer_id, item_id, first_returned_at), of which
    those returned before the cut-off are never recommended. Models are trained on everything
    before the cut-off (see `time_split`) and asked for `rec_eval_k` items for each customer
    who has history before the cut-off and buys something new after it; customers with no
    history before the cut-off are cold starts that every algorithm treats alike and are left
    out. A store with more than `rec_eval_max_customers` customers is evaluated on a seeded
    random sample of that many (`sample_customers`): the models are trained on the sample's
    purchases before the cut-off and asked about the sample's customers. The cut-off is the
    same either way. Catalogue coverage is distinct items recommended over items in the
    training data. `factor_model` fits als and bpr (see `_fit.model_class`).
    """
    return evaluate_stores(
        store_purchases(purchases, settings), customers, returns, settings, factor_model
    )


def evaluate_stores(
    stores: Iterable[StorePurchases],
    customers,
    returns,
    settings: RecommendationSettings,
    factor_model: type[FactorModel] = FactorModel,
) -> pa.Table:
    """`evaluate` on purchases already sampled per store (Spark samples its own)."""
    k = int(settings.rec_eval_k)
    frames, notes = [], []
    for store_id, first, last, sample in stores:
        train, test, cutoff = time_split(sample.to_pandas(), settings.rec_holdout_days, last)
        if train.empty or test.empty:
            when = "before" if train.empty else "new to a customer on or after"
            note = f"not evaluated: no purchase {when} the cut-off {cutoff.date()}"
            LOG.warning("ml_recommendation_eval: store %r %s", store_id, note)
            notes.append({"store_id": store_id, "k": k, "cutoff_at": cutoff, "note": note})
            continue
        store = build_matrix(train)
        customer_ids = pd.Index(store.customer_ids.to_pandas())
        test = test[test["customer_id"].isin(customer_ids)]
        evaluated = np.sort(customer_ids.get_indexer(test["customer_id"].unique()))
        returned = _returned_before(returns, store_id, cutoff)
        excluded = store.pairs(returned) if returned is not None else NO_KEYS
        of_store = store_customers(customers, store_id)
        groups = customer_groups(store, of_store)
        segments = _segments(of_store, store.customer_ids.take(evaluated))
        item_ids = store.item_ids.to_numpy(zero_copy_only=False)
        note = _too_small(len(evaluated), (cutoff - pd.Timestamp(first).normalize()).days, settings)
        if note:
            LOG.warning("ml_recommendation_eval: store %r: %s", store_id, note)
        for algorithm in settings.rec_eval_algorithms:
            kept_items, model = fit_store(store, algorithm, settings, factor_model)
            picks = model_picks(model, store, kept_items, evaluated, k, excluded)
            c, rank, i, _, _ = fill_store(store, picks, groups, k, algorithm, evaluated, excluded)
            recs = pd.DataFrame(
                {
                    "customer_id": customer_ids.to_numpy()[c],
                    "recommendation_rank": rank,
                    "item_id": item_ids[i],
                }
            )
            table = _metrics_table(recs, test, segments, k, len(store.item_ids))
            table.insert(0, "algorithm", algorithm)
            table.insert(0, "store_id", store_id)
            table["cutoff_at"] = cutoff
            table["note"] = note
            frames.append(table)
    tables = [note_rows(EVAL_SCHEMA, notes)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
        out["k"] = k
        out["is_default"] = out["algorithm"] == settings.rec_algorithm
        out["cutoff_at"] = out["cutoff_at"].astype("datetime64[us]")
        tables.insert(
            0, pa.Table.from_pandas(out[EVAL_COLUMNS], schema=EVAL_SCHEMA, preserve_index=False)
        )
    return concat(tables, EVAL_SCHEMA)

"""Clusters against the rule-based segments: the crosstab (ml_cluster_segment_crosstab) and the
adjusted Rand index between every two groupings (ml_cluster_agreement)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa

from retail_warehouse.arrow import Tabular, appearance_codes, concat, note_rows
from retail_warehouse.clustering._inputs import align, by_store, column_values, split_stores
from retail_warehouse.clustering._kmeans import COMPARED_KS
from retail_warehouse.clustering._profiles import cluster_ids, names_of

CROSSTAB_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("k", pa.int32()),
        ("cluster_id", pa.int32()),
        ("cluster_label", pa.string()),
        ("segment", pa.string()),
        ("customers", pa.int64()),
        ("revenue", pa.float64()),
        ("share_of_cluster_customers", pa.float64()),
        ("share_of_segment_customers", pa.float64()),
        ("share_of_store_revenue", pa.float64()),
        ("note", pa.string()),
    ]
)
AGREEMENT_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("partition_a", pa.string()),
        ("partition_b", pa.string()),
        ("groups_a", pa.int64()),
        ("groups_b", pa.int64()),
        ("customers", pa.int64()),
        ("adjusted_rand_index", pa.float64()),
        ("note", pa.string()),
    ]
)


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=np.float64), numerator.shape)
    result = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return result


def _too_small(k: int) -> str:
    return f"too small for k = {k}: ml_customer_clusters has no clusters at this k"


def segment_crosstab(rfm: Tabular, clusters: Tabular) -> pa.Table:
    """One row per store, k (4 and 5), cluster and rule-based segment, empty cells included."""
    clusters = by_store(clusters, "ml_customer_clusters")
    tables = []
    for store_id, customers in split_stores(rfm, ("segment",)):
        store_clusters = align(clusters, store_id, customers["customer_id"], "ml_customer_clusters")
        segment_codes, segments = appearance_codes(customers["segment"])
        money = column_values(customers, "monetary")
        order = np.argsort(segments)  # segments in name order
        for k in COMPARED_KS:
            labels = cluster_ids(store_clusters, f"cluster_id_k{k}")
            if labels is None:
                row = {"store_id": store_id, "k": k, "note": _too_small(k)}
                tables.append(note_rows(CROSSTAB_SCHEMA, [row]))
                continue
            g = len(segments)
            cell = labels * g + segment_codes
            counts = np.bincount(cell, minlength=k * g).reshape(k, g)[:, order]
            revenue = np.bincount(cell, weights=money, minlength=k * g).reshape(k, g)[:, order]
            cluster_total = counts.sum(axis=1, keepdims=True)
            segment_total = counts.sum(axis=0, keepdims=True)
            names = names_of(store_clusters, f"cluster_id_k{k}", f"cluster_label_k{k}", k)
            frame = pd.DataFrame(
                {
                    "store_id": store_id,
                    "k": k,
                    "cluster_id": np.repeat(np.arange(k), g),
                    "cluster_label": np.repeat(names, g),
                    "segment": np.tile(np.asarray(segments, dtype=object)[order], k),
                    "customers": counts.ravel(),
                    "revenue": revenue.ravel(),
                    "share_of_cluster_customers": _ratio(counts, cluster_total).ravel(),
                    "share_of_segment_customers": _ratio(counts, segment_total).ravel(),
                    "share_of_store_revenue": _ratio(revenue, money.sum()).ravel(),
                    "note": None,
                }
            )
            tables.append(pa.Table.from_pandas(frame, schema=CROSSTAB_SCHEMA, preserve_index=False))
    return concat(tables, CROSSTAB_SCHEMA)


def cluster_agreement(rfm: Tabular, clusters: Tabular, mixture: Tabular) -> pa.Table:
    """One row per store and pair of partitions: the adjusted Rand index between them.

    Partitions: `kmeans` (chosen k), `kmeans_k4`, `kmeans_k5`, `gaussian_mixture` (most
    probable component), `rfm_segment` and `marketing_group`. 1 = the same grouping, ~0 = no
    more alike than chance. A K-Means partition the store is too small for gets one row (as
    `partition_a`) with a note instead of its pairs.
    """
    clusters = by_store(clusters, "ml_customer_clusters")
    mixture = by_store(mixture, "ml_customer_mixture")
    rows, notes = [], []
    for store_id, customers in split_stores(rfm, ("segment", "marketing_group")):
        ids = customers["customer_id"]
        store_clusters = align(clusters, store_id, ids, "ml_customer_clusters")
        store_mixture = align(mixture, store_id, ids, "ml_customer_mixture")
        partitions = {
            "kmeans": (store_clusters, "cluster_id"),
            "kmeans_k4": (store_clusters, "cluster_id_k4"),
            "kmeans_k5": (store_clusters, "cluster_id_k5"),
            "gaussian_mixture": (store_mixture, "component"),
            "rfm_segment": (customers, "segment"),
            "marketing_group": (customers, "marketing_group"),
        }
        codes = {}
        for name, (table, column) in partitions.items():
            if table[column].null_count:  # only the k = 4 and k = 5 clusters can be missing
                note = _too_small(int(column.removeprefix("cluster_id_k")))
                notes.append({"store_id": store_id, "partition_a": name, "note": note})
            else:
                codes[name] = appearance_codes(table[column])[0]
        for (a, left), (b, right) in itertools.combinations(codes.items(), 2):
            rows.append(
                {
                    "store_id": store_id,
                    "partition_a": a,
                    "partition_b": b,
                    "groups_a": int(left.max()) + 1,
                    "groups_b": int(right.max()) + 1,
                    "customers": len(left),
                    "adjusted_rand_index": adjusted_rand_index(left, right),
                }
            )
    return concat(
        [pa.Table.from_pylist(rows, schema=AGREEMENT_SCHEMA), note_rows(AGREEMENT_SCHEMA, notes)],
        AGREEMENT_SCHEMA,
    )


def adjusted_rand_index(left: np.ndarray, right: np.ndarray) -> float:
    """Adjusted Rand index of two labellings given as integer codes 0..g-1 (as scikit-learn's
    `adjusted_rand_score`, by one bincount instead of sorting millions of labels)."""
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    n = len(left)
    if n < 2:
        return 1.0
    groups_right = int(right.max()) + 1
    table = np.bincount(left * groups_right + right).astype(np.float64)
    rows = np.bincount(left).astype(np.float64)
    columns = np.bincount(right).astype(np.float64)
    pairs = (table * (table - 1)).sum() / 2
    pairs_rows = (rows * (rows - 1)).sum() / 2
    pairs_columns = (columns * (columns - 1)).sum() / 2
    expected = pairs_rows * pairs_columns / (n * (n - 1) / 2)
    maximum = (pairs_rows + pairs_columns) / 2
    if maximum == expected:  # both labellings put everyone together, or everyone apart
        return 1.0
    return float((pairs - expected) / (maximum - expected))

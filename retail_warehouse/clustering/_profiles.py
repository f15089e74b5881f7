"""Cluster profiles (ml_cluster_profiles): size, shares, centroid and label of every cluster.

K-Means rows cover the chosen k, k = 4 and k = 5 (each once); the centroid is the mean of the
cluster's customers in standardised space mapped back to days, orders and money (a
geometric-mean-like typical customer). Mixture rows: one per component, customers counted by
their most probable component, centroid the probability-weighted mean of all customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from retail_warehouse.arrow import Tabular, concat, note_rows
from retail_warehouse.clustering._features import (
    StoreFeatures,
    StoreTransform,
    read_features,
    read_transforms,
)
from retail_warehouse.clustering._inputs import (
    FEATURES,
    align,
    by_store,
    column_values,
    split_stores,
)
from retail_warehouse.clustering._kmeans import COMPARED_KS, member_centroids

PROFILE_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("method", pa.string()),
        ("k", pa.int32()),
        ("cluster_id", pa.int32()),
        ("label", pa.string()),
        ("is_chosen_k", pa.bool_()),
        ("customers", pa.int64()),
        ("share_of_customers", pa.float64()),
        ("revenue", pa.float64()),
        ("share_of_revenue", pa.float64()),
        ("centroid_recency_days", pa.float64()),
        ("centroid_frequency", pa.float64()),
        ("centroid_monetary", pa.float64()),
        ("mean_recency_days", pa.float64()),
        ("mean_frequency", pa.float64()),
        ("mean_monetary", pa.float64()),
        ("mean_membership_probability", pa.float64()),
        ("note", pa.string()),
    ]
)


def _profile_rows(
    values: np.ndarray,
    transform: StoreTransform,
    method: str,
    labels: np.ndarray,
    names: list[str],
    centroids_z: np.ndarray,
    is_chosen: bool,
    membership: np.ndarray | None = None,
) -> pa.Table:
    """Profile of one clustering of a store's customers (`labels` in customer id order;
    `values` their raw R, F and M)."""
    k = len(centroids_z)
    money = values[:, 2]
    centroids = transform.to_original_units(centroids_z)
    counts = np.bincount(labels, minlength=k)
    revenue = np.bincount(labels, weights=money, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (
            np.column_stack(
                [np.bincount(labels, weights=values[:, i], minlength=k) for i in range(3)]
            )
            / counts[:, None]
        )
        member_probability = (
            np.bincount(labels, weights=membership, minlength=k) / counts
            if membership is not None
            else np.full(k, np.nan)
        )
    n = len(labels)
    frame = pd.DataFrame(
        {
            "store_id": transform.store_id,
            "method": method,
            "k": k,
            "cluster_id": np.arange(k),
            "label": names,
            "is_chosen_k": is_chosen,
            "customers": counts,
            "share_of_customers": counts / n if n else 0.0,
            "revenue": revenue,
            "share_of_revenue": revenue / money.sum() if money.sum() > 0 else 0.0,
            "centroid_recency_days": centroids[:, 0],
            "centroid_frequency": centroids[:, 1],
            "centroid_monetary": centroids[:, 2],
            "mean_recency_days": means[:, 0],
            "mean_frequency": means[:, 1],
            "mean_monetary": means[:, 2],
            "mean_membership_probability": member_probability,
            "note": None,
        }
    )
    return pa.Table.from_pandas(frame, schema=PROFILE_SCHEMA, preserve_index=False)


def names_of(table: pa.Table, id_column: str, label_column: str, k: int) -> list[str]:
    """Label of each cluster id 0..k-1 as stored beside the ids (`empty` for an unused id)."""
    ids, first = np.unique(column_values(table, id_column, np.int64), return_index=True)
    labels = table[label_column].take(pa.array(first)).to_pylist()
    names = dict(zip(ids.tolist(), labels, strict=True))
    return [names.get(i, "empty") for i in range(k)]


def cluster_ids(table: pa.Table, column: str) -> np.ndarray | None:
    """A cluster id column as int64 codes; None when it is null (store too small for that k)."""
    if table[column].null_count:
        return None
    return column_values(table, column, np.int64)


def _kmeans_profiles(
    store: StoreFeatures, transform: StoreTransform, values: np.ndarray, clusters: pa.Table
) -> list[pa.Table]:
    chosen_k = int(clusters["k"][0].as_py()) if len(clusters) else 1
    profiled = [(chosen_k, "cluster_id", "cluster_label")] + [
        (k, f"cluster_id_k{k}", f"cluster_label_k{k}") for k in COMPARED_KS if k != chosen_k
    ]
    tables = []
    for k, id_column, label_column in profiled:
        labels = cluster_ids(clusters, id_column)
        if labels is None:
            note = f"too small for k = {k}: ml_customer_clusters has no clusters at this k"
            row = {"store_id": store.store_id, "method": "kmeans", "k": k, "is_chosen_k": False}
            row["note"] = note
            tables.append(note_rows(PROFILE_SCHEMA, [row]))
            continue
        centroids = member_centroids(store.z, labels, k, np.zeros((k, 3)))
        names = names_of(clusters, id_column, label_column, k)
        tables.append(
            _profile_rows(values, transform, "kmeans", labels, names, centroids, k == chosen_k)
        )
    return tables


def _mixture_profile(
    store: StoreFeatures, transform: StoreTransform, values: np.ndarray, mixture: pa.Table
) -> pa.Table:
    components = int(mixture["components"][0].as_py())
    flat = mixture["probabilities"].combine_chunks().flatten()
    probabilities = np.asarray(flat.to_numpy(), dtype=np.float64).reshape(-1, components)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroids = (probabilities.T @ store.z) / probabilities.sum(axis=0)[:, None]
    return _profile_rows(
        values,
        transform,
        "gaussian_mixture",
        column_values(mixture, "component", np.int64),
        names_of(mixture, "component", "component_label", components),
        np.nan_to_num(centroids),
        False,
        column_values(mixture, "membership_probability"),
    )


def cluster_profiles(
    rfm: Tabular, features: Tabular, transform: Tabular, clusters: Tabular, mixture: Tabular
) -> pa.Table:
    """One row per store, method, k and cluster: size, shares, centroid in original units."""
    transforms = read_transforms(transform)
    rfm_by_store = dict(split_stores(rfm))
    clusters = by_store(clusters, "ml_customer_clusters")
    mixture = by_store(mixture, "ml_customer_mixture")
    tables = []
    for store in read_features(features):
        customers = align(rfm_by_store, store.store_id, store.customer_ids, "ml_cluster_features")
        values = np.column_stack([column_values(customers, f) for f in FEATURES])
        transform_of_store = transforms[store.store_id]
        ids = store.customer_ids
        store_clusters = align(clusters, store.store_id, ids, "ml_customer_clusters")
        tables += _kmeans_profiles(store, transform_of_store, values, store_clusters)
        store_mixture = align(mixture, store.store_id, ids, "ml_customer_mixture")
        if len(store_mixture):
            tables.append(_mixture_profile(store, transform_of_store, values, store_mixture))
    return concat(tables, PROFILE_SCHEMA)

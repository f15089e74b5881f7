"""K-Means: the fits (ml_cluster_kmeans_fits) and each customer's cluster (ml_customer_clusters).

K-Means is fitted once per store and k on the store's K-Means sample, at every k that
ml_cluster_k_selection tries and at k = 4 and k = 5, which ml_customer_clusters always shows.
A customer's cluster is the nearest centre (squared Euclidean distance, ties to the lower
index), the rule of scikit-learn's ``predict``. After assigning every customer, each cluster's
centroid is re-estimated on all the customers it holds, and ids and labels follow from those
centroids (``_labels``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Self

import numpy as np
import pyarrow as pa
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from retail_warehouse.arrow import Tabular, as_table, concat, constant_column, dictionary_column
from retail_warehouse.clustering._base import LOG, StoredFit, StoreFits, single_threaded
from retail_warehouse.clustering._features import (
    Z_COLUMNS,
    StoreFeatures,
    StoreTransform,
    read_features,
    read_transforms,
)
from retail_warehouse.clustering._labels import names, value_order
from retail_warehouse.clustering._settings import ClusteringSettings

COMPARED_KS = (4, 5)  # always clustered side by side in ml_customer_clusters
ASSIGN_BLOCK = 262_144  # customers per block when every customer is assigned


class KMeansFit(StoredFit):
    """The k centres of a K-Means fit, in standardised space."""

    table_name = "ml_cluster_kmeans_fits"
    parameters = tuple((name, pa.float64()) for name in Z_COLUMNS)

    def __init__(self, centres: np.ndarray):
        self.centres = np.ascontiguousarray(centres, dtype=np.float64)

    @classmethod
    def fit(cls, features: StoreFeatures, k: int, settings: ClusteringSettings) -> Self:
        model = KMeans(
            n_clusters=k, n_init=settings.cluster_n_init, random_state=settings.cluster_seed
        )
        with warnings.catch_warnings(), single_threaded():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features.z[features.fit_index])
        return cls(model.cluster_centers_)

    def columns(self) -> dict[str, pa.Array]:
        return {name: pa.array(self.centres[:, i]) for i, name in enumerate(Z_COLUMNS)}

    @classmethod
    def from_rows(cls, rows: pa.Table) -> Self:
        return cls(np.column_stack([rows[name].to_numpy() for name in Z_COLUMNS]))

    def labels(self, z: np.ndarray) -> np.ndarray:
        """Each point's nearest centre, in the fit's order."""
        squared = np.einsum("ij,ij->i", self.centres, self.centres)
        labels = np.empty(len(z), dtype=np.int64)
        for start in range(0, len(z), ASSIGN_BLOCK):
            block = z[start : start + ASSIGN_BLOCK]
            # |x - c|^2 without |x|^2, which is the same for every centre.
            labels[start : start + len(block)] = (squared - 2.0 * (block @ self.centres.T)).argmin(
                axis=1
            )
        return labels


def kmeans_fits(features: Tabular, settings: ClusteringSettings) -> pa.Table:
    """ml_cluster_kmeans_fits: every store at the k values tried and at k = 4 and k = 5."""
    return KMeansFit.table(features, sorted({*settings.k_values, *COMPARED_KS}), settings)


def member_centroids(z: np.ndarray, labels: np.ndarray, k: int, fallback: np.ndarray):
    """Each cluster's mean over the points it holds (`fallback` for an empty one)."""
    sums = np.zeros((k, z.shape[1]))
    np.add.at(sums, labels, z)
    counts = np.bincount(labels, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroids = sums / counts[:, None]
    return np.where(counts[:, None] > 0, centroids, fallback)


@dataclass(frozen=True)
class Assignment:
    """A clustering of one store's customers, with stable, value-ordered ids."""

    k: int
    labels: np.ndarray  # cluster id per customer (customer id order)
    names: list[str]


def assign(features: StoreFeatures, transform: StoreTransform, fit: KMeansFit) -> Assignment:
    """Every customer's cluster under `fit`, ids by value, labelled."""
    z = features.z
    raw = fit.labels(z)
    k = len(fit.centres)
    centroids = member_centroids(z, raw, k, fit.centres)
    new_id = value_order(centroids)
    ordered = np.empty_like(centroids)
    ordered[new_id] = centroids
    return Assignment(k, new_id[raw], names(transform, ordered))


def _single_cluster(n: int) -> Assignment:
    return Assignment(1, np.zeros(n, dtype=np.int64), ["all customers"])


CLUSTER_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("customer_id", pa.string()),
        ("k", pa.int32()),
        ("cluster_id", pa.int32()),
        ("cluster_label", pa.string()),
        ("cluster_id_k4", pa.int32()),
        ("cluster_label_k4", pa.string()),
        ("cluster_id_k5", pa.int32()),
        ("cluster_label_k5", pa.string()),
        ("is_outlier", pa.bool_()),
        *((name, pa.float64()) for name in Z_COLUMNS),
    ]
)
# What ml_cluster_segment_crosstab, ml_cluster_agreement and ml_cluster_profiles read of it.
CLUSTER_ID_COLUMNS = ", ".join(name for name in CLUSTER_SCHEMA.names if not name.startswith("z_"))


def _store_clusters(
    features: StoreFeatures,
    transform: StoreTransform,
    fits: StoreFits,
    chosen: int | None,
) -> pa.Table:
    n = len(features.z)
    assignments = {
        k: assign(features, transform, fits.models[k])
        for k in sorted({chosen, *COMPARED_KS} - {None})
        if k in fits.models
    }
    main = assignments.get(chosen) if chosen is not None else None
    if main is None:
        LOG.warning(
            "ml_customer_clusters: store %r is too small for K-Means at any k: every customer "
            "is in one cluster (k = 1, `all customers`)",
            features.store_id,
        )
        main = _single_cluster(n)
    columns = {
        "store_id": constant_column(features.store_id, n),
        "customer_id": features.customer_ids,
        "k": pa.array(np.full(n, main.k, dtype=np.int32)),
        "cluster_id": pa.array(main.labels.astype(np.int32)),
        "cluster_label": dictionary_column(main.labels, main.names),
    }
    for k in COMPARED_KS:
        assignment = assignments.get(k)
        if assignment is None:
            columns[f"cluster_id_k{k}"] = pa.nulls(n, pa.int32())
            columns[f"cluster_label_k{k}"] = pa.nulls(n, pa.string())
        else:
            columns[f"cluster_id_k{k}"] = pa.array(assignment.labels.astype(np.int32))
            columns[f"cluster_label_k{k}"] = dictionary_column(assignment.labels, assignment.names)
    columns["is_outlier"] = pa.array(features.is_outlier)
    for i, name in enumerate(Z_COLUMNS):
        columns[name] = pa.array(features.z[:, i])
    return pa.table(columns)


def chosen_ks(k_selection: Tabular, column: str) -> dict[str, int]:
    """Each store's k flagged `column` in ml_cluster_k_selection."""
    frame = as_table(k_selection).select(["store_id", "k", column]).to_pandas()
    chosen = frame[frame[column].fillna(False).astype(bool)]
    return {row.store_id: int(row.k) for row in chosen.itertuples()}


LABELS_AT_EVERY_K_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("customer_id", pa.string()),
        ("k", pa.int32()),
        ("cluster_id", pa.int32()),
    ]
)


def clusters_at_every_k(features: Tabular, transform: Tabular, fits: Tabular) -> pa.Table:
    """One row per store, customer and fitted k: the customer's cluster under that k's fit,
    numbered as ml_customer_clusters numbers them (by value)."""
    transforms = read_transforms(transform)
    stored = KMeansFit.read(fits)
    tables = []
    with single_threaded():
        for store in read_features(features):
            store_fits = stored.get(store.store_id, StoreFits())
            n = len(store.z)
            for k in sorted(store_fits.models):
                assignment = assign(store, transforms[store.store_id], store_fits.models[k])
                tables.append(
                    pa.table(
                        {
                            "store_id": constant_column(store.store_id, n),
                            "customer_id": store.customer_ids,
                            "k": pa.array(np.full(n, k, dtype=np.int32)),
                            "cluster_id": pa.array(assignment.labels.astype(np.int32)),
                        }
                    )
                )
    return concat(tables, LABELS_AT_EVERY_K_SCHEMA)


def customer_clusters(
    features: Tabular, transform: Tabular, fits: Tabular, k_selection: Tabular
) -> pa.Table:
    """One row per store and customer: cluster at the chosen k, and at k = 4 and k = 5.

    The chosen k of each store is the row of ml_cluster_k_selection flagged ``is_chosen``;
    every clustering applies the fit of ml_cluster_kmeans_fits that the k-selection measured.
    """
    transforms = read_transforms(transform)
    stored = KMeansFit.read(fits)
    chosen = chosen_ks(k_selection, "is_chosen")
    tables = []
    with single_threaded():
        for store in read_features(features):
            tables.append(
                _store_clusters(
                    store,
                    transforms[store.store_id],
                    stored.get(store.store_id, StoreFits()),
                    chosen.get(store.store_id),
                )
            )
    return concat(tables, CLUSTER_SCHEMA)

"""Clustering features: RFM per customer, log-transformed, outliers handled, standardised.

Two steps, each a dbt model. ``feature_transform`` (ml_cluster_feature_transform) fits the
transform of each store, one row per feature, from the RFM mart; ``customer_features``
(ml_cluster_features) applies it to every customer and draws the seeded samples the models are
fitted on. Anyone can reproduce a customer's standardised features from the two tables::

    z = (clip(log1p(x), log_lower, log_upper) - log_mean) / log_std     # outliers = "clip"
    z = (log1p(x) - log_mean) / log_std                                  # outliers = "flag"

``log_lower``/``log_upper`` are the store's ``1 - clip_quantile`` and ``clip_quantile``
quantiles of ``log1p(x)``. With ``clip`` every customer's values are clipped into those bounds
before the mean and standard deviation are taken; with ``flag`` values are kept as they are,
customers outside the bounds on any feature are flagged ``is_outlier``, the mean and standard
deviation come from the other customers, and the models are fitted without the flagged
customers (they are still assigned to a cluster). In both modes ``is_outlier`` says whether a
customer lies outside the bounds on at least one feature.

The transform also records each feature's median and 90th percentile in original units: the
reference the cluster labels are read against (``_labels``).

Samples. One seeded shuffle of the customers the models may be fitted on; the K-Means sample
(``cluster_fit_sample_size``) and the mixture sample (``mixture_fit_sample_size``) are prefixes
of it, so the mixture's customers are among K-Means' and a bigger sample keeps the smaller
one's. The silhouette, quadratic in customers, uses its own seeded sample of all customers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from retail_warehouse.arrow import Tabular, as_table, concat, constant_column
from retail_warehouse.clustering._inputs import (
    FEATURES,
    column_values,
    sorted_by_customer,
    split_stores,
    store_slices,
)
from retail_warehouse.clustering._settings import ClusteringSettings

Z_COLUMNS = ("z_recency", "z_frequency", "z_monetary")
SAMPLE_COLUMNS = ("in_fit_sample", "in_mixture_sample", "in_silhouette_sample")
TRANSFORM_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("feature", pa.string()),
        ("transform", pa.string()),
        ("outlier_handling", pa.string()),
        ("clip_quantile", pa.float64()),
        ("lower_bound", pa.float64()),
        ("upper_bound", pa.float64()),
        ("log_lower", pa.float64()),
        ("log_upper", pa.float64()),
        ("log_mean", pa.float64()),
        ("log_std", pa.float64()),
        ("customers", pa.int64()),
        ("customers_outside_bounds", pa.int64()),
        ("median", pa.float64()),
        ("percentile_90", pa.float64()),
    ]
)
FEATURES_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("customer_id", pa.string()),
        ("is_outlier", pa.bool_()),
        *((name, pa.float64()) for name in Z_COLUMNS),
        *((name, pa.bool_()) for name in SAMPLE_COLUMNS),
    ]
)


# --- the transform (ml_cluster_feature_transform) ---------------------------------------------


@dataclass(frozen=True)
class StoreTransform:
    """One store's fitted transform; each array holds one value per feature (FEATURES order)."""

    store_id: str
    outliers: str  # clip | flag
    log_lower: np.ndarray
    log_upper: np.ndarray
    log_mean: np.ndarray
    log_std: np.ndarray
    median: np.ndarray
    percentile_90: np.ndarray

    def apply(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(z, is_outlier) of customers' raw (n, 3) R, F and M values."""
        logged = np.log1p(raw)
        outside = (logged < self.log_lower) | (logged > self.log_upper)
        bounded = np.clip(logged, self.log_lower, self.log_upper)
        z = ((bounded if self.outliers == "clip" else logged) - self.log_mean) / self.log_std
        return z, outside.any(axis=1)

    def to_original_units(self, z: np.ndarray) -> np.ndarray:
        """Maps points in standardised space back to days, orders and money."""
        return np.expm1(np.asarray(z, dtype=np.float64) * self.log_std + self.log_mean)

    @property
    def label_reference(self) -> tuple[np.ndarray, np.ndarray]:
        """The store's medians of R, F and M, and 90th percentiles of F and M."""
        return self.median, self.percentile_90[1:]


def _store_transform(store_id: str, customers: pa.Table, settings: ClusteringSettings):
    """One store's transform table rows (rows in customer id order)."""
    q = settings.cluster_clip_quantile
    raw = np.column_stack([column_values(customers, f) for f in FEATURES])
    logged = np.log1p(raw)
    lower = np.quantile(logged, 1 - q, axis=0)
    upper = np.quantile(logged, q, axis=0)
    outside = (logged < lower) | (logged > upper)
    is_outlier = outside.any(axis=1)
    if settings.cluster_outliers == "clip":
        basis = np.clip(logged, lower, upper)
    else:
        basis = logged[~is_outlier] if (~is_outlier).any() else logged
    std = basis.std(axis=0)
    # A feature with one value in the whole store carries no information; keep it at z = 0.
    std = np.where(std > 0, std, 1.0)
    n = len(FEATURES)
    return pa.table(
        {
            "store_id": constant_column(store_id, n),
            "feature": list(FEATURES),
            "transform": constant_column("log1p", n),
            "outlier_handling": constant_column(settings.cluster_outliers, n),
            "clip_quantile": np.full(n, float(q)),
            "lower_bound": np.expm1(lower),
            "upper_bound": np.expm1(upper),
            "log_lower": lower,
            "log_upper": upper,
            "log_mean": basis.mean(axis=0),
            "log_std": std,
            "customers": np.full(n, len(customers), dtype=np.int64),
            "customers_outside_bounds": outside.sum(axis=0).astype(np.int64),
            "median": np.median(raw, axis=0),
            "percentile_90": np.quantile(raw, 0.9, axis=0),
        }
    )


def feature_transform(rfm: Tabular, settings: ClusteringSettings) -> pa.Table:
    """The transform of every store in `rfm`: one row per store and feature."""
    tables = [_store_transform(s, customers, settings) for s, customers in split_stores(rfm)]
    return concat(tables, TRANSFORM_SCHEMA)


def read_transforms(transform: Tabular) -> dict[str, StoreTransform]:
    """ml_cluster_feature_transform, store by store."""
    frame = as_table(transform).to_pandas()
    stores = {}
    for store_id, rows in frame.groupby("store_id", sort=True):
        rows = rows.set_index("feature").loc[list(FEATURES)]
        values = {
            c: rows[c].to_numpy(np.float64)
            for c in ("log_lower", "log_upper", "log_mean", "log_std")
        }
        stores[store_id] = StoreTransform(
            store_id=store_id,
            outliers=rows["outlier_handling"].iloc[0],
            **values,
            median=rows["median"].to_numpy(np.float64),
            percentile_90=rows["percentile_90"].to_numpy(np.float64),
        )
    return stores


# --- the features (ml_cluster_features) -------------------------------------------------------


def _sample_indices(fit_mask: np.ndarray, settings: ClusteringSettings):
    """Sorted row numbers of the K-Means, mixture and silhouette samples."""
    eligible = np.flatnonzero(fit_mask)
    shuffled = np.random.default_rng(settings.cluster_seed).permutation(eligible)
    fit = np.sort(shuffled[: settings.cluster_fit_sample_size])
    mixture = np.sort(shuffled[: settings.mixture_fit_sample_size])
    n = len(fit_mask)
    if n <= settings.cluster_silhouette_sample_size:
        silhouette = np.arange(n)
    else:
        rng = np.random.default_rng(settings.cluster_seed + 1)  # independent of the fit sample
        silhouette = np.sort(rng.choice(n, settings.cluster_silhouette_sample_size, replace=False))
    return fit, mixture, silhouette


def _flags(n: int, index: np.ndarray) -> pa.Array:
    flags = np.zeros(n, dtype=bool)
    flags[index] = True
    return pa.array(flags)


def customer_features(rfm: Tabular, transform: Tabular, settings: ClusteringSettings) -> pa.Table:
    """Every customer's standardised features, outlier flag and sample memberships."""
    transforms = read_transforms(transform)
    tables = []
    for store_id, customers in split_stores(rfm):
        if store_id not in transforms:
            raise ValueError(
                f"ml_cluster_feature_transform has no rows for store {store_id!r}: rebuild it"
            )
        store = transforms[store_id]
        raw = np.column_stack([column_values(customers, f) for f in FEATURES])
        z, is_outlier = store.apply(raw)
        fit_mask = ~is_outlier if store.outliers == "flag" else np.ones(len(z), dtype=bool)
        samples = _sample_indices(fit_mask, settings)
        n = len(z)
        columns = {
            "store_id": constant_column(store_id, n),
            "customer_id": customers["customer_id"],
            "is_outlier": pa.array(is_outlier),
            **{name: pa.array(z[:, i]) for i, name in enumerate(Z_COLUMNS)},
            **{name: _flags(n, index) for name, index in zip(SAMPLE_COLUMNS, samples, strict=True)},
        }
        tables.append(pa.table(columns))
    return concat(tables, FEATURES_SCHEMA)


@dataclass(frozen=True)
class StoreFeatures:
    """One store's rows of ml_cluster_features, in customer id order."""

    store_id: str
    customer_ids: pa.Array
    z: np.ndarray  # (n, 3) standardised log features, columns in FEATURES order
    is_outlier: np.ndarray  # (n,) bool
    fit_index: np.ndarray  # rows K-Means is fitted on
    mixture_index: np.ndarray  # rows the Gaussian mixture is fitted on
    silhouette_index: np.ndarray  # rows the silhouette is computed on

    @functools.cached_property
    def distinct_points(self) -> int:
        """Distinct feature points among the K-Means fit rows."""
        fit = self.z[self.fit_index]
        return len(np.unique(fit, axis=0)) if len(fit) else 0

    def usable(self, k: int) -> bool:
        """A model with k clusters can be fitted: 2 <= k < distinct points."""
        return 2 <= k < self.distinct_points

    def too_small_for(self, k: int) -> str:
        """Why k is not usable, for the output rows and the log."""
        return (
            f"too small for k = {k}: the fit sample has {self.distinct_points} distinct "
            f"customer(s) (feature points), k clusters need more than k"
        )


def read_features(features: Tabular) -> list[StoreFeatures]:
    """ml_cluster_features, store by store (stores in name order)."""
    table = sorted_by_customer(as_table(features), "ml_cluster_features")
    stores = []
    for store_id, rows in store_slices(table):
        flags = {name: rows[name].to_numpy(zero_copy_only=False) for name in SAMPLE_COLUMNS}
        stores.append(
            StoreFeatures(
                store_id,
                rows["customer_id"].combine_chunks(),
                np.column_stack([column_values(rows, name) for name in Z_COLUMNS]),
                rows["is_outlier"].to_numpy(zero_copy_only=False),
                *(np.flatnonzero(flags[name]) for name in SAMPLE_COLUMNS),
            )
        )
    return stores

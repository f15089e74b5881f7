"""Customer clustering on RFM features: K-Means, k-selection, Gaussian mixture, comparisons.

Plain Python on pandas / numpy / scikit-learn, called by the thin dbt Python models in
``models/ml/clustering``. Every function works store by store (customers of two stores
never share a model) and is deterministic: input rows are sorted by customer id first, every
sample and every model takes its seed from ``ClusteringConfig.seed``.

Scale. Models are fitted on a seeded sample of each store's customers (``fit_sample_size``,
all of them when the store is smaller) and then every customer is assigned (``predict`` is
cheap). Inertia is computed on all customers, the Calinski-Harabasz and Davies-Bouldin indices
on the fit sample, the mixture is fitted and its BIC taken on the first ``mixture_sample_size``
customers of that sample, and the silhouette (quadratic in customers) on its own seeded sample
(``silhouette_sample_size``). Fits run on one BLAS / OpenMP thread, so the thread count cannot
change a result.

Cluster ids. After a fit, each cluster's centroid is re-estimated on all the customers it
holds (for the mixture: the probability-weighted mean of all customers) and clusters are
numbered by the value score of that centroid, ``z_frequency + z_monetary - z_recency``, highest
first: cluster 0 is always the most valuable group, the last id the least valuable. The label
comes from where the centroid lies against the store's medians (see ``label_clusters``).

Small stores. A k is usable in a store when ``2 <= k < n`` with ``n`` the number of distinct
customer feature points the models are fitted on; unusable k values are skipped (no k-selection
row, a null k = 4 / k = 5 cluster). When a fixed ``k`` (or ``mixture_components``) is not
usable, the largest usable k is taken instead; a store with no usable k (fewer than three
distinct customers) puts every customer in cluster 0 of a single cluster, k = 1.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
)
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from retail_warehouse.clustering_features import (
    FEATURES,
    INPUT_ORDER,
    RFM_INPUT_COLUMNS,
    StoreFeatures,
    Tabular,
    as_table,
    column_values,
    feature_transform,
    split_stores,
    store_features,
    store_slices,
    strictly_sorted,
    to_original_units,
)

__all__ = [
    "CLUSTER_ID_COLUMNS",
    "COMPARED_KS",
    "INPUT_ORDER",
    "MIXTURE_ID_COLUMNS",
    "RFM_INPUT_COLUMNS",
    "ClusteringConfig",
    "cluster_agreement",
    "cluster_profiles",
    "customer_clusters",
    "customer_mixture",
    "feature_transform",
    "k_selection",
    "label_clusters",
    "read_ordered",
    "segment_crosstab",
]

COMPARED_KS = (4, 5)  # always clustered side by side in ml_customer_clusters
# Value direction of each feature: recent (low recency), frequent and big-spending is better.
VALUE_SIGN = np.array([-1.0, 1.0, 1.0])
MIXTURE_REG_COVAR = 1e-3  # frequency is discrete: keeps a component from collapsing on a value
MIXTURE_MAX_ITER = 200
MIN_FIT_SAMPLE = 1_000  # a sample cap below this could not fit k_max clusters reliably
LABEL_MARGIN = 1.5  # how far from the store's median a centroid must be to count as high / low
MIXTURE_BLOCK = 262_144  # rows per block when the mixture scores every customer
SILHOUETTE_CHUNK = 500  # rows of the distance matrix held at once (x sample size doubles)


# --- inputs ----------------------------------------------------------------------------------


def read_ordered(relation: Any, columns: str = "*") -> pa.Table:
    """Reads a DuckDB relation (a dbt ref) as an Arrow table in (store_id, customer_id) order,
    so the functions below find their input sorted; `columns` is a projection list."""
    return relation.project(columns).order(INPUT_ORDER).to_arrow_table()


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClusteringConfig:
    """Tunables, one per dbt var (name in brackets)."""

    k: int | None = None  # cluster_k: a number, or None for `auto` (best silhouette)
    k_min: int = 2  # cluster_k_min
    k_max: int = 10  # cluster_k_max
    seed: int = 42  # cluster_seed
    fit_sample_size: int = 100_000  # cluster_fit_sample_size: K-Means fits, CH and DB
    mixture_sample_size: int = 30_000  # mixture_fit_sample_size: mixture fits and BIC
    silhouette_sample_size: int = 10_000  # cluster_silhouette_sample_size
    n_init: int = 3  # cluster_n_init: K-Means restarts (best inertia kept)
    outliers: str = "clip"  # cluster_outliers: clip | flag
    clip_quantile: float = 0.99  # cluster_clip_quantile
    mixture_components: int | None = 5  # mixture_components: a number, or None for `auto`

    def __post_init__(self) -> None:
        if self.k_min < 2 or self.k_max < self.k_min:
            raise ValueError(
                f"vars cluster_k_min/cluster_k_max need 2 <= min <= max, "
                f"got {self.k_min}/{self.k_max}"
            )
        for name, value in (("cluster_k", self.k), ("mixture_components", self.mixture_components)):
            if value is not None and not self.k_min <= value <= self.k_max:
                raise ValueError(
                    f"var {name} must be `auto` or a number from cluster_k_min ({self.k_min}) "
                    f"to cluster_k_max ({self.k_max}), got {value}"
                )
        for name, value in (
            ("cluster_fit_sample_size", self.fit_sample_size),
            ("mixture_fit_sample_size", self.mixture_sample_size),
            ("cluster_silhouette_sample_size", self.silhouette_sample_size),
            ("cluster_n_init", self.n_init),
        ):
            if value < 1:
                raise ValueError(f"var {name} must be a positive integer, got {value}")
        for name, value in (
            ("cluster_fit_sample_size", self.fit_sample_size),
            ("mixture_fit_sample_size", self.mixture_sample_size),
        ):
            if value < MIN_FIT_SAMPLE:
                raise ValueError(f"var {name} must be at least {MIN_FIT_SAMPLE}, got {value}")

    @property
    def k_values(self) -> range:
        return range(self.k_min, self.k_max + 1)

    @classmethod
    def from_settings(
        cls, get: Callable[[str], Any] | Mapping[str, Any] | None
    ) -> ClusteringConfig:
        """Builds the config from dbt model config values (named like the vars) or a dict.

        Values may arrive as strings (rendered jinja); a missing one keeps its default.
        """
        if get is None:  # no settings: every default
            get = {}
        lookup = get.get if isinstance(get, Mapping) else get

        def value(name: str) -> Any:
            raw = lookup(name)
            return None if raw is None or (isinstance(raw, str) and raw.strip() == "") else raw

        def integer(name: str, allow_auto: bool = False) -> int | str | None:
            raw = value(name)
            if raw is None:
                return "default"
            if allow_auto and str(raw).strip().lower() == "auto":
                return None
            try:
                number = float(raw)
            except (TypeError, ValueError):
                number = float("nan")
            if not number.is_integer():
                expected = "`auto` or an integer" if allow_auto else "an integer"
                raise ValueError(f"var {name} must be {expected}, got {raw!r}")
            return int(number)

        kwargs: dict[str, Any] = {}
        for field, name, auto in (
            ("k", "cluster_k", True),
            ("k_min", "cluster_k_min", False),
            ("k_max", "cluster_k_max", False),
            ("seed", "cluster_seed", False),
            ("fit_sample_size", "cluster_fit_sample_size", False),
            ("mixture_sample_size", "mixture_fit_sample_size", False),
            ("silhouette_sample_size", "cluster_silhouette_sample_size", False),
            ("n_init", "cluster_n_init", False),
            ("mixture_components", "mixture_components", True),
        ):
            parsed = integer(name, auto)
            if parsed != "default":
                kwargs[field] = parsed
        outliers = value("cluster_outliers")
        if outliers is not None:
            kwargs["outliers"] = str(outliers).strip().lower()
        quantile = value("cluster_clip_quantile")
        if quantile is not None:
            try:
                kwargs["clip_quantile"] = float(quantile)
            except ValueError:
                raise ValueError(
                    f"var cluster_clip_quantile must be a number, got {quantile!r}"
                ) from None
        return cls(**kwargs)


# --- per-store fitting -----------------------------------------------------------------------


def single_threaded() -> threadpool_limits:
    """One BLAS / OpenMP thread: results cannot depend on the thread count (summation order),
    and on a small shared machine it is faster than threads fighting for two cores."""
    return threadpool_limits(limits=1)


@dataclass(frozen=True)
class _Prepared:
    features: StoreFeatures
    fit_index: np.ndarray  # rows K-Means is fitted on (seeded sample of the fit mask)
    mixture_index: np.ndarray  # rows the Gaussian mixture is fitted on (the first of those)
    distinct_points: int  # distinct feature points among the fit rows

    def usable(self, k: int) -> bool:
        return 2 <= k < self.distinct_points

    def largest_usable(self, k_values: range) -> int | None:
        usable = [k for k in k_values if self.usable(k)]
        return max(usable) if usable else None


def _prepare(store_id: str, customers: pa.Table, config: ClusteringConfig) -> _Prepared:
    features = store_features(store_id, customers, config.outliers, config.clip_quantile)
    # One seeded shuffle of the eligible customers; each sample is a prefix of it, so the
    # mixture's customers are among K-Means' and a bigger sample keeps the smaller one's.
    eligible = np.flatnonzero(features.fit_mask)
    shuffled = np.random.default_rng(config.seed).permutation(eligible)
    fit_index = np.sort(shuffled[: config.fit_sample_size])
    mixture_index = np.sort(shuffled[: config.mixture_sample_size])
    distinct = len(np.unique(features.z[fit_index], axis=0)) if fit_index.size else 0
    return _Prepared(features, fit_index, mixture_index, distinct)


def _prepare_all(rfm: Tabular, config: ClusteringConfig) -> list[_Prepared]:
    return [_prepare(store_id, group, config) for store_id, group in split_stores(rfm)]


def _kmeans(prepared: _Prepared, k: int, config: ClusteringConfig) -> KMeans:
    model = KMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed)
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(prepared.features.z[prepared.fit_index])


def _mixture(prepared: _Prepared, components: int, config: ClusteringConfig) -> GaussianMixture:
    model = GaussianMixture(
        n_components=components,
        covariance_type="full",
        reg_covar=MIXTURE_REG_COVAR,
        max_iter=MIXTURE_MAX_ITER,
        random_state=config.seed,
    )
    with warnings.catch_warnings(), single_threaded():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(prepared.features.z[prepared.mixture_index])


def _value_order(centroids: np.ndarray) -> np.ndarray:
    """new id of each old cluster: highest value score first, ties by old id."""
    score = centroids @ VALUE_SIGN
    order = np.lexsort((np.arange(len(score)), -score))  # old ids, best first
    new_id = np.empty(len(score), dtype=np.int64)
    new_id[order] = np.arange(len(score))
    return new_id


def _member_centroids(z: np.ndarray, labels: np.ndarray, k: int, fallback: np.ndarray):
    sums = np.zeros((k, z.shape[1]))
    np.add.at(sums, labels, z)
    counts = np.bincount(labels, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        centroids = sums / counts[:, None]
    return np.where(counts[:, None] > 0, centroids, fallback)


@dataclass(frozen=True)
class _Assignment:
    k: int
    labels: np.ndarray  # stable cluster id per customer (customer id order)
    centroids: np.ndarray  # (k, 3) standardised, in stable id order
    names: list[str]


def _assign_kmeans(prepared: _Prepared, k: int, config: ClusteringConfig) -> _Assignment:
    """Fits K-Means at k and gives every customer a stable, value-ordered cluster id."""
    z = prepared.features.z
    model = _kmeans(prepared, k, config)
    raw = model.predict(z)
    centroids = _member_centroids(z, raw, k, model.cluster_centers_)
    new_id = _value_order(centroids)
    ordered = np.empty_like(centroids)
    ordered[new_id] = centroids
    return _Assignment(k, new_id[raw], ordered, _names(prepared.features, ordered))


def _single_cluster(prepared: _Prepared) -> _Assignment:
    n = len(prepared.features.z)
    centroid = prepared.features.z.mean(axis=0, keepdims=True) if n else np.zeros((1, 3))
    return _Assignment(1, np.zeros(n, dtype=np.int64), centroid, ["all customers"])


# --- labels ----------------------------------------------------------------------------------


def label_clusters(centroids: np.ndarray, medians: np.ndarray, high: np.ndarray) -> list[str]:
    """Readable labels from centroids in original units (recency days, orders, money).

    ``medians`` are the store's median recency, frequency and monetary value, ``high`` its
    90th-percentile frequency and monetary value. With a margin of 1.5 around the median, a
    centroid is

    * recent when its recency is at most the median / 1.5, lapsed otherwise;
    * frequent / big spending when its frequency / monetary value is at least 1.5 times the
      median (so a cluster of one-order customers is never frequent), and *very* frequent and
      big spending when both are at least the 90th percentile.

    Then: recent + frequent + big spending is ``top value`` when both are *very*, else ``high
    value``; recent + frequent is ``loyal low spend``; recent and neither is ``new``
    (``new big spender`` when big spending); lapsed + frequent or big spending is ``at risk``
    (``at risk high value`` when both); lapsed and neither is ``lapsed low value``. Two clusters
    that end up with the same label get ``(1)``, ``(2)``... in id order (more valuable first).
    """
    labels = []
    for recency, frequency, monetary in np.asarray(centroids, dtype=np.float64):
        recent = recency <= medians[0] / LABEL_MARGIN
        frequent = frequency >= LABEL_MARGIN * medians[1]
        spends = monetary >= LABEL_MARGIN * medians[2]
        very = frequency >= high[0] and monetary >= high[1]
        if recent and frequent and spends:
            labels.append("top value" if very else "high value")
        elif recent and frequent:
            labels.append("loyal low spend")
        elif recent:
            labels.append("new big spender" if spends else "new")
        elif frequent and spends:
            labels.append("at risk high value")
        elif frequent or spends:
            labels.append("at risk")
        else:
            labels.append("lapsed low value")
    counts: dict[str, int] = {}
    totals = {label: labels.count(label) for label in labels}
    named = []
    for label in labels:
        if totals[label] > 1:
            counts[label] = counts.get(label, 0) + 1
            label = f"{label} ({counts[label]})"
        named.append(label)
    return named


def _names(features: StoreFeatures, centroids_z: np.ndarray) -> list[str]:
    medians, high = features.reference
    return label_clusters(to_original_units(centroids_z, features.transform), medians, high)


# --- ml_cluster_k_selection ------------------------------------------------------------------

K_SELECTION_COLUMNS = (
    "store_id",
    "k",
    "customers",
    "fit_sample_customers",
    "mixture_sample_customers",
    "silhouette_sample_customers",
    "inertia",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "mixture_bic",
    "smallest_cluster_share",
    "is_best_silhouette",
    "is_lowest_bic",
    "is_chosen",
)


def _silhouette_index(prepared: _Prepared, config: ClusteringConfig) -> np.ndarray:
    n = len(prepared.features.z)
    if n <= config.silhouette_sample_size:
        return np.arange(n)
    rng = np.random.default_rng(config.seed + 1)  # independent of the fit sample
    return np.sort(rng.choice(n, config.silhouette_sample_size, replace=False))


def silhouettes(x: np.ndarray, label_sets: list[np.ndarray]) -> list[float]:
    """Mean silhouette of each labelling of the same points, sharing one pass of distances.

    Equal to ``sklearn.metrics.silhouette_score`` (Euclidean) for each labelling, but the
    distance matrix is computed once in chunks for all of them and summed per cluster by one
    matrix product. NaN for a labelling with fewer than 2 or as many clusters as points.
    """
    n = len(x)
    codes = [np.unique(labels, return_inverse=True)[1].ravel() for labels in label_sets]
    sizes = [int(c.max()) + 1 if n else 0 for c in codes]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    one_hot = np.zeros((n, offsets[-1]))
    for code, offset in zip(codes, offsets[:-1], strict=True):
        one_hot[np.arange(n), offset + code] = 1.0
    sums = np.empty((n, offsets[-1]))
    for start in range(0, n, SILHOUETTE_CHUNK):
        stop = min(start + SILHOUETTE_CHUNK, n)
        sums[start:stop] = cdist(x[start:stop], x) @ one_hot
    result = []
    for code, size, offset in zip(codes, sizes, offsets[:-1], strict=True):
        if size < 2 or size >= n:
            result.append(float("nan"))
            continue
        counts = np.bincount(code, minlength=size).astype(np.float64)
        block = sums[:, offset : offset + size]
        own = counts[code]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = block[np.arange(n), code] / (own - 1)
            others = block / counts
        others[np.arange(n), code] = np.inf
        b = others.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = (b - a) / np.maximum(a, b)
        score = np.where(own > 1, np.nan_to_num(score), 0.0)
        result.append(float(score.mean()))
    return result


def _safe(metric, x: np.ndarray, labels: np.ndarray) -> float:
    distinct = len(np.unique(labels))
    if distinct < 2 or distinct >= len(labels):
        return float("nan")
    return float(metric(x, labels))


def _store_k_selection(prepared: _Prepared, config: ClusteringConfig) -> pd.DataFrame:
    z = prepared.features.z
    fit_z = z[prepared.fit_index]
    silhouette_index = _silhouette_index(prepared, config)
    rows, silhouette_labels = [], []
    with single_threaded():
        for k in config.k_values:
            if not prepared.usable(k):
                continue
            model = _kmeans(prepared, k, config)
            labels = model.predict(z)
            inertia = float(((z - model.cluster_centers_[labels]) ** 2).sum())
            fit_labels = labels[prepared.fit_index]
            mixture = _mixture(prepared, k, config)
            mixture_z = z[prepared.mixture_index]
            silhouette_labels.append(labels[silhouette_index])
            rows.append(
                {
                    "store_id": prepared.features.store_id,
                    "k": k,
                    "customers": len(z),
                    "fit_sample_customers": len(fit_z),
                    "mixture_sample_customers": len(mixture_z),
                    "silhouette_sample_customers": len(silhouette_index),
                    "inertia": inertia,
                    "silhouette": np.nan,
                    "calinski_harabasz": _safe(calinski_harabasz_score, fit_z, fit_labels),
                    "davies_bouldin": _safe(davies_bouldin_score, fit_z, fit_labels),
                    "mixture_bic": float(mixture.bic(mixture_z)),
                    "smallest_cluster_share": float(
                        np.bincount(labels, minlength=k).min() / len(z)
                    ),
                }
            )
        frame = pd.DataFrame(rows, columns=K_SELECTION_COLUMNS[:-3])
        if frame.empty:
            return frame.reindex(columns=K_SELECTION_COLUMNS)
        frame["silhouette"] = silhouettes(z[silhouette_index], silhouette_labels)
    silhouette = frame["silhouette"].fillna(-np.inf)
    frame["is_best_silhouette"] = frame.index == silhouette.idxmax()  # ties: the smaller k
    frame["is_lowest_bic"] = frame.index == frame["mixture_bic"].idxmin()
    if config.k is None:
        chosen = int(frame.loc[frame["is_best_silhouette"], "k"].iloc[0])
    elif prepared.usable(config.k):
        chosen = config.k
    else:
        chosen = int(frame["k"].max())
    frame["is_chosen"] = frame["k"] == chosen
    return frame


def k_selection(rfm: Tabular, config: ClusteringConfig) -> pd.DataFrame:
    """One row per store and usable k: elbow, silhouette, CH, DB and mixture BIC."""
    frames = [_store_k_selection(p, config) for p in _prepare_all(rfm, config)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _empty(K_SELECTION_COLUMNS, {"k": "int64"})
    result = pd.concat(frames, ignore_index=True)
    counts = ("customers", "fit_sample_customers", "mixture_sample_customers")
    return result.astype({"k": "int32", **dict.fromkeys(counts, "int64")})


def _chosen(k_table: Tabular, store_id: str, column: str) -> int | None:
    k_table = as_table(k_table).to_pandas() if not isinstance(k_table, pd.DataFrame) else k_table
    rows = k_table[(k_table["store_id"] == store_id) & k_table[column].astype(bool)]
    return int(rows["k"].iloc[0]) if len(rows) else None


# --- ml_customer_clusters --------------------------------------------------------------------


def _store_clusters(prepared: _Prepared, chosen: int | None, config: ClusteringConfig) -> pa.Table:
    features = prepared.features
    assignments: dict[int, _Assignment] = {}
    with single_threaded():
        for k in sorted({chosen, *COMPARED_KS} - {None}):
            if prepared.usable(k):
                assignments[k] = _assign_kmeans(prepared, k, config)
    main = assignments.get(chosen) if chosen is not None else None
    if main is None:
        main = _single_cluster(prepared)
    n = len(features.z)
    columns = {
        "store_id": _repeat(features.store_id, n),
        "customer_id": features.customers["customer_id"],
        "k": pa.array(np.full(n, main.k, dtype=np.int32)),
        "cluster_id": pa.array(main.labels.astype(np.int32)),
        "cluster_label": _take(main.names, main.labels),
    }
    for k in COMPARED_KS:
        assignment = assignments.get(k)
        if assignment is None:
            columns[f"cluster_id_k{k}"] = pa.nulls(n, pa.int32())
            columns[f"cluster_label_k{k}"] = pa.nulls(n, pa.string())
        else:
            columns[f"cluster_id_k{k}"] = pa.array(assignment.labels.astype(np.int32))
            columns[f"cluster_label_k{k}"] = _take(assignment.names, assignment.labels)
    columns["is_outlier"] = pa.array(features.is_outlier)
    for i, name in enumerate(("z_recency", "z_frequency", "z_monetary")):
        columns[name] = pa.array(features.z[:, i])
    return pa.table(columns)


def _repeat(value: str, n: int) -> pa.Array:
    return pc.take(pa.array([value], pa.string()), pa.array(np.zeros(n, dtype=np.int32)))


def _take(names: list[str], labels: np.ndarray) -> pa.Array:
    return pc.take(pa.array(names, pa.string()), pa.array(labels.astype(np.int32)))


def customer_clusters(rfm: Tabular, k_table: Tabular, config: ClusteringConfig) -> pa.Table:
    """One row per store and customer: cluster at the chosen k, and at k = 4 and k = 5.

    The chosen k of each store is the row of ``k_table`` (ml_cluster_k_selection) flagged
    ``is_chosen``; the fits are redone here with the same seed and sample, so they are the
    ones the k-selection measured.
    """
    k_table = as_table(k_table).to_pandas()
    tables = [
        _store_clusters(p, _chosen(k_table, p.features.store_id, "is_chosen"), config)
        for p in _prepare_all(rfm, config)
    ]
    if not tables:
        return _empty_table(CLUSTER_SCHEMA)
    return pa.concat_tables(tables).cast(CLUSTER_SCHEMA)


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
        ("z_recency", pa.float64()),
        ("z_frequency", pa.float64()),
        ("z_monetary", pa.float64()),
    ]
)


# What ml_cluster_segment_crosstab and ml_cluster_agreement read of the customer-level models.
CLUSTER_ID_COLUMNS = ", ".join(name for name in CLUSTER_SCHEMA.names if not name.startswith("z_"))
MIXTURE_ID_COLUMNS = "store_id, customer_id, component"


def _empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


# --- ml_customer_mixture ---------------------------------------------------------------------

MIXTURE_COLUMNS = (
    "store_id",
    "customer_id",
    "components",
    "component",
    "component_label",
    "membership_probability",
    "probabilities",
)


def _store_mixture(prepared: _Prepared, components: int | None, config: ClusteringConfig):
    features = prepared.features
    z = features.z
    n = len(z)
    if components is None or not prepared.usable(components):
        components = prepared.largest_usable(config.k_values)
    if components is None:
        probabilities = np.ones((n, 1))
        names = ["all customers"]
    else:
        model = _mixture(prepared, components, config)
        with single_threaded():
            raw = mixture_probabilities(model, z)
        weights = raw.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centroids = (raw.T @ z) / weights[:, None]
        centroids = np.where(weights[:, None] > 0, centroids, model.means_)
        new_id = _value_order(centroids)
        probabilities = np.empty_like(raw)
        probabilities[:, new_id] = raw
        ordered = np.empty_like(centroids)
        ordered[new_id] = centroids
        names = _names(features, ordered)
    # Renormalise in float64 so every row sums to 1 up to rounding.
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    component = probabilities.argmax(axis=1)
    c = probabilities.shape[1]
    return pa.table(
        {
            "store_id": _repeat(features.store_id, n),
            "customer_id": features.customers["customer_id"],
            "components": pa.array(np.full(n, c, dtype=np.int32)),
            "component": pa.array(component.astype(np.int32)),
            "component_label": _take(names, component),
            "membership_probability": pa.array(probabilities[np.arange(n), component]),
            "probabilities": pa.FixedSizeListArray.from_arrays(
                pa.array(probabilities.ravel()), c
            ).cast(pa.list_(pa.float64())),
        }
    )


def mixture_probabilities(model: GaussianMixture, z: np.ndarray) -> np.ndarray:
    """``model.predict_proba(z)`` for a full-covariance mixture, computed in blocks of rows
    with plain numpy (scikit-learn's generic log-sum-exp is several times slower at millions
    of rows; the result is the same up to rounding)."""
    n, d = z.shape
    log_weights = np.log(model.weights_)
    log_det = np.log(np.diagonal(model.precisions_cholesky_, axis1=1, axis2=2)).sum(axis=1)
    result = np.empty((n, model.n_components))
    for start in range(0, n, MIXTURE_BLOCK):
        block = z[start : start + MIXTURE_BLOCK]
        log_prob = np.empty((len(block), model.n_components))
        for j, (mean, chol) in enumerate(
            zip(model.means_, model.precisions_cholesky_, strict=True)
        ):
            y = block @ chol - mean @ chol
            log_prob[:, j] = -0.5 * (d * np.log(2 * np.pi) + (y * y).sum(axis=1))
        log_prob += log_det + log_weights
        log_prob -= log_prob.max(axis=1, keepdims=True)
        np.exp(log_prob, out=log_prob)
        log_prob /= log_prob.sum(axis=1, keepdims=True)
        result[start : start + len(block)] = log_prob
    return result


def customer_mixture(rfm: Tabular, k_table: Tabular | None, config: ClusteringConfig) -> pa.Table:
    """One row per store and customer: Gaussian-mixture component and membership probabilities.

    ``probabilities`` lists the probability of every component (ids in value order, like the
    K-Means clusters); ``component`` is the most probable one. With ``mixture_components``
    = `auto` the number of components is the store's lowest-BIC k in ``k_table``.
    """
    tables = []
    k_table = as_table(k_table).to_pandas() if k_table is not None else None
    for prepared in _prepare_all(rfm, config):
        components = config.mixture_components
        if components is None and k_table is not None:
            components = _chosen(k_table, prepared.features.store_id, "is_lowest_bic")
        tables.append(_store_mixture(prepared, components, config))
    if not tables:
        schema = pa.schema(
            [
                ("store_id", pa.string()),
                ("customer_id", pa.string()),
                ("components", pa.int32()),
                ("component", pa.int32()),
                ("component_label", pa.string()),
                ("membership_probability", pa.float64()),
                ("probabilities", pa.list_(pa.float64())),
            ]
        )
        return schema.empty_table()
    return pa.concat_tables(tables)


# --- ml_cluster_profiles ---------------------------------------------------------------------

PROFILE_COLUMNS = (
    "store_id",
    "method",
    "k",
    "cluster_id",
    "label",
    "is_chosen_k",
    "customers",
    "share_of_customers",
    "revenue",
    "share_of_revenue",
    "centroid_recency_days",
    "centroid_frequency",
    "centroid_monetary",
    "mean_recency_days",
    "mean_frequency",
    "mean_monetary",
    "mean_membership_probability",
)


def _profile_rows(
    features: StoreFeatures,
    method: str,
    labels: np.ndarray,
    names: list[str],
    centroids_z: np.ndarray,
    is_chosen: bool,
    membership: np.ndarray | None = None,
) -> pd.DataFrame:
    """Profile of one clustering of a store's customers (`labels` in customer id order)."""
    k = len(centroids_z)
    money = features.values("monetary")
    values = np.column_stack([features.values(f) for f in FEATURES])
    centroids = to_original_units(centroids_z, features.transform)
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
    return pd.DataFrame(
        {
            "store_id": features.store_id,
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
        }
    )


def _names_of(table: pa.Table, id_column: str, label_column: str, k: int) -> list[str]:
    """Label of each cluster id 0..k-1 as stored beside the ids (`empty` for an unused id)."""
    ids, first = np.unique(column_values(table, id_column, np.int64), return_index=True)
    labels = table[label_column].take(pa.array(first)).to_pylist()
    names = dict(zip(ids.tolist(), labels, strict=True))
    return [names.get(i, "empty") for i in range(k)]


def _ids(table: pa.Table, column: str) -> np.ndarray | None:
    """A cluster id column as int64 codes; None when it is null (store too small for that k)."""
    if table[column].null_count:
        return None
    return column_values(table, column, np.int64)


def cluster_profiles(
    rfm: Tabular, clusters: Tabular, mixture: Tabular, config: ClusteringConfig
) -> pd.DataFrame:
    """One row per store, method, k and cluster: size, shares, centroid in original units.

    K-Means rows cover the chosen k, k = 4 and k = 5 (each once); the centroid is the mean of
    the cluster's customers in standardised space mapped back to days, orders and money (a
    geometric-mean-like typical customer). Mixture rows: one per component, customers counted
    by their most probable component, centroid the probability-weighted mean of all customers.
    """
    clusters, mixture = _by_store(clusters), _by_store(mixture)
    frames = []
    for store_id, customers in split_stores(rfm):
        features = store_features(store_id, customers, config.outliers, config.clip_quantile)
        ids = customers["customer_id"]
        store_clusters = _align(clusters, store_id, ids, "ml_customer_clusters")
        chosen_k = int(store_clusters["k"][0].as_py()) if len(store_clusters) else 1
        profiled = [(chosen_k, "cluster_id", "cluster_label")] + [
            (k, f"cluster_id_k{k}", f"cluster_label_k{k}") for k in COMPARED_KS if k != chosen_k
        ]
        for k, id_column, label_column in profiled:
            labels = _ids(store_clusters, id_column)
            if labels is None:
                continue
            centroids = _member_centroids(features.z, labels, k, np.zeros((k, 3)))
            names = _names_of(store_clusters, id_column, label_column, k)
            frames.append(
                _profile_rows(features, "kmeans", labels, names, centroids, k == chosen_k)
            )
        store_mixture = _align(mixture, store_id, ids, "ml_customer_mixture")
        if len(store_mixture):
            components = int(store_mixture["components"][0].as_py())
            flat = store_mixture["probabilities"].combine_chunks().flatten()
            probabilities = np.asarray(flat.to_numpy(), dtype=np.float64).reshape(-1, components)
            with np.errstate(invalid="ignore", divide="ignore"):
                centroids = (probabilities.T @ features.z) / probabilities.sum(axis=0)[:, None]
            frames.append(
                _profile_rows(
                    features,
                    "gaussian_mixture",
                    column_values(store_mixture, "component", np.int64),
                    _names_of(store_mixture, "component", "component_label", components),
                    np.nan_to_num(centroids),
                    False,
                    column_values(store_mixture, "membership_probability"),
                )
            )
    if not frames:
        return _empty(PROFILE_COLUMNS)
    result = pd.concat(frames, ignore_index=True)[list(PROFILE_COLUMNS)]
    return result.astype({"k": "int32", "cluster_id": "int32", "customers": "int64"})


def _by_store(data: Tabular) -> dict[str, pa.Table]:
    """A model output split by store, each in customer id order (slices, no copies when the
    output was read `order by store_id, customer_id`)."""
    table = as_table(data)
    if not strictly_sorted(table):
        table = table.sort_by([("store_id", "ascending"), ("customer_id", "ascending")])
    return dict(store_slices(table))


def _align(by_store: dict[str, pa.Table], store_id: str, ids: pa.ChunkedArray, name: str):
    """The store's rows of a model output, checked to hold every customer of `ids` (customer id
    order) exactly once, in that order."""
    rows = by_store.get(store_id)
    found = 0 if rows is None else len(rows)
    if found != len(ids) or not pc.all(pc.equal(rows["customer_id"], ids)).as_py():
        raise ValueError(
            f"{name} does not hold every customer of store {store_id!r} exactly once "
            f"({found} rows for {len(ids)} customers): rebuild it"
        )
    return rows


# --- ml_cluster_segment_crosstab -------------------------------------------------------------

CROSSTAB_COLUMNS = (
    "store_id",
    "k",
    "cluster_id",
    "cluster_label",
    "segment",
    "customers",
    "revenue",
    "share_of_cluster_customers",
    "share_of_segment_customers",
    "share_of_store_revenue",
)


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """Integer codes 0..g-1 and the g distinct values (in order of first appearance)."""
    encoded = column.combine_chunks().dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), (
        encoded.dictionary.to_pylist()
    )


def segment_crosstab(rfm: Tabular, clusters: Tabular) -> pd.DataFrame:
    """One row per store, k (4 and 5), cluster and rule-based segment, empty cells included."""
    clusters = _by_store(clusters)
    frames = []
    for store_id, customers in split_stores(rfm, ("segment",)):
        store_clusters = _align(
            clusters, store_id, customers["customer_id"], "ml_customer_clusters"
        )
        segment_codes, segments = _codes(customers["segment"])
        money = column_values(customers, "monetary")
        order = np.argsort(segments)  # segments in name order
        for k in COMPARED_KS:
            labels = _ids(store_clusters, f"cluster_id_k{k}")
            if labels is None:
                continue
            g = len(segments)
            cell = labels * g + segment_codes
            counts = np.bincount(cell, minlength=k * g).reshape(k, g)[:, order]
            revenue = np.bincount(cell, weights=money, minlength=k * g).reshape(k, g)[:, order]
            cluster_total = counts.sum(axis=1, keepdims=True)
            segment_total = counts.sum(axis=0, keepdims=True)
            names = _names_of(store_clusters, f"cluster_id_k{k}", f"cluster_label_k{k}", k)
            frames.append(
                pd.DataFrame(
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
                    }
                )
            )
    if not frames:
        return _empty(CROSSTAB_COLUMNS)
    result = pd.concat(frames, ignore_index=True)[list(CROSSTAB_COLUMNS)]
    return result.astype({"k": "int32", "cluster_id": "int32", "customers": "int64"})


def _ratio(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.broadcast_to(np.asarray(denominator, dtype=np.float64), numerator.shape)
    result = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return result


# --- ml_cluster_agreement --------------------------------------------------------------------

AGREEMENT_COLUMNS = (
    "store_id",
    "partition_a",
    "partition_b",
    "groups_a",
    "groups_b",
    "customers",
    "adjusted_rand_index",
)


def cluster_agreement(rfm: Tabular, clusters: Tabular, mixture: Tabular) -> pd.DataFrame:
    """One row per store and pair of partitions: the adjusted Rand index between them.

    Partitions: `kmeans` (chosen k), `kmeans_k4`, `kmeans_k5`, `gaussian_mixture` (most
    probable component), `rfm_segment` and `marketing_group`. 1 = the same grouping, ~0 = no
    more alike than chance.
    """
    clusters, mixture = _by_store(clusters), _by_store(mixture)
    rows = []
    for store_id, customers in split_stores(rfm, ("segment", "marketing_group")):
        ids = customers["customer_id"]
        store_clusters = _align(clusters, store_id, ids, "ml_customer_clusters")
        store_mixture = _align(mixture, store_id, ids, "ml_customer_mixture")
        partitions = {
            "kmeans": (store_clusters, "cluster_id"),
            "kmeans_k4": (store_clusters, "cluster_id_k4"),
            "kmeans_k5": (store_clusters, "cluster_id_k5"),
            "gaussian_mixture": (store_mixture, "component"),
            "rfm_segment": (customers, "segment"),
            "marketing_group": (customers, "marketing_group"),
        }
        codes = {
            name: _codes(table[column])[0]
            for name, (table, column) in partitions.items()
            if not table[column].null_count
        }
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
    if not rows:
        return _empty(AGREEMENT_COLUMNS)
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


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


def _empty(columns, dtypes: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=(dtypes or {}).get(c, "object")) for c in columns})

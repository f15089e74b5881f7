"""K-selection (ml_cluster_k_selection): how well each stored fit separates the store's customers.

Per store and k: inertia over all customers (the elbow), the Calinski-Harabasz and
Davies-Bouldin indices over the K-Means sample, the mixture's BIC over the mixture sample (stored
with the fit), and the silhouette over the silhouette sample. ``choose_k`` then picks the k of
ml_customer_clusters. A k the store is too small for keeps its row, with the fit's note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.spatial.distance import cdist
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from retail_warehouse.arrow import Tabular, concat, note_rows
from retail_warehouse.clustering._base import StoreFits, single_threaded
from retail_warehouse.clustering._features import StoreFeatures, read_features
from retail_warehouse.clustering._kmeans import KMeansFit
from retail_warehouse.clustering._mixture import MixtureFit
from retail_warehouse.clustering._settings import ClusteringSettings

SILHOUETTE_CHUNK = 500  # rows of the distance matrix held at once (x sample size doubles)
K_SELECTION_SCHEMA = pa.schema(
    [
        ("store_id", pa.string()),
        ("k", pa.int32()),
        ("customers", pa.int64()),
        ("fit_sample_customers", pa.int64()),
        ("mixture_sample_customers", pa.int64()),
        ("silhouette_sample_customers", pa.int64()),
        ("inertia", pa.float64()),
        ("silhouette", pa.float64()),
        ("calinski_harabasz", pa.float64()),
        ("davies_bouldin", pa.float64()),
        ("mixture_bic", pa.float64()),
        ("smallest_cluster_share", pa.float64()),
        ("is_best_silhouette", pa.bool_()),
        ("is_lowest_bic", pa.bool_()),
        ("is_chosen", pa.bool_()),
        ("note", pa.string()),
    ]
)


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


def choose_k(frame: pd.DataFrame, settings: ClusteringSettings) -> int:
    """The k of ml_customer_clusters among a store's measured k values (`frame`, flags set):
    var cluster_k, the best silhouette when it is `auto`, the largest measured k when the
    store is too small for the k asked for."""
    if settings.cluster_k == "auto":
        return int(frame.loc[frame["is_best_silhouette"], "k"].iloc[0])
    if settings.cluster_k in set(frame["k"]):
        return settings.cluster_k
    return int(frame["k"].max())


def _store_k_selection(
    features: StoreFeatures,
    kmeans: StoreFits,
    mixture: StoreFits,
    settings: ClusteringSettings,
) -> pa.Table:
    z = features.z
    fit_z = z[features.fit_index]
    counts = {
        "customers": len(z),
        "fit_sample_customers": len(fit_z),
        "mixture_sample_customers": len(features.mixture_index),
        "silhouette_sample_customers": len(features.silhouette_index),
    }
    rows, notes, silhouette_labels = [], [], []
    for k in settings.k_values:
        fit = kmeans.models.get(k)
        if fit is None or k not in mixture.models:
            note = kmeans.notes.get(k) or mixture.notes.get(k, "no fit")
            flags = dict.fromkeys(("is_best_silhouette", "is_lowest_bic", "is_chosen"), False)
            notes.append({"store_id": features.store_id, "k": k, **counts, **flags, "note": note})
            continue
        labels = fit.labels(z)
        inertia = float(((z - fit.centres[labels]) ** 2).sum())
        fit_labels = labels[features.fit_index]
        silhouette_labels.append(labels[features.silhouette_index])
        rows.append(
            {
                "store_id": features.store_id,
                "k": k,
                **counts,
                "inertia": inertia,
                "silhouette": np.nan,
                "calinski_harabasz": _safe(calinski_harabasz_score, fit_z, fit_labels),
                "davies_bouldin": _safe(davies_bouldin_score, fit_z, fit_labels),
                "mixture_bic": mixture.models[k].bic,
                "smallest_cluster_share": float(np.bincount(labels, minlength=k).min() / len(z)),
            }
        )
    tables = [note_rows(K_SELECTION_SCHEMA, notes)]
    if rows:
        frame = pd.DataFrame(rows)
        frame["silhouette"] = silhouettes(z[features.silhouette_index], silhouette_labels)
        silhouette = frame["silhouette"].fillna(-np.inf)
        frame["is_best_silhouette"] = frame.index == silhouette.idxmax()  # ties: the smaller k
        frame["is_lowest_bic"] = frame.index == frame["mixture_bic"].idxmin()
        frame["is_chosen"] = frame["k"] == choose_k(frame, settings)
        frame["note"] = None
        tables.insert(
            0, pa.Table.from_pandas(frame, schema=K_SELECTION_SCHEMA, preserve_index=False)
        )
    return concat(tables, K_SELECTION_SCHEMA)


def k_selection(
    features: Tabular, kmeans_fits: Tabular, mixture_fits: Tabular, settings: ClusteringSettings
) -> pa.Table:
    """One row per store and k from cluster_k_min to cluster_k_max."""
    kmeans, mixture = KMeansFit.read(kmeans_fits), MixtureFit.read(mixture_fits)
    tables = []
    with single_threaded():
        for store in read_features(features):
            tables.append(
                _store_k_selection(
                    store,
                    kmeans.get(store.store_id, StoreFits()),
                    mixture.get(store.store_id, StoreFits()),
                    settings,
                )
            )
    return concat(tables, K_SELECTION_SCHEMA)

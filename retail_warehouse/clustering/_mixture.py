"""Gaussian mixture: the fits (ml_cluster_mixture_fits) and each customer's component
(ml_customer_mixture).

A full-covariance mixture is fitted once per store and k on the store's mixture sample, at
every k ml_cluster_k_selection tries; its BIC on that sample is stored with it. A stored fit
holds what scoring a customer needs: each component's weight, mean and the Cholesky factor of
its precision matrix. Components are numbered by value like the K-Means clusters, from their
probability-weighted centroids over all customers.
"""

from __future__ import annotations

import warnings
from typing import Self

import numpy as np
import pyarrow as pa
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from retail_warehouse.arrow import Tabular, concat, constant_column, dictionary_column
from retail_warehouse.clustering._base import LOG, StoredFit, StoreFits, single_threaded
from retail_warehouse.clustering._features import (
    Z_COLUMNS,
    StoreFeatures,
    StoreTransform,
    read_features,
    read_transforms,
)
from retail_warehouse.clustering._kmeans import chosen_ks
from retail_warehouse.clustering._labels import names, value_order
from retail_warehouse.clustering._settings import ClusteringSettings

MIXTURE_REG_COVAR = 1e-3  # frequency is discrete: keeps a component from collapsing on a value
MIXTURE_MAX_ITER = 200
MIXTURE_BLOCK = 262_144  # rows per block when the mixture scores every customer
MEAN_COLUMNS = tuple(name.replace("z_", "mean_z_") for name in Z_COLUMNS)


class MixtureFit(StoredFit):
    """Weights, means and precision Cholesky factors of a fitted mixture, and its BIC."""

    table_name = "ml_cluster_mixture_fits"
    parameters = (
        ("weight", pa.float64()),
        *((name, pa.float64()) for name in MEAN_COLUMNS),
        ("precision_cholesky", pa.list_(pa.float64(), 9)),
        ("bic", pa.float64()),
    )

    def __init__(self, weights, means, precisions_cholesky, bic: float):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.precisions_cholesky = np.asarray(precisions_cholesky, dtype=np.float64)
        self.bic = float(bic)

    @classmethod
    def fit(cls, features: StoreFeatures, k: int, settings: ClusteringSettings) -> Self:
        model = GaussianMixture(
            n_components=k,
            covariance_type="full",
            reg_covar=MIXTURE_REG_COVAR,
            max_iter=MIXTURE_MAX_ITER,
            random_state=settings.cluster_seed,
        )
        sample = features.z[features.mixture_index]
        with warnings.catch_warnings(), single_threaded():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(sample)
            bic = model.bic(sample)
        return cls(model.weights_, model.means_, model.precisions_cholesky_, bic)

    def columns(self) -> dict[str, pa.Array]:
        k = len(self.weights)
        return {
            "weight": pa.array(self.weights),
            **{name: pa.array(self.means[:, i]) for i, name in enumerate(MEAN_COLUMNS)},
            "precision_cholesky": pa.FixedSizeListArray.from_arrays(
                pa.array(self.precisions_cholesky.reshape(-1)), 9
            ),
            "bic": pa.array(np.full(k, self.bic)),
        }

    @classmethod
    def from_rows(cls, rows: pa.Table) -> Self:
        k = len(rows)
        flat = rows["precision_cholesky"].combine_chunks().flatten()
        return cls(
            rows["weight"].to_numpy(),
            np.column_stack([rows[name].to_numpy() for name in MEAN_COLUMNS]),
            np.asarray(flat.to_numpy(), dtype=np.float64).reshape(k, 3, 3),
            rows["bic"][0].as_py(),
        )

    def probabilities(self, z: np.ndarray) -> np.ndarray:
        """Each point's probability of every component (scikit-learn's ``predict_proba`` for a
        full-covariance mixture), computed in blocks of rows with plain numpy: scikit-learn's
        generic log-sum-exp is several times slower at millions of rows; the result is the
        same up to rounding."""
        n, d = z.shape
        k = len(self.weights)
        log_weights = np.log(self.weights)
        log_det = np.log(np.diagonal(self.precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)
        result = np.empty((n, k))
        for start in range(0, n, MIXTURE_BLOCK):
            block = z[start : start + MIXTURE_BLOCK]
            log_prob = np.empty((len(block), k))
            for j, (mean, chol) in enumerate(
                zip(self.means, self.precisions_cholesky, strict=True)
            ):
                y = block @ chol - mean @ chol
                log_prob[:, j] = -0.5 * (d * np.log(2 * np.pi) + (y * y).sum(axis=1))
            log_prob += log_det + log_weights
            log_prob -= log_prob.max(axis=1, keepdims=True)
            np.exp(log_prob, out=log_prob)
            log_prob /= log_prob.sum(axis=1, keepdims=True)
            result[start : start + len(block)] = log_prob
        return result


def mixture_fits(features: Tabular, settings: ClusteringSettings) -> pa.Table:
    """ml_cluster_mixture_fits: every store at the k values ml_cluster_k_selection tries."""
    return MixtureFit.table(features, settings.k_values, settings)


MIXTURE_SCHEMA = pa.schema(
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
MIXTURE_ID_COLUMNS = "store_id, customer_id, component"


def _store_mixture(features: StoreFeatures, transform: StoreTransform, fit: MixtureFit | None):
    z = features.z
    n = len(z)
    if fit is None:
        LOG.warning(
            "ml_customer_mixture: store %r is too small for a mixture of 2 or more components: "
            "every customer is in one component (`all customers`)",
            features.store_id,
        )
        probabilities = np.ones((n, 1))
        labels = ["all customers"]
    else:
        raw = fit.probabilities(z)
        weights = raw.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centroids = (raw.T @ z) / weights[:, None]
        centroids = np.where(weights[:, None] > 0, centroids, fit.means)
        new_id = value_order(centroids)
        probabilities = np.empty_like(raw)
        probabilities[:, new_id] = raw
        ordered = np.empty_like(centroids)
        ordered[new_id] = centroids
        labels = names(transform, ordered)
    # Renormalise in float64 so every row sums to 1 up to rounding.
    probabilities = probabilities / probabilities.sum(axis=1, keepdims=True)
    component = probabilities.argmax(axis=1)
    c = probabilities.shape[1]
    return pa.table(
        {
            "store_id": constant_column(features.store_id, n),
            "customer_id": features.customer_ids,
            "components": pa.array(np.full(n, c, dtype=np.int32)),
            "component": pa.array(component.astype(np.int32)),
            "component_label": dictionary_column(component, labels),
            "membership_probability": pa.array(probabilities[np.arange(n), component]),
            "probabilities": pa.FixedSizeListArray.from_arrays(
                pa.array(probabilities.ravel()), c
            ).cast(pa.list_(pa.float64())),
        }
    )


def _components(
    fits: StoreFits, settings: ClusteringSettings, lowest_bic: int | None
) -> int | None:
    """The store's number of components: var mixture_components (or, with `auto`, the lowest
    BIC of ml_cluster_k_selection); when the store is too small for it, its largest fitted k."""
    wanted = lowest_bic if settings.mixture_components == "auto" else settings.mixture_components
    if wanted in fits.models:
        return wanted
    return fits.largest(settings.k_values)


def customer_mixture(
    features: Tabular,
    transform: Tabular,
    fits: Tabular,
    k_selection: Tabular,
    settings: ClusteringSettings,
) -> pa.Table:
    """One row per store and customer: Gaussian-mixture component and membership probabilities.

    ``probabilities`` lists the probability of every component (ids in value order, like the
    K-Means clusters); ``component`` is the most probable one.
    """
    transforms = read_transforms(transform)
    stored = MixtureFit.read(fits)
    lowest_bic = chosen_ks(k_selection, "is_lowest_bic")
    tables = []
    with single_threaded():
        for store in read_features(features):
            store_fits = stored.get(store.store_id, StoreFits())
            components = _components(store_fits, settings, lowest_bic.get(store.store_id))
            fit = store_fits.models.get(components) if components is not None else None
            tables.append(_store_mixture(store, transforms[store.store_id], fit))
    return concat(tables, MIXTURE_SCHEMA)

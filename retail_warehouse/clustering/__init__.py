"""Customer clustering on RFM features: K-Means, k-selection, Gaussian mixture, comparisons.

Plain Python on numpy / pyarrow / scikit-learn, called by the thin dbt Python models in
``models/ml/clustering``, one function per model. Every function works store by store
(customers of two stores never share a model) and is deterministic: inputs are read in
(store_id, customer_id) order, every sample and model takes its seed from var
``cluster_seed``, and fits run on one BLAS / OpenMP thread.

The models are steps, each computed once and read from its table by the next::

    fct_customer_rfm -> feature_transform -> customer_features -> kmeans_fits, mixture_fits
      -> k_selection -> customer_clusters, customer_mixture
      -> cluster_profiles, segment_crosstab, cluster_agreement

Small stores. A k is usable in a store when ``2 <= k < n`` with ``n`` the number of distinct
customer feature points of the K-Means sample. An unusable k has no fit: its rows in the fits
tables, k-selection, profiles, crosstab and agreement carry a ``note`` that says so, and the
build logs it. When the k asked for (``cluster_k``, ``mixture_components``) is not usable the
largest usable k is taken; a store with no usable k (fewer than three distinct customers) puts
every customer in cluster 0 of a single cluster, k = 1.
"""

from retail_warehouse.clustering._comparison import cluster_agreement, segment_crosstab
from retail_warehouse.clustering._features import (
    customer_features,
    feature_transform,
    read_features,
)
from retail_warehouse.clustering._inputs import RFM_INPUT_COLUMNS, read_ordered
from retail_warehouse.clustering._k_selection import choose_k, k_selection
from retail_warehouse.clustering._kmeans import (
    CLUSTER_ID_COLUMNS,
    COMPARED_KS,
    KMeansFit,
    clusters_at_every_k,
    customer_clusters,
    kmeans_fits,
)
from retail_warehouse.clustering._labels import label_clusters
from retail_warehouse.clustering._mixture import MIXTURE_ID_COLUMNS, customer_mixture, mixture_fits
from retail_warehouse.clustering._profiles import cluster_profiles
from retail_warehouse.clustering._settings import ClusteringSettings

__all__ = [
    "CLUSTER_ID_COLUMNS",
    "COMPARED_KS",
    "MIXTURE_ID_COLUMNS",
    "RFM_INPUT_COLUMNS",
    "ClusteringSettings",
    "KMeansFit",
    "choose_k",
    "cluster_agreement",
    "cluster_profiles",
    "clusters_at_every_k",
    "customer_clusters",
    "customer_features",
    "customer_mixture",
    "feature_transform",
    "k_selection",
    "kmeans_fits",
    "label_clusters",
    "mixture_fits",
    "read_features",
    "read_ordered",
    "segment_crosstab",
]

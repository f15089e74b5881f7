"""Which numbers of K-Means clusters a marketer can use: evidence from the holdout.

The clusters are fitted the way ml_customer_clusters fits them (retail_warehouse.clustering,
same features, seed and samples), but on each customer's RFM at the holdout cut-off, for every
k of the k-selection; each cluster's share of customers and the share of them who bought in the
holdout show whether the clusters are big enough to act on and differ in what they do next.
``actionable_k`` then picks, per store, the largest k that passes: the finest grouping whose
every cluster is still worth a campaign and behaves differently from the others. (The best
silhouette among the passing k would be k = 2 again on both bundled stores: the silhouette
prefers the one divide between customers who come back and those who do not.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from retail_warehouse.arrow import Tabular, as_table
from retail_warehouse.clustering import (
    ClusteringSettings,
    clusters_at_every_k,
    customer_features,
    feature_transform,
    kmeans_fits,
)

# What ml_cluster_k_holdout reads of int_customer_histories_split: the clustering features
# (fct_customer_rfm's recency, frequency and monetary) at the cut-off, and the holdout.
CUTOFF_RFM_COLUMNS = (
    "store_id, customer_id, days_since_last_purchase as recency_days, orders as frequency, "
    "cast(spend as double) as monetary"
)
BOUGHT_COLUMNS = "store_id, customer_id, holdout_orders > 0 as bought"
HOLDOUT_COLUMNS = [
    "store_id",
    "k",
    "cluster_id",
    "customers",
    "customer_share",
    "holdout_buyers",
    "holdout_buying_share",
]


def cluster_k_holdout(
    rfm_at_cutoff: pa.Table, bought: pd.DataFrame, settings: ClusteringSettings
) -> pd.DataFrame:
    """One row per store, usable k and cluster: size and holdout buying share.

    ``rfm_at_cutoff`` is sorted by store and customer; ``bought`` has store_id, customer_id and
    ``bought`` (a purchase in the holdout). The transform, features and fits are the clustering
    package's own steps, applied to the RFM at the cut-off.
    """
    transform = feature_transform(rfm_at_cutoff, settings)
    features = customer_features(rfm_at_cutoff, transform, settings)
    labels = clusters_at_every_k(features, transform, kmeans_fits(features, settings))
    frame = labels.to_pandas()
    frame = frame[frame["k"].isin(list(settings.k_values))]  # a store too small for a k has none
    labelled = frame.astype({"store_id": str}).merge(
        bought, on=["store_id", "customer_id"], how="left"
    )
    labelled["bought"] = labelled["bought"].fillna(False).astype(bool)
    grouped = labelled.groupby(["store_id", "k", "cluster_id"], sort=True)
    result = grouped.agg(
        customers=("bought", "size"), holdout_buyers=("bought", "sum")
    ).reset_index()
    store_k = result.groupby(["store_id", "k"])["customers"].transform("sum")
    result["customer_share"] = result["customers"] / store_k
    result["holdout_buying_share"] = result["holdout_buyers"] / result["customers"]
    return result[HOLDOUT_COLUMNS].astype(
        {"k": "int32", "cluster_id": "int32", "customers": "int64", "holdout_buyers": "int64"}
    )


def _passes(clusters: pd.DataFrame, min_share: float, min_gap: float) -> bool:
    shares = np.sort(clusters["holdout_buying_share"].to_numpy())
    return bool(clusters["customer_share"].min() >= min_share and np.diff(shares).min() >= min_gap)


def actionable_k(
    k_selection: Tabular, holdout: pd.DataFrame, settings: ClusteringSettings
) -> pa.Table:
    """ml_cluster_k_selection with ``is_chosen`` marked again (var cluster_k: auto): per store,
    the largest k whose clusters each hold at least ``cluster_min_share`` of the customers (now
    and at the cut-off) and whose holdout buying shares, sorted, are each at least
    ``cluster_min_buying_gap`` apart. A store where no k passes keeps the best silhouette."""
    table = as_table(k_selection)
    frame = table.to_pandas()
    min_share, min_gap = settings.cluster_min_share, settings.cluster_min_buying_gap
    for store_id, rows in frame.groupby("store_id"):
        evidence = holdout[holdout["store_id"] == store_id]
        passing = [
            int(k)
            for k, share in zip(rows["k"], rows["smallest_cluster_share"], strict=True)
            if share >= min_share
            and (evidence["k"] == k).any()
            and _passes(evidence[evidence["k"] == k], min_share, min_gap)
        ]
        if passing:
            frame.loc[rows.index, "is_chosen"] = rows["k"] == max(passing)
    return pa.Table.from_pandas(frame, schema=table.schema, preserve_index=False)

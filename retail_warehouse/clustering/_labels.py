"""Stable cluster ids and readable labels, the same for K-Means clusters and mixture components.

Clusters are numbered by the value score of their centroid, ``z_frequency + z_monetary -
z_recency``, highest first: cluster 0 is always the most valuable group, the last id the least
valuable. The label comes from where the centroid lies against the store's medians.
"""

from __future__ import annotations

import numpy as np

from retail_warehouse.clustering._features import StoreTransform

# Value direction of each feature: recent (low recency), frequent and big-spending is better.
VALUE_SIGN = np.array([-1.0, 1.0, 1.0])
LABEL_MARGIN = 1.5  # how far from the store's median a centroid must be to count as high / low


def value_order(centroids: np.ndarray) -> np.ndarray:
    """The new id of each old cluster: highest value score first, ties by old id."""
    score = centroids @ VALUE_SIGN
    order = np.lexsort((np.arange(len(score)), -score))  # old ids, best first
    new_id = np.empty(len(score), dtype=np.int64)
    new_id[order] = np.arange(len(score))
    return new_id


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


def names(transform: StoreTransform, centroids_z: np.ndarray) -> list[str]:
    """Labels of centroids in standardised space (ids in value order)."""
    medians, high = transform.label_reference
    return label_clusters(transform.to_original_units(centroids_z), medians, high)

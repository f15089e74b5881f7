"""Clustering models fitted once and stored as tables, for every model that applies them.

A fit is done by its own dbt model (ml_cluster_kmeans_fits, ml_cluster_mixture_fits): one
row per store, k and cluster of the fit, with the cluster's parameters (``cluster`` numbers
the clusters in the fit's own order, not by value). A k the store is too small for gets one
row with a ``note`` instead, and a log line. The models that apply a fit (k-selection,
customer clusters and mixture) read it back with ``read``; nothing is fitted twice and no
state passes through the Python process.

Fits run on one BLAS / OpenMP thread, so the thread count cannot change a result.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Self

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from retail_warehouse.arrow import Tabular, as_table, concat, constant_column, note_rows
from retail_warehouse.clustering._features import StoreFeatures, read_features
from retail_warehouse.clustering._settings import ClusteringSettings

LOG = logging.getLogger("retail_warehouse.clustering")
KEY_SCHEMA = pa.schema([("store_id", pa.string()), ("k", pa.int32()), ("cluster", pa.int32())])


def single_threaded() -> threadpool_limits:
    """One BLAS / OpenMP thread: results cannot depend on the thread count (summation order),
    and on a small shared machine it is faster than threads fighting for two cores."""
    return threadpool_limits(limits=1)


class StoredFit(ABC):
    """One store's model at k: fitted on the store's sample, stored as k rows of its table."""

    table_name: ClassVar[str]
    # The columns holding one cluster's parameters.
    parameters: ClassVar[tuple[tuple[str, pa.DataType], ...]]

    @classmethod
    @abstractmethod
    def fit(cls, features: StoreFeatures, k: int, settings: ClusteringSettings) -> Self:
        """The model fitted on the store's sample (k must be usable)."""

    @abstractmethod
    def columns(self) -> dict[str, pa.Array]:
        """The parameter columns, one entry per cluster in the fit's order."""

    @classmethod
    @abstractmethod
    def from_rows(cls, rows: pa.Table) -> Self:
        """The model back from its rows (one store and k, in `cluster` order)."""

    def rows(self, store_id: str, k: int) -> pa.Table:
        """The model's k rows of its table."""
        return pa.table(
            {
                "store_id": constant_column(store_id, k),
                "k": pa.array(np.full(k, k, dtype=np.int32)),
                "cluster": pa.array(np.arange(k, dtype=np.int32)),
                **self.columns(),
                "note": pa.nulls(k, pa.string()),
            }
        )

    @classmethod
    def schema(cls) -> pa.Schema:
        return pa.schema([*KEY_SCHEMA, *cls.parameters, ("note", pa.string())])

    @classmethod
    def table(cls, features: Tabular, ks: Iterable[int], settings: ClusteringSettings) -> pa.Table:
        """The fits table: every store of ml_cluster_features at every k of `ks`."""
        tables, notes = [], []
        for store in read_features(features):
            too_small = []
            for k in ks:
                if not store.usable(k):
                    too_small.append(k)
                    notes.append(
                        {"store_id": store.store_id, "k": k, "note": store.too_small_for(k)}
                    )
                    continue
                tables.append(cls.fit(store, k, settings).rows(store.store_id, k))
            if too_small:
                LOG.warning(
                    "%s: store %r has %d distinct customer(s) in its fit sample, too few for "
                    "k = %s (k clusters need more than k); those rows say so in `note`",
                    cls.table_name,
                    store.store_id,
                    store.distinct_points,
                    ", ".join(map(str, too_small)),
                )
        schema = cls.schema()
        return concat([*tables, note_rows(schema, notes)], schema)

    @classmethod
    def read(cls, table: Tabular) -> dict[str, StoreFits]:
        """A fits table back as models, by store."""
        table = as_table(table).sort_by(
            [("store_id", "ascending"), ("k", "ascending"), ("cluster", "ascending")]
        )
        frame = table.select(["store_id", "k", "note"]).to_pandas()
        stores: dict[str, StoreFits] = {}
        for (store_id, k), rows in frame.groupby(["store_id", "k"], sort=True):
            fits = stores.setdefault(store_id, StoreFits())
            first = int(rows.index[0])
            if rows["note"].notna().any():
                fits.notes[int(k)] = rows["note"].iloc[0]
            else:
                fits.models[int(k)] = cls.from_rows(table.slice(first, len(rows)))
        return stores


@dataclass
class StoreFits:
    """One store's fitted models by k, and why the other k have none."""

    models: dict[int, StoredFit] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)

    def largest(self, ks: Iterable[int]) -> int | None:
        """The largest k of `ks` with a model."""
        fitted = [k for k in ks if k in self.models]
        return max(fitted) if fitted else None

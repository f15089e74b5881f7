"""Clustering features: RFM per customer, log-transformed, outliers handled, standardised.

Every step is recorded per store in a transform table (one row per feature), so that anyone can
reproduce a customer's standardised features from the RFM mart alone::

    z = (clip(log1p(x), log_lower, log_upper) - log_mean) / log_std     # outliers = "clip"
    z = (log1p(x) - log_mean) / log_std                                  # outliers = "flag"

``log_lower``/``log_upper`` are the store's ``1 - clip_quantile`` and ``clip_quantile``
quantiles of ``log1p(x)``. With ``clip`` every customer's values are clipped into those bounds
before the mean and standard deviation are taken; with ``flag`` values are kept as they are,
customers outside the bounds on any feature are flagged ``is_outlier``, the mean and standard
deviation come from the other customers, and the models are fitted without the flagged
customers (they are still assigned to a cluster). In both modes ``is_outlier`` says whether a
customer lies outside the bounds on at least one feature.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

FEATURES = ("recency_days", "frequency", "monetary")
RFM_COLUMNS = ("store_id", "customer_id", *FEATURES)
# What the dbt models read from fct_customer_rfm (money as double: the features are floats),
# and in which order, so that the package finds its input sorted and need not sort it.
RFM_INPUT_COLUMNS = (
    "store_id, customer_id, recency_days, frequency, cast(monetary as double) as monetary, "
    "segment, marketing_group"
)
INPUT_ORDER = "store_id, customer_id"
OUTLIER_MODES = ("clip", "flag")

Tabular = pd.DataFrame | pa.Table | pa.RecordBatchReader


@dataclass(frozen=True)
class StoreFeatures:
    """One store's customers (sorted by customer id) and their standardised features."""

    store_id: str
    customers: pa.Table  # customer_id, the RFM columns and any extra ones, in customer id order
    z: np.ndarray  # (n, 3) standardised log features, columns in FEATURES order
    is_outlier: np.ndarray  # (n,) bool
    transform: pd.DataFrame  # one row per feature: how z was made

    @property
    def fit_mask(self) -> np.ndarray:
        """Customers the models may be fitted on (all but flagged outliers in `flag` mode)."""
        mode = self.transform["outlier_handling"].iloc[0]
        return ~self.is_outlier if mode == "flag" else np.ones(len(self.z), dtype=bool)

    def values(self, column: str) -> np.ndarray:
        return column_values(self.customers, column)

    @functools.cached_property
    def reference(self) -> tuple[np.ndarray, np.ndarray]:
        """The store's medians of R, F and M, and 90th percentiles of F and M (for labels)."""
        if not len(self.z):
            return np.zeros(3), np.zeros(2)
        values = np.column_stack([self.values(f) for f in FEATURES])
        return np.median(values, axis=0), np.quantile(values[:, 1:], 0.9, axis=0)


def as_table(data: Tabular) -> pa.Table:
    """A DataFrame, Arrow table or Arrow stream (what a DuckDB relation's .arrow() gives)."""
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, pa.Table):
        return data
    raise TypeError(f"expected a pandas DataFrame or an Arrow table, got {type(data).__name__}")


def column_values(table: pa.Table, column: str, dtype=np.float64) -> np.ndarray:
    return np.asarray(table[column].to_numpy(), dtype=dtype)


def check_rfm(table: pa.Table, extra_columns: tuple[str, ...] = ()) -> None:
    """Stops with a message naming the missing columns or the bad values."""
    missing = [c for c in (*RFM_COLUMNS, *extra_columns) if c not in table.column_names]
    if missing:
        raise ValueError(
            f"RFM input lacks column(s) {missing}; expected at least {list(RFM_COLUMNS)}"
        )
    nulls = [c for c in (*RFM_COLUMNS, *extra_columns) if table[c].null_count]
    if nulls:
        raise ValueError(f"RFM input has null values in {nulls}")
    if len(table) and (
        pc.min(table["recency_days"]).as_py() < 0
        or pc.min(table["frequency"]).as_py() <= 0
        or pc.min(table["monetary"]).as_py() <= 0
    ):
        raise ValueError(
            "RFM input needs recency_days >= 0 and frequency, monetary > 0 (log transform)"
        )


def split_stores(data: Tabular, extra_columns: tuple[str, ...] = ()) -> list[tuple[str, pa.Table]]:
    """Each store's rows sorted by customer id (so input row order never matters).

    Stops when a (store_id, customer_id) occurs twice or a column is missing.
    """
    table = as_table(data)
    check_rfm(table, extra_columns)
    table = table.select([*RFM_COLUMNS, *extra_columns])
    table = table.set_column(0, "store_id", pc.cast(table["store_id"], pa.string()))
    table = table.set_column(1, "customer_id", pc.cast(table["customer_id"], pa.string()))
    for i, name in enumerate(FEATURES, start=2):
        table = table.set_column(i, name, pc.cast(table[name], pa.float64()))
    if not strictly_sorted(table):
        table = table.sort_by([("store_id", "ascending"), ("customer_id", "ascending")])
        if not strictly_sorted(table):
            raise ValueError("RFM input has more than one row for a (store_id, customer_id)")
    return store_slices(table.combine_chunks())


def store_slices(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """(store_id, rows) for each run of equal store ids of a table sorted by store."""
    codes = table["store_id"].combine_chunks().dictionary_encode()
    indices = codes.indices.to_numpy(zero_copy_only=False)
    bounds = np.flatnonzero(indices[1:] != indices[:-1]) + 1
    starts, stops = np.r_[0, bounds], np.r_[bounds, len(indices)]
    return [
        (table["store_id"][int(start)].as_py(), table.slice(start, stop - start))
        for start, stop in zip(starts, stops, strict=True)
        if stop > start
    ]


def strictly_sorted(table: pa.Table) -> bool:
    """Rows in (store_id, customer_id) order with no key twice."""
    n = len(table)
    if n < 2:
        return True
    store, customer = table["store_id"], table["customer_id"]
    store_next, store_prev = store.slice(1), store.slice(0, n - 1)
    customer_next, customer_prev = customer.slice(1), customer.slice(0, n - 1)
    ok = pc.or_(
        pc.greater(store_next, store_prev),
        pc.and_(pc.equal(store_next, store_prev), pc.greater(customer_next, customer_prev)),
    )
    return bool(pc.all(ok).as_py())


def store_features(
    store_id: str, customers: pa.Table, outliers: str, clip_quantile: float
) -> StoreFeatures:
    """Log-transforms, bounds and standardises one store's RFM (rows in customer id order)."""
    if outliers not in OUTLIER_MODES:
        raise ValueError(f"var cluster_outliers must be one of {OUTLIER_MODES}, got {outliers!r}")
    if not 0.5 < clip_quantile <= 1:
        raise ValueError(f"var cluster_clip_quantile must be in (0.5, 1], got {clip_quantile!r}")
    raw = np.column_stack([column_values(customers, f) for f in FEATURES])
    logged = np.log1p(raw)
    lower = np.quantile(logged, 1 - clip_quantile, axis=0)
    upper = np.quantile(logged, clip_quantile, axis=0)
    outside = (logged < lower) | (logged > upper)
    is_outlier = outside.any(axis=1)
    if outliers == "clip":
        bounded = np.clip(logged, lower, upper)
        basis = bounded
    else:
        bounded = logged
        basis = logged[~is_outlier] if (~is_outlier).any() else logged
    mean = basis.mean(axis=0)
    std = basis.std(axis=0)
    # A feature with one value in the whole store carries no information; keep it at z = 0.
    std = np.where(std > 0, std, 1.0)
    z = (bounded - mean) / std
    transform = pd.DataFrame(
        {
            "store_id": store_id,
            "feature": list(FEATURES),
            "transform": "log1p",
            "outlier_handling": outliers,
            "clip_quantile": float(clip_quantile),
            "lower_bound": np.expm1(lower),
            "upper_bound": np.expm1(upper),
            "log_lower": lower,
            "log_upper": upper,
            "log_mean": mean,
            "log_std": std,
            "customers": len(customers),
            "customers_outside_bounds": outside.sum(axis=0).astype(np.int64),
        }
    )
    return StoreFeatures(store_id, customers, z, is_outlier, transform)


def prepare_features(
    rfm: Tabular, outliers: str = "clip", clip_quantile: float = 0.99
) -> list[StoreFeatures]:
    """Standardised features of every store in `rfm`, stores in name order."""
    return [
        store_features(store_id, group, outliers, clip_quantile)
        for store_id, group in split_stores(rfm)
    ]


def feature_transform(
    rfm: Tabular, outliers: str = "clip", clip_quantile: float = 0.99
) -> pd.DataFrame:
    """The recorded transform: one row per store and feature."""
    stores = prepare_features(rfm, outliers, clip_quantile)
    if not stores:
        return pd.DataFrame(columns=TRANSFORM_COLUMNS)
    return pd.concat([s.transform for s in stores], ignore_index=True)[list(TRANSFORM_COLUMNS)]


def to_original_units(z: np.ndarray, transform: pd.DataFrame) -> np.ndarray:
    """Maps points in standardised space back to days, orders and money."""
    mean = transform["log_mean"].to_numpy()
    std = transform["log_std"].to_numpy()
    return np.expm1(np.asarray(z, dtype=np.float64) * std + mean)


TRANSFORM_COLUMNS = (
    "store_id",
    "feature",
    "transform",
    "outlier_handling",
    "clip_quantile",
    "lower_bound",
    "upper_bound",
    "log_lower",
    "log_upper",
    "log_mean",
    "log_std",
    "customers",
    "customers_outside_bounds",
)

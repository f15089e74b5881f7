"""The customer summaries (int_customer_histories_summarised / _split) as numpy arrays per store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SUMMARY_COLUMNS = (
    "store_id, customer_id, repeat_orders, days_first_to_last, tenure_days, mean_repeat_value"
)


@dataclass(frozen=True)
class StoreHistories:
    """One store's customers, in customer_id order."""

    store_id: str
    table: pa.Table  # the rows read, for the columns a caller passes through

    def column(self, name: str) -> np.ndarray:
        return self.table[name].to_numpy(zero_copy_only=False)

    @property
    def x(self) -> np.ndarray:
        return self.column("repeat_orders").astype(np.float64)

    @property
    def t_x(self) -> np.ndarray:
        return self.column("days_first_to_last").astype(np.float64)

    @property
    def T(self) -> np.ndarray:
        return self.column("tenure_days").astype(np.float64)

    @property
    def mean_value(self) -> np.ndarray:
        # No repeat purchase: no mean (null); the Gamma-Gamma weight of such a customer is 0.
        return np.nan_to_num(self.column("mean_repeat_value").astype(np.float64), nan=0.0)


def read_histories(relation: Any, extra_columns: str = "") -> pa.Table:
    """Reads a summary relation (a dbt ref) in (store_id, customer_id) order."""
    columns = SUMMARY_COLUMNS + (f", {extra_columns}" if extra_columns else "")
    return relation.project(columns).order("store_id, customer_id").to_arrow_table()


def by_store(table: pa.Table) -> Iterator[StoreHistories]:
    """Slices a table sorted by store into one StoreHistories per store."""
    if table.num_rows == 0:
        return
    stores = table["store_id"].combine_chunks()
    runs = pc.run_end_encode(stores)
    ends = runs.run_ends.to_numpy()
    starts = np.concatenate([[0], ends[:-1]])
    for value, start, end in zip(runs.values.to_pylist(), starts, ends, strict=True):
        yield StoreHistories(value, table.slice(int(start), int(end - start)))

"""What the clustering models read: the RFM mart and each other's outputs, store by store.

Every input is read in (store_id, customer_id) order and split into one slice per store, so
that input row order never matters and each store's customers line up across tables.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from retail_warehouse.arrow import Tabular, as_table

FEATURES = ("recency_days", "frequency", "monetary")
RFM_COLUMNS = ("store_id", "customer_id", *FEATURES)
# What the dbt models read from fct_customer_rfm (money as double: the features are floats).
RFM_INPUT_COLUMNS = (
    "store_id, customer_id, recency_days, frequency, cast(monetary as double) as monetary, "
    "segment, marketing_group"
)
INPUT_ORDER = "store_id, customer_id"


def read_ordered(relation: Any, columns: str = "*") -> pa.Table:
    """A DuckDB relation (a dbt ref) as an Arrow table in (store_id, customer_id) order, so the
    functions below find their input sorted; `columns` is a projection list."""
    return relation.project(columns).order(INPUT_ORDER).to_arrow_table()


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
    """Each store's RFM rows sorted by customer id.

    Stops when a (store_id, customer_id) occurs twice or a column is missing.
    """
    table = as_table(data)
    check_rfm(table, extra_columns)
    table = table.select([*RFM_COLUMNS, *extra_columns])
    table = table.set_column(0, "store_id", pc.cast(table["store_id"], pa.string()))
    table = table.set_column(1, "customer_id", pc.cast(table["customer_id"], pa.string()))
    for i, name in enumerate(FEATURES, start=2):
        table = table.set_column(i, name, pc.cast(table[name], pa.float64()))
    return store_slices(sorted_by_customer(table, "RFM input"))


def sorted_by_customer(table: pa.Table, name: str) -> pa.Table:
    """`table` in (store_id, customer_id) order, one chunk; stops when a key occurs twice."""
    if not strictly_sorted(table):
        table = table.sort_by([("store_id", "ascending"), ("customer_id", "ascending")])
        if not strictly_sorted(table):
            raise ValueError(f"{name} has more than one row for a (store_id, customer_id)")
    return table.combine_chunks()


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


def by_store(data: Tabular, name: str) -> dict[str, pa.Table]:
    """A model output split by store, each in customer id order (slices, no copies when the
    output was read `order by store_id, customer_id`)."""
    return dict(store_slices(sorted_by_customer(as_table(data), name)))


def align(by_store: dict[str, pa.Table], store_id: str, ids: pa.Array, name: str) -> pa.Table:
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

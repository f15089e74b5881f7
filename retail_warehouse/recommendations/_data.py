"""The data the recommendation models read: interactions as a customers x items matrix per store,
and each customer's segment and country for the fallbacks.

Inputs are DuckDB relations (what the dbt models pass: each store's rows go from the warehouse
to Arrow one store at a time, never the whole input at once), pyarrow Tables or pandas
DataFrames. Ids are sorted as text and encoded as int32 codes, so code order is id order.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from retail_warehouse.arrow import as_table, sorted_codes, strings

INTERACTION_COLUMNS = ["customer_id", "item_id", "orders"]


def relation(frame) -> duckdb.DuckDBPyRelation:
    """A DuckDB relation: a relation as it is (a dbt ref), or one over a Table or DataFrame."""
    if isinstance(frame, duckdb.DuckDBPyRelation):
        return frame
    return duckdb.connect().from_arrow(as_table(frame))


def store_relations(frame) -> Iterator[tuple[str, duckdb.DuckDBPyRelation]]:
    """(store_id, that store's rows as a relation) for every store, in store order."""
    rows = relation(frame)
    store_ids = rows.project("store_id").distinct().fetchall()
    for (store_id,) in sorted(row for row in store_ids if row[0] is not None):
        yield store_id, store_rows(rows, store_id)


def store_rows(frame, store_id: str) -> duckdb.DuckDBPyRelation:
    """One store's rows of a relation (or Table, or DataFrame)."""
    is_store = duckdb.ColumnExpression("store_id") == duckdb.ConstantExpression(store_id)
    return relation(frame).filter(is_store)


@dataclass
class StoreMatrix:
    """One store's interactions as a customers x items matrix (rows and columns sorted by id)."""

    customer_ids: pa.Array
    item_ids: pa.Array
    matrix: sp.csr_matrix  # float32 `orders`

    @property
    def item_customers(self) -> np.ndarray:
        return np.bincount(self.matrix.indices, minlength=self.matrix.shape[1])

    def kept_items(self, min_item_customers: int) -> np.ndarray:
        """Item codes past the item-history line: bought by at least this many customers."""
        return np.flatnonzero(self.item_customers >= int(min_item_customers))

    def pairs(self, rows) -> np.ndarray:
        """Sorted customer code * items + item code keys of the (customer_id, item_id) pairs
        of `rows` (a relation or table) whose customer and item the matrix has."""
        table = relation(rows).project("customer_id, item_id").to_arrow_table()
        customers = pc.index_in(strings(table["customer_id"]), value_set=self.customer_ids)
        items = pc.index_in(strings(table["item_id"]), value_set=self.item_ids)
        known = pc.and_(pc.is_valid(customers), pc.is_valid(items))
        c = customers.filter(known).to_numpy().astype(np.int64)
        i = items.filter(known).to_numpy().astype(np.int64)
        return np.unique(c * self.matrix.shape[1] + i)


def build_matrix(interactions) -> StoreMatrix:
    """Encodes one store's (customer_id, item_id, orders) rows; ids are sorted as text."""
    table = as_table(interactions)
    # The two columns at once: Arrow's hashing and sorting release the GIL.
    with ThreadPoolExecutor(2) as pool:
        customers = pool.submit(sorted_codes, table["customer_id"])
        items = pool.submit(sorted_codes, table["item_id"])
        (customer_codes, customer_ids), (item_codes, item_ids) = customers.result(), items.result()
    weights = table["orders"].to_numpy().astype(np.float32)
    matrix = sp.csr_matrix(
        (weights, (customer_codes, item_codes)), shape=(len(customer_ids), len(item_ids))
    )
    matrix.sum_duplicates()
    matrix.sort_indices()
    return StoreMatrix(customer_ids, item_ids, matrix)


def read_matrix(rows: duckdb.DuckDBPyRelation) -> StoreMatrix:
    """One store's interactions read from the warehouse and encoded."""
    table = rows.project(", ".join(INTERACTION_COLUMNS)).to_arrow_table().drop_null()
    return build_matrix(table)


def customer_profiles(dim_customers, customer_rfm) -> pa.Table:
    """store_id, customer_id, country (dim_customers) and segment (fct_customer_rfm), joined
    in DuckDB: two relations of one connection (dbt refs) as they are, anything else loaded
    into a new one."""
    frames = (dim_customers, customer_rfm)
    if not all(isinstance(frame, duckdb.DuckDBPyRelation) for frame in frames):
        connection = duckdb.connect()
        frames = [connection.from_arrow(as_table(frame)) for frame in frames]
    customers, segments = frames[0].set_alias("d"), frames[1].set_alias("r")
    joined = customers.join(
        segments, "d.store_id = r.store_id and d.customer_id = r.customer_id", how="left"
    )
    return joined.project("d.store_id, d.customer_id, d.country, r.segment").to_arrow_table()


def store_customers(customers: pa.Table | None, store_id: str) -> pa.Table | None:
    """One store's rows of `customer_profiles`."""
    if customers is None:
        return None
    table = as_table(customers)
    return table.filter(pc.equal(strings(table["store_id"]), store_id))


def customer_groups(store: StoreMatrix, customers: pa.Table | None) -> dict[str, np.ndarray]:
    """Per store customer (by code), the code of their segment and of their country (-1:
    none). `customers`: customer_id, segment, country of this store's customers (or None)."""
    n = len(store.customer_ids)
    groups = {"segment": np.full(n, -1, dtype=np.int32), "country": np.full(n, -1, dtype=np.int32)}
    if customers is None or customers.num_rows == 0:
        return groups
    # Each store customer's first row in `customers`.
    position = pc.index_in(store.customer_ids, value_set=strings(customers["customer_id"]))
    position = position.fill_null(-1).to_numpy()
    for column in groups:
        if column not in customers.column_names:
            continue
        codes, _ = sorted_codes(customers[column])
        groups[column] = np.where(position >= 0, codes[position], -1).astype(np.int32)
    return groups

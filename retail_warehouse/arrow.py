"""Arrow helpers the clustering and recommendation packages share.

Inputs arrive as DuckDB query results (Arrow tables or streams) or, in tests, as pandas
DataFrames; outputs leave as Arrow tables with an explicit schema, which DuckDB reads without a
pandas copy. Ids that repeat over millions of rows (a store, an item, a label) are
dictionary-encoded: int32 codes into the distinct values.

A store too small for a model still gets a row in the model's output (``note_rows``): its key
columns and a ``note`` that says why, every other column null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Tabular = pd.DataFrame | pa.Table | pa.RecordBatchReader
ID_TYPE = pa.dictionary(pa.int32(), pa.string())


def as_table(data: Tabular) -> pa.Table:
    """A DataFrame, Arrow table or Arrow stream (what a DuckDB relation's .arrow() gives)."""
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, pa.Table):
        return data
    raise TypeError(f"expected a pandas DataFrame or an Arrow table, got {type(data).__name__}")


def strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as one plain string array (dictionary-encoded ids decoded)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    return values.cast(pa.string())


def sorted_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Codes of `values` as text, 0..n-1 in the sorted order of the distinct values (-1 for
    null), and the sorted distinct values: code order is id order."""
    encoded = pc.dictionary_encode(strings(values))
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    rank[-1] = -1  # null: index -1 below
    indices = encoded.indices.fill_null(-1).to_numpy()
    return rank[indices], encoded.dictionary.take(order)


def appearance_codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list]:
    """Codes 0..g-1 of a column and its g distinct values, in order of first appearance."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = values.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_pylist()


def dictionary_column(codes: np.ndarray, values: pa.Array | list[str]) -> pa.DictionaryArray:
    """values[codes] as a dictionary-encoded string column."""
    values = values if isinstance(values, pa.Array) else pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes, dtype=np.int32)), values)


def constant_column(value: str, n: int) -> pa.DictionaryArray:
    """`value` n times, stored once."""
    return dictionary_column(np.zeros(n, dtype=np.int32), [value])


def concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    """The tables one after the other, cast to `schema`; an empty table of it when none."""
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([table.cast(schema) for table in tables])


def note_rows(schema: pa.Schema, rows: list[dict[str, object]]) -> pa.Table:
    """Rows that say why a store (or a store's k) has no result: each dict fills `store_id`,
    `note` and any key columns; every other column of `schema` is null."""
    return pa.Table.from_pylist(rows, schema=schema)

"""Ranking on sparse matrices: the n best entries of each row, candidates of a customer's
history, and the pairs that may never be recommended.

Every function takes and gives entries as (row, col, value) arrays in (row, col) order, the
order a CSR matrix with sorted indices stores them; ties always go to the lower column (item
code, which is item id order).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def descending_keys(rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """uint64 keys that sort by row, then by score (as float32) from high to low."""
    bits = np.ascontiguousarray(scores, dtype=np.float32).view(np.uint32)
    # The float32 bit patterns as unsigned integers in the same order as the floats: flip
    # every bit of a negative number and the sign bit of a positive one.
    ordered = np.where(bits >> 31 == 1, ~bits, bits | np.uint32(0x80000000))
    return (rows.astype(np.uint64) << np.uint64(32)) | (~ordered).astype(np.uint64)


def top_per_row(
    rows: np.ndarray, cols: np.ndarray, scores: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The n best (row, col, score) of each row, with rank 1..n: score from high to low, ties
    to the lower col. The entries must come in (row, col) order, as a CSR matrix with sorted
    indices stores them: one stable sort on a (row, score) key then keeps that order on ties,
    at a fraction of the cost of a sort on three keys."""
    order = np.argsort(descending_keys(rows, scores), kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    keep = rank <= n
    order = order[keep]
    return rows[order], cols[order], scores[order], rank[keep]


def csr_entries(matrix: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, value) of every stored entry, in (row, col) order."""
    matrix.sort_indices()
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return rows, matrix.indices, matrix.data


def with_nan_diagonal(graph: sp.csr_matrix) -> sp.csr_matrix:
    """An item-item graph (no self-loops) with NaN on its diagonal. In `rows @ result` an item
    the customer bought comes out NaN (their own entry times NaN), whatever its neighbours,
    and every other item keeps its sum: one product both finds the candidates and marks the
    bought items, with no set difference afterwards."""
    rows, cols, values = csr_entries(graph)
    diagonal = np.arange(graph.shape[0])
    result = sp.csr_matrix(
        (
            np.r_[values, np.full(len(diagonal), np.nan, dtype=values.dtype)],
            (np.r_[rows, diagonal], np.r_[cols, diagonal]),
        ),
        shape=graph.shape,
    )
    result.sort_indices()
    return result


def candidates(rows: sp.csr_matrix, graph: sp.csr_matrix):
    """(row, col, sum) of `rows @ graph` for the items not bought (`graph` from
    `with_nan_diagonal`), in (row, col) order."""
    r, c, values = csr_entries((rows @ graph).tocsr())
    new = ~np.isnan(values)
    return r[new], c[new], values[new]


def row_dots(left: np.ndarray, right: np.ndarray, left_rows, right_rows, chunk=1 << 16):
    """left[left_rows[j]] . right[right_rows[j]] for every j, in float32, in chunks small
    enough for the gathered rows to stay in cache (2M-row chunks ran 3x slower)."""
    out = np.empty(len(left_rows), dtype=np.float32)
    for start in range(0, len(left_rows), chunk):
        part = slice(start, start + chunk)
        np.einsum("ij,ij->i", left[left_rows[part]], right[right_rows[part]], out=out[part])
    return out


def drop_pairs(rows, cols, values, excluded: sp.csr_matrix | None):
    """The entries whose (row, col) is not stored in `excluded` (same shape as theirs)."""
    if excluded is None or not excluded.nnz:
        return rows, cols, values
    width = excluded.shape[1]
    banned_rows, banned_cols, _ = csr_entries(excluded)
    banned = banned_rows * width + banned_cols  # sorted: CSR order
    keys = np.asarray(rows, dtype=np.int64) * width + cols
    position = np.minimum(np.searchsorted(banned, keys), len(banned) - 1)
    keep = banned[position] != keys
    return rows[keep], cols[keep], values[keep]

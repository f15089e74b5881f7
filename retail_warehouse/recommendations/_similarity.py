"""Similar items (ml_item_similarity): "customers who bought this also bought", from the fit."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from retail_warehouse.arrow import ID_TYPE, concat, constant_column, dictionary_column, note_rows
from retail_warehouse.recommendations._base import LOG
from retail_warehouse.recommendations._data import store_relations
from retail_warehouse.recommendations._fit import read_fit
from retail_warehouse.recommendations._settings import RecommendationSettings

SIMILARITY_SCHEMA = pa.schema(
    [
        ("store_id", ID_TYPE),
        ("item_id", ID_TYPE),
        ("similar_item_rank", pa.int64()),
        ("similar_item_id", ID_TYPE),
        ("score", pa.float64()),
        ("note", pa.string()),
    ]
)


def item_similarity(fit, settings: RecommendationSettings) -> pa.Table:
    """Top `rec_similar_items` items bought by the same customers, per kept item and store,
    under the model of ml_recommendation_fit (`fit`, a relation)."""
    tables, notes = [], []
    for store_id, rows in store_relations(fit):
        stored = read_fit(rows, store_id, settings)
        if stored.model is None:
            notes.append({"store_id": store_id, "note": stored.note})
            continue
        item, similar, scores, rank = stored.model.similar_items(int(settings.rec_similar_items))
        if not len(item):
            note = f"no two of the {len(stored.item_ids)} kept items were bought by one customer"
            LOG.warning("ml_item_similarity: store %r has %s", store_id, note)
            notes.append({"store_id": store_id, "note": note})
            continue
        tables.append(
            pa.table(
                {
                    "store_id": constant_column(store_id, len(item)),
                    "item_id": dictionary_column(item, stored.item_ids),
                    "similar_item_rank": pa.array(rank.astype(np.int64)),
                    "similar_item_id": dictionary_column(similar, stored.item_ids),
                    "score": pa.array(scores.astype(np.float64)),
                    "note": pa.nulls(len(item), pa.string()),
                }
            )
        )
    return concat([*tables, note_rows(SIMILARITY_SCHEMA, notes)], SIMILARITY_SCHEMA)

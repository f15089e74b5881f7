"""Product recommendations from implicit feedback: similar items and top-N items per customer.

Plain Python on pyarrow / scipy / ``implicit`` (0.7), called by the thin dbt Python models in
``models/ml/recommendations``, one function per model. Input is one row per store, customer
and item bought (``int_customer_item_interactions``: ``store_id, customer_id, item_id,
orders``), as a DuckDB relation (each store's rows are read from the warehouse as Arrow, one
store at a time), a pyarrow Table or a pandas DataFrame. Every store is modelled on its own.
Results are pyarrow Tables whose id columns are dictionary-encoded, so 28.5M rows cost a few
bytes each and DuckDB reads them without a pandas copy. The models are steps::

    recommendation_fit(interactions, settings)                       -> ml_recommendation_fit
    item_similarity(fit, settings)                                   -> ml_item_similarity
    recommend(interactions, fit, customers, returns, settings)       -> ml_customer_recommendations
    evaluate(purchases, customers, returns, settings)                -> ml_recommendation_eval

The algorithms come from ``implicit``: ``item_cosine`` (CosineRecommender), ``bm25``
(BM25Recommender), ``als`` (AlternatingLeastSquares) and ``bpr`` (BayesianPersonalizedRanking);
``popularity`` (the most-bought items the customer does not have) is the baseline. The fit is
done once, stored in ml_recommendation_fit and restored by the two models that apply it; the
evaluation fits its own models on the purchases before its cut-off.

Deterministic: factor models take ``random_state`` from the seed, BPR runs on one thread (its
parallel SGD is not reproducible), and every ranking breaks ties by item id.
"""

from retail_warehouse.recommendations._candidates import SOURCES, recommend
from retail_warehouse.recommendations._data import customer_profiles
from retail_warehouse.recommendations._evaluation import (
    EVAL_COLUMNS,
    PURCHASE_COLUMNS,
    StorePurchases,
    evaluate,
    evaluate_stores,
    ranking_metrics,
    sample_customers,
    time_split,
)
from retail_warehouse.recommendations._factors import FactorModel
from retail_warehouse.recommendations._fit import recommendation_fit
from retail_warehouse.recommendations._settings import ALGORITHMS, RecommendationSettings
from retail_warehouse.recommendations._similarity import item_similarity

__all__ = [
    "ALGORITHMS",
    "EVAL_COLUMNS",
    "PURCHASE_COLUMNS",
    "SOURCES",
    "FactorModel",
    "RecommendationSettings",
    "StorePurchases",
    "customer_profiles",
    "evaluate",
    "evaluate_stores",
    "item_similarity",
    "ranking_metrics",
    "recommend",
    "recommendation_fit",
    "sample_customers",
    "time_split",
]

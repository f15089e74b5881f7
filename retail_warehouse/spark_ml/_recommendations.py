"""The recommendation tables on Spark: ALS with Spark MLlib, everything else with the
recommendations package, in the order of models/ml/recommendations.

``MLlibFactorModel`` is the package's factor model with one step replaced: the ALS fit. The
package builds each store's customers x kept items matrix and weights `orders` by BM25 as on
DuckDB; the weighted entries go to Spark as (customer, item, weight) rows and
``pyspark.ml.recommendation.ALS(implicitPrefs=True)`` fits the factors (`rec_factors`,
`rec_iterations`, `rec_regularization`, seed `rec_seed`), which come back to the package for
the co-purchase candidates, similar items, fallbacks and the evaluation. So
ml_recommendation_fit's factors, and the `als` rows of every table after it, are MLlib's; the
other algorithms of the evaluation (popularity, item_cosine, bm25, bpr) are the package's, as
on DuckDB.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from retail_warehouse.recommendations import (
    PURCHASE_COLUMNS,
    FactorModel,
    RecommendationSettings,
    StorePurchases,
    customer_profiles,
    evaluate_stores,
    item_similarity,
    recommend,
    recommendation_fit,
    sample_customers,
)
from retail_warehouse.spark_ml._tables import LOG, Writer, collect, read

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# MLlib's confidence is 1 + alpha * weight; implicit's (the DuckDB path) is the weight itself.
ALS_ALPHA = 1.0


def _factor_matrix(factors: DataFrame, rows: int, rank: int) -> np.ndarray:
    """MLlib's (id, features) factors as a dense array, zero for an id it has no row for."""
    frame = factors.toPandas()
    matrix = np.zeros((rows, rank), dtype=np.float32)
    if len(frame):
        matrix[frame["id"].to_numpy()] = np.stack(frame["features"].to_numpy()).astype(np.float32)
    return matrix


class MLlibFactorModel(FactorModel):
    """The package's factor model, with ALS fitted by Spark MLlib on the active session."""

    def _fit_als(self, matrix: sp.csr_matrix) -> None:
        from implicit.nearest_neighbours import bm25_weight
        from pyspark.ml.recommendation import ALS
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession()
        if spark is None:
            raise RuntimeError("MLlibFactorModel needs an active Spark session")
        weighted = bm25_weight(matrix, K1=100, B=0.8).tocoo()  # the weighting of the DuckDB path
        ratings = spark.createDataFrame(
            pd.DataFrame(
                {
                    "customer": weighted.row.astype(np.int32),
                    "item": weighted.col.astype(np.int32),
                    "weight": weighted.data.astype(np.float32),
                }
            )
        )
        rank = int(self.settings.rec_factors)
        # MLlib's default of 10 user and 10 item blocks makes 10 small tasks per half-step on
        # local[2]; one block per core of the session (a cluster's total cores) instead.
        blocks = spark.sparkContext.defaultParallelism
        model = ALS(
            rank=rank,
            maxIter=int(self.settings.rec_iterations),
            regParam=float(self.settings.rec_regularization),
            implicitPrefs=True,
            alpha=ALS_ALPHA,
            seed=int(self.settings.rec_seed),
            numUserBlocks=blocks,
            numItemBlocks=blocks,
            userCol="customer",
            itemCol="item",
            ratingCol="weight",
        ).fit(ratings)
        self.model.user_factors = _factor_matrix(model.userFactors, matrix.shape[0], rank)
        self.model.item_factors = _factor_matrix(model.itemFactors, matrix.shape[1], rank)


def store_purchases(
    spark: SparkSession, settings: RecommendationSettings
) -> Iterator[StorePurchases]:
    """Each store's purchase lines for the evaluation, sampled as the DuckDB build samples them.

    Spark gives each store's first and last purchase and its distinct customers; the package's
    `sample_customers` (DuckDB's hash) picks the sample from those, so both engines evaluate
    the same customers; Spark keeps the sample's lines and only they reach the driver. At full
    scale the store's lines (16.1M) would not: collecting them exceeds
    spark.driver.maxResultSize.
    """
    from pyspark.sql import functions as F

    lines = spark.sql(
        f"select store_id, {', '.join(PURCHASE_COLUMNS)} "
        "from intermediate.int_order_lines_cleaned where not is_return"
    )
    bounds = collect(
        lines.where(F.col("store_id").isNotNull())
        .groupBy("store_id")
        .agg(F.min("ordered_at").alias("first"), F.max("ordered_at").alias("last"))
    ).to_pandas()
    for store_id, first, last in bounds.sort_values("store_id").itertuples(index=False):
        if pd.isna(last):
            continue
        of_store = lines.where(F.col("store_id") == store_id)
        if settings.rec_eval_max_customers is not None:
            customers = of_store.select("customer_id").distinct()
            sample = sample_customers(
                collect(customers), settings.rec_eval_max_customers, settings.rec_seed
            ).to_df()
            chosen = spark.createDataFrame(sample, schema=customers.schema)
            of_store = of_store.join(F.broadcast(chosen), "customer_id", "left_semi")
        sampled = collect(of_store.select(*PURCHASE_COLUMNS)).drop_null()
        LOG.info("ml_recommendation_eval: store %r, %d sampled lines", store_id, len(sampled))
        yield StorePurchases(store_id, first.to_pydatetime(), last.to_pydatetime(), sampled)


def build(spark: SparkSession, writer: Writer, settings: RecommendationSettings) -> None:
    """Every table of models/ml/recommendations."""
    started = time.perf_counter()
    interactions = read(
        spark,
        "select store_id, customer_id, item_id, orders "
        "from intermediate.int_customer_item_interactions",
    )
    fit = writer.write(
        "ml_recommendation_fit",
        recommendation_fit(interactions, settings, MLlibFactorModel),
        started,
    )
    started = time.perf_counter()
    writer.write("ml_item_similarity", item_similarity(fit, settings), started)

    started = time.perf_counter()
    customers = customer_profiles(
        read(spark, "select store_id, customer_id, country from marts.dim_customers"),
        read(spark, "select store_id, customer_id, segment from marts.fct_customer_rfm"),
    )
    returns = read(spark, "select * from intermediate.int_customer_item_returns")
    writer.write(
        "ml_customer_recommendations",
        recommend(interactions, fit, customers, returns, settings),
        started,
    )
    started = time.perf_counter()
    writer.write(
        "ml_recommendation_eval",
        evaluate_stores(
            store_purchases(spark, settings), customers, returns, settings, MLlibFactorModel
        ),
        started,
    )
    LOG.info("recommendation tables written")

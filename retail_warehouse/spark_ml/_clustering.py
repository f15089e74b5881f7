"""The clustering tables on Spark: K-Means and the silhouette over k with Spark MLlib, the
customer-level steps with the clustering package, in the order of models/ml/clustering.

MLlib's part reads ml_cluster_features from the catalogue: each store's K-Means sample
(`in_fit_sample`) is fitted at every k with ``pyspark.ml.clustering.KMeans`` (k-means||
initialisation, `cluster_n_init` restarts seeded `cluster_seed` + restart, the lowest training
cost kept), and the silhouette of each fit is MLlib's ``ClusteringEvaluator`` on the store's
silhouette sample (`in_silhouette_sample`). The fits go into ml_cluster_kmeans_fits in the
package's layout, so everything after them (k-selection's other measures, the assignment of
every customer, labels, profiles, comparisons) is the package's code, as on DuckDB.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from retail_warehouse.arrow import concat, note_rows
from retail_warehouse.clustering import (
    CLUSTER_ID_COLUMNS,
    COMPARED_KS,
    MIXTURE_ID_COLUMNS,
    RFM_INPUT_COLUMNS,
    ClusteringSettings,
    KMeansFit,
    choose_k,
    cluster_agreement,
    cluster_profiles,
    customer_clusters,
    customer_features,
    customer_mixture,
    feature_transform,
    k_selection,
    mixture_fits,
    read_features,
    segment_crosstab,
)
from retail_warehouse.predictions import (
    BOUGHT_COLUMNS,
    CUTOFF_RFM_COLUMNS,
    actionable_k,
    cluster_k_holdout,
)
from retail_warehouse.spark_ml._tables import LOG, ML_SCHEMA, Writer, read

if TYPE_CHECKING:
    from pyspark.ml.clustering import KMeansModel
    from pyspark.sql import DataFrame, SparkSession

# sklearn's KMeans iterates up to 300 times; MLlib's default of 20 stops some fits early.
KMEANS_MAX_ITER = 300
ORDER = "order by store_id, customer_id"
Z_COLUMNS = [name for name, _ in KMeansFit.parameters]  # the features, in the fits' order


def _columns(names: str) -> list[str]:
    return [name.strip() for name in names.split(",")]


def _vectors(frame: DataFrame) -> DataFrame:
    from pyspark.ml.feature import VectorAssembler

    return VectorAssembler(inputCols=Z_COLUMNS, outputCol="features").transform(frame)


def fit_kmeans(sample: DataFrame, k: int, settings: ClusteringSettings) -> KMeansModel:
    """MLlib K-Means at k on `sample` (a `features` vector column): the best of
    `cluster_n_init` seeded restarts by training cost (sum of squared distances)."""
    from pyspark.ml.clustering import KMeans

    best, best_cost = None, np.inf
    for restart in range(settings.cluster_n_init):
        model = KMeans(
            k=k, seed=settings.cluster_seed + restart, maxIter=KMEANS_MAX_ITER, tol=1e-4
        ).fit(sample)
        cost = model.summary.trainingCost
        if cost < best_cost:
            best, best_cost = model, cost
    return best


def kmeans_fits(
    spark: SparkSession, features: pa.Table, settings: ClusteringSettings
) -> tuple[pa.Table, dict[tuple[str, int], float]]:
    """ml_cluster_kmeans_fits fitted by MLlib, and MLlib's silhouette of each (store, k) of
    the k-selection on the store's silhouette sample.

    `features` is ml_cluster_features as written (it says which k each store can take); the
    samples are read from its table in the catalogue.
    """
    from pyspark.ml.evaluation import ClusteringEvaluator

    table = _vectors(spark.table(f"{ML_SCHEMA}.ml_cluster_features"))
    evaluator = ClusteringEvaluator(
        featuresCol="features", predictionCol="prediction", metricName="silhouette"
    )
    ks = sorted({*settings.k_values, *COMPARED_KS})
    tables, notes, silhouettes = [], [], {}
    for store in read_features(features):
        of_store = table.where(table.store_id == store.store_id)
        sample = of_store.where("in_fit_sample").select("features").cache()
        silhouette_sample = of_store.where("in_silhouette_sample").select("features").cache()
        usable = [k for k in ks if store.usable(k)]
        notes += [
            {"store_id": store.store_id, "k": k, "note": store.too_small_for(k)}
            for k in ks
            if k not in usable
        ]

        def fit(
            k: int, sample: DataFrame = sample, scored: DataFrame = silhouette_sample
        ) -> tuple[KMeansModel, float | None]:
            model = fit_kmeans(sample, k, settings)
            if k not in settings.k_values:
                return model, None
            return model, float(evaluator.evaluate(model.transform(scored)))

        # A fit is many small Spark jobs of one task each: fits at several k side by side keep
        # every core of the session busy (the same seeds give the same fits in any order).
        with ThreadPoolExecutor(max_workers=spark.sparkContext.defaultParallelism) as pool:
            fitted = dict(zip(usable, pool.map(fit, usable), strict=True))
        for k, (model, silhouette) in fitted.items():
            centres = np.array(model.clusterCenters(), dtype=np.float64)
            if silhouette is not None:
                silhouettes[store.store_id, k] = silhouette
            tables.append(KMeansFit(centres).rows(store.store_id, k))
        sample.unpersist()
        silhouette_sample.unpersist()
    schema = KMeansFit.schema()
    return concat([*tables, note_rows(schema, notes)], schema), silhouettes


def with_mllib_silhouette(
    selection: pa.Table, silhouettes: dict[tuple[str, int], float], settings: ClusteringSettings
) -> pa.Table:
    """The package's k-selection with MLlib's silhouette in `silhouette`, and the flags that
    follow from it (`is_best_silhouette`, `is_chosen`) set again."""
    frame = selection.to_pandas()
    measured = frame["note"].isna()
    frame["silhouette"] = [
        silhouettes.get((store_id, int(k)), np.nan) if ok else np.nan
        for store_id, k, ok in zip(frame["store_id"], frame["k"], measured, strict=True)
    ]
    for _, rows in frame[measured].groupby("store_id"):
        ordered = rows.sort_values("k")
        best = ordered["silhouette"].fillna(-np.inf).idxmax()  # ties: the smaller k
        frame.loc[rows.index, "is_best_silhouette"] = rows.index == best
        chosen = choose_k(frame.loc[rows.index], settings)
        frame.loc[rows.index, "is_chosen"] = rows["k"] == chosen
    return pa.Table.from_pandas(frame, schema=selection.schema, preserve_index=False)


def build(spark: SparkSession, writer: Writer, settings: ClusteringSettings) -> None:
    """Every table of models/ml/clustering, and ml_cluster_k_holdout that k-selection reads."""
    started = time.perf_counter()
    rfm = read(spark, f"select {RFM_INPUT_COLUMNS} from marts.fct_customer_rfm {ORDER}")
    transform = writer.write(
        "ml_cluster_feature_transform", feature_transform(rfm, settings), started
    )
    started = time.perf_counter()
    features = writer.write(
        "ml_cluster_features", customer_features(rfm, transform, settings), started
    )
    started = time.perf_counter()
    kmeans, silhouettes = kmeans_fits(spark, features, settings)
    writer.write("ml_cluster_kmeans_fits", kmeans, started)
    started = time.perf_counter()
    mixture = writer.write("ml_cluster_mixture_fits", mixture_fits(features, settings), started)

    started = time.perf_counter()
    split = "intermediate.int_customer_histories_split"
    holdout = cluster_k_holdout(
        read(spark, f"select {CUTOFF_RFM_COLUMNS} from {split} {ORDER}"),
        read(spark, f"select {BOUGHT_COLUMNS} from {split}").to_pandas(),
        settings,
    )
    writer.write(
        "ml_cluster_k_holdout", pa.Table.from_pandas(holdout, preserve_index=False), started
    )

    started = time.perf_counter()
    selection = with_mllib_silhouette(
        k_selection(features, kmeans, mixture, settings), silhouettes, settings
    )
    if settings.cluster_k == "auto":  # as ml_cluster_k_selection.py does
        selection = actionable_k(selection, holdout, settings)
    writer.write("ml_cluster_k_selection", selection, started)

    started = time.perf_counter()
    clusters = writer.write(
        "ml_customer_clusters",
        customer_clusters(features, transform, kmeans, selection),
        started,
    )
    started = time.perf_counter()
    mixture_customers = writer.write(
        "ml_customer_mixture",
        customer_mixture(features, transform, mixture, selection, settings),
        started,
    )
    cluster_ids = clusters.select(_columns(CLUSTER_ID_COLUMNS))
    started = time.perf_counter()
    writer.write(
        "ml_cluster_profiles",
        cluster_profiles(rfm, features, transform, cluster_ids, mixture_customers),
        started,
    )
    started = time.perf_counter()
    writer.write("ml_cluster_segment_crosstab", segment_crosstab(rfm, cluster_ids), started)
    started = time.perf_counter()
    writer.write(
        "ml_cluster_agreement",
        cluster_agreement(rfm, cluster_ids, mixture_customers.select(_columns(MIXTURE_ID_COLUMNS))),
        started,
    )
    LOG.info("clustering tables written")

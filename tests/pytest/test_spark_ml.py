"""The Spark ML path (retail_warehouse.spark_ml) on small data it makes itself: its session is the
profile's (loopback only), MLlib's K-Means finds known groups and picks their number by
silhouette, MLlib's ALS recommends within a customer's group, and a table written to the
catalogue keeps the column types the dbt tests and the comparison expect.

One Spark session serves every check (a JVM start costs seconds): it runs in a child process,
which reports and then waits, so that its ports can be read while it is up. `make test` runs the
whole path on the bundled data (make spark-test: build, tests, comparison with DuckDB)."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from dbt_project_runner import PROJECT_DIR
from listening_sockets import descendants, listeners

from retail_warehouse.spark_ml import spark_config

needs_spark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="PySpark or Java missing; run `make install-spark` (Java 17 on PATH)",
)

SESSION_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from datetime import datetime, timedelta
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import scipy.sparse as sp
    from sklearn.metrics import adjusted_rand_score

    from retail_warehouse.clustering import ClusteringSettings, KMeansFit
    from retail_warehouse.recommendations import RecommendationSettings
    from retail_warehouse.recommendations._evaluation import store_purchases
    from retail_warehouse.settings import settings_from_project
    from retail_warehouse.spark_ml import MLlibFactorModel, spark_session
    from retail_warehouse.spark_ml._clustering import kmeans_fits
    from retail_warehouse.spark_ml._recommendations import store_purchases as spark_purchases
    from retail_warehouse.spark_ml._tables import Writer

    results = {}
    with spark_session() as spark:
        writer = Writer(spark, __import__("pathlib").Path(sys.argv[1]))
        # Three tight groups of customers in store `a`; store `b` has two distinct points only.
        rng = np.random.default_rng(7)
        centres = np.array([[-2.0, 0.0, 0.0], [2.0, 2.0, 0.0], [0.0, -2.0, 2.0]])
        truth = np.repeat(np.arange(3), 200)
        z = centres[truth] + rng.normal(scale=0.3, size=(600, 3))
        n = len(z) + 4
        features = pa.table({
            "store_id": ["a"] * len(z) + ["b"] * 4,
            "customer_id": [f"{i:04d}" for i in range(n)],
            "is_outlier": [False] * n,
            "z_recency": np.r_[z[:, 0], [0, 0, 1, 1]],
            "z_frequency": np.r_[z[:, 1], [0, 0, 1, 1]],
            "z_monetary": np.r_[z[:, 2], [0, 0, 1, 1]],
            "in_fit_sample": [True] * n,
            "in_mixture_sample": [True] * n,
            "in_silhouette_sample": [True] * n,
        })
        writer.write("ml_cluster_features", features, time.perf_counter())
        settings = settings_from_project(ClusteringSettings, cluster_k_max=5, cluster_n_init=2)
        fits, silhouettes = kmeans_fits(spark, features, settings)
        a = KMeansFit.read(fits)["a"].models[3]
        results["ari_k3"] = adjusted_rand_score(truth, a.labels(z))
        results["silhouettes_a"] = {
            str(k): value for (store, k), value in silhouettes.items() if store == "a"
        }
        results["notes_b"] = fits.filter(pc.equal(fits["store_id"], "b")).column(
            "note").to_pylist()

        # Two groups of customers, each buying from its own six items, one item left unbought.
        rows, cols = [], []
        for customer in range(40):
            group = customer % 2
            items = [group * 6 + i for i in range(6) if (customer + i) % 6 != 0]
            rows += [customer] * len(items)
            cols += items
        matrix = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(40, 12))
        recommender = MLlibFactorModel(
            "als", settings_from_project(RecommendationSettings, rec_factors=4, rec_iterations=10)
        )
        recommender.fit(matrix)
        scores = recommender.user_factors @ recommender.item_factors.T
        scores[matrix.nonzero()] = -np.inf
        best = scores.argmax(axis=1)
        results["best_item_in_own_group"] = float(np.mean(best // 6 == np.arange(40) % 2))
        results["factor_shapes"] = [
            list(recommender.user_factors.shape), list(recommender.item_factors.shape)
        ]

        typed = pa.table({
            "store_id": pa.DictionaryArray.from_arrays(pa.array([0, 0], pa.int32()), ["a"]),
            "k": pa.array([1, 2], pa.int32()),
            "factors": pa.array([[1.0, 2.0], None], pa.list_(pa.float32())),
            "cutoff_at": pa.array([0, 86_400_000_000], pa.timestamp("us")),
            "is_default": [True, False],
            "note": pa.nulls(2, pa.string()),
        })
        writer.write("typed", typed, time.perf_counter())
        read_back = spark.table("ml.typed")
        results["types"] = [(field.name, field.dataType.simpleString())
                            for field in read_back.schema.fields]
        results["cutoffs"] = [str(row.cutoff_at) for row in read_back.orderBy("k").collect()]

        # Purchase lines of two stores (and of none): 12 customers in `a`, 2 in `b`, every
        # seventh line a return. The evaluation's sample of at most 5 customers per store.
        lines = pa.table({
            "store_id": ["a"] * 30 + ["b"] * 8 + [None] * 2,
            "customer_id": [f"c{i % 12:02d}" for i in range(30)]
            + [f"d{i % 2}" for i in range(8)] + ["x", "x"],
            "item_id": [f"i{i % 5}" for i in range(40)],
            "order_id": [f"o{i}" for i in range(40)],
            "ordered_at": [datetime(2024, 1, 1, 9) + timedelta(days=i) for i in range(40)],
            "is_return": [i % 7 == 0 for i in range(40)],
        })
        spark.sql("create database if not exists intermediate")
        spark.createDataFrame(lines.to_pandas()).write.saveAsTable(
            "intermediate.int_order_lines_cleaned")
        sampling = settings_from_project(RecommendationSettings, rec_eval_max_customers=5)
        purchases = lines.filter(pc.invert(lines["is_return"])).drop_columns(["is_return"])

        def sampled(stores):
            return [
                [store, str(first), str(last),
                 sorted(map(str, sample.sort_by("order_id").to_pylist()))]
                for store, first, last, sample in stores
            ]

        results["sample_duckdb"] = sampled(store_purchases(purchases, sampling))
        results["sample_spark"] = sampled(spark_purchases(spark, sampling))
        print("READY", flush=True)
        sys.stdin.readline()
    print("RESULTS " + json.dumps(results), flush=True)
    """
)


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory):
    """The script's results and the ports its session listened on."""
    work = tmp_path_factory.mktemp("spark_ml")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "SPARK_WAREHOUSE_DIR": str(work / "warehouse"),
        "SPARK_METASTORE_DIR": str(work / "metastore"),
    }
    (work / "scratch").mkdir()
    session = subprocess.Popen(
        [sys.executable, "-c", SESSION_SCRIPT, str(work / "scratch")],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = []
    for line in session.stdout:
        if line.startswith("READY"):
            found = listeners(descendants(session.pid))
            break
    output, errors = session.communicate(input="\n", timeout=300)
    results = [line for line in output.splitlines() if line.startswith("RESULTS ")]
    assert session.returncode == 0 and results, errors[-4000:]
    return json.loads(results[0][len("RESULTS ") :]), found


def test_the_session_is_the_profiles_spark_target(monkeypatch, tmp_path):
    monkeypatch.setenv("SPARK_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    config = spark_config(PROJECT_DIR / "profiles")
    assert config["spark.driver.bindAddress"] == "127.0.0.1"
    assert config["spark.driver.host"] == "127.0.0.1"
    assert config["spark.sql.warehouse.dir"] == str(tmp_path / "warehouse")
    with pytest.raises(ValueError, match="has no output `nowhere`"):
        spark_config(PROJECT_DIR / "profiles", target="nowhere")


@needs_spark
def test_the_spark_ml_session_listens_on_the_loopback_address_only(spark_run):
    _, found = spark_run
    assert found, "the check saw no Spark port at all"
    assert [str(listener) for listener in found if not listener.is_loopback] == []


@needs_spark
def test_mllib_kmeans_finds_the_groups_and_their_number(spark_run):
    results, _ = spark_run
    assert results["ari_k3"] > 0.95
    silhouettes = {int(k): value for k, value in results["silhouettes_a"].items()}
    assert sorted(silhouettes) == [2, 3, 4, 5]
    assert max(silhouettes, key=silhouettes.get) == 3
    # Two distinct points: no k from 2 up can be fitted, each k says why.
    assert len(results["notes_b"]) == 4
    assert all("too small for k" in note for note in results["notes_b"])


@needs_spark
def test_mllib_als_recommends_within_the_customers_group(spark_run):
    results, _ = spark_run
    assert results["factor_shapes"] == [[40, 4], [12, 4]]
    assert results["best_item_in_own_group"] == 1.0


@needs_spark
def test_the_evaluation_samples_on_spark_the_customers_duckdb_samples(spark_run):
    results, _ = spark_run
    spark, duckdb = results["sample_spark"], results["sample_duckdb"]
    assert [store[:3] for store in spark] == [
        ["a", "2024-01-02 09:00:00", "2024-01-30 09:00:00"],
        ["b", "2024-01-31 09:00:00", "2024-02-07 09:00:00"],
    ]
    assert spark == duckdb
    customers = [{line.split("'customer_id': '")[1][:3] for line in store[3]} for store in spark]
    assert [len(of_store) for of_store in customers] == [5, 2]


@needs_spark
def test_a_written_table_has_the_types_of_the_dbt_models(spark_run):
    results, _ = spark_run
    assert results["types"] == [
        ["store_id", "string"],
        ["k", "int"],
        ["factors", "array<float>"],
        ["cutoff_at", "timestamp"],
        ["is_default", "boolean"],
        ["note", "string"],
    ]
    assert results["cutoffs"] == ["1970-01-01 00:00:00", "1970-01-02 00:00:00"]

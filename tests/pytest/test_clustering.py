"""Tests of the clustering package (retail_warehouse.clustering).

Every test builds its own data: small RFM tables with known groups, a store too small for some k,
and a generated e-commerce feed whose customer types are known (the ARI >= 0.8 test). The
models are chained through tables of a DuckDB connection, as dbt chains them.
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from datagen import ecommerce as gen
from retail_warehouse import clustering as cl
from retail_warehouse.clustering import _kmeans, _mixture
from retail_warehouse.clustering._comparison import adjusted_rand_index
from retail_warehouse.clustering._features import FEATURES, read_features
from retail_warehouse.clustering._k_selection import silhouettes
from retail_warehouse.clustering._kmeans import KMeansFit
from retail_warehouse.clustering._labels import VALUE_SIGN
from retail_warehouse.clustering._mixture import MixtureFit
from retail_warehouse.settings import settings_from_project


def settings(**overrides) -> cl.ClusteringSettings:
    return settings_from_project(cl.ClusteringSettings, **overrides)


SETTINGS = settings(cluster_k="auto", cluster_seed=7, mixture_components=3)

# Three customer groups far apart in log R/F/M: (recency days, orders, money per customer).
GROUPS = {
    "best": (5, 40, 4000.0),
    "new": (10, 1, 30.0),
    "lapsed": (300, 2, 60.0),
}


def blobs(store_id: str = "shop", per_group: int = 200, seed: int = 0) -> pd.DataFrame:
    """Customers drawn around each group's centre (log-normal noise), with their true group."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, (recency, frequency, monetary) in GROUPS.items():
        noise = rng.normal(0, 0.15, size=(per_group, 3))
        frames.append(
            pd.DataFrame(
                {
                    "recency_days": np.maximum(1, np.round(recency * np.exp(noise[:, 0]))),
                    "frequency": np.maximum(1, np.round(frequency * np.exp(noise[:, 1]))),
                    "monetary": np.round(monetary * np.exp(noise[:, 2]), 2),
                    "truth": group,
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "customer_id", [f"c{i:05d}" for i in range(len(frame))])
    frame.insert(0, "store_id", store_id)
    frame["recency_days"] = frame["recency_days"].astype("int64")
    frame["frequency"] = frame["frequency"].astype("int64")
    frame["segment"] = np.where(frame["recency_days"] < 50, "Champions", "Hibernating")
    frame["marketing_group"] = np.where(frame["frequency"] > 5, "VIPs", "Hibernating")
    return frame


# The models in dbt's order: (table, function of a reader of the tables before it).
STEPS = [
    ("ml_cluster_feature_transform", lambda t, s: cl.feature_transform(t.rfm(), s)),
    (
        "ml_cluster_features",
        lambda t, s: cl.customer_features(t.rfm(), t.whole("ml_cluster_feature_transform"), s),
    ),
    ("ml_cluster_kmeans_fits", lambda t, s: cl.kmeans_fits(t.ordered("ml_cluster_features"), s)),
    ("ml_cluster_mixture_fits", lambda t, s: cl.mixture_fits(t.ordered("ml_cluster_features"), s)),
    (
        "ml_cluster_k_selection",
        lambda t, s: cl.k_selection(
            t.ordered("ml_cluster_features"),
            t.whole("ml_cluster_kmeans_fits"),
            t.whole("ml_cluster_mixture_fits"),
            s,
        ),
    ),
    (
        "ml_customer_clusters",
        lambda t, s: cl.customer_clusters(
            t.ordered("ml_cluster_features"),
            t.whole("ml_cluster_feature_transform"),
            t.whole("ml_cluster_kmeans_fits"),
            t.whole("ml_cluster_k_selection"),
        ),
    ),
    (
        "ml_customer_mixture",
        lambda t, s: cl.customer_mixture(
            t.ordered("ml_cluster_features"),
            t.whole("ml_cluster_feature_transform"),
            t.whole("ml_cluster_mixture_fits"),
            t.whole("ml_cluster_k_selection"),
            s,
        ),
    ),
    (
        "ml_cluster_profiles",
        lambda t, s: cl.cluster_profiles(
            t.rfm(),
            t.ordered("ml_cluster_features"),
            t.whole("ml_cluster_feature_transform"),
            t.ordered("ml_customer_clusters", cl.CLUSTER_ID_COLUMNS),
            t.ordered("ml_customer_mixture"),
        ),
    ),
    (
        "ml_cluster_segment_crosstab",
        lambda t, s: cl.segment_crosstab(
            t.rfm(), t.ordered("ml_customer_clusters", cl.CLUSTER_ID_COLUMNS)
        ),
    ),
    (
        "ml_cluster_agreement",
        lambda t, s: cl.cluster_agreement(
            t.rfm(),
            t.ordered("ml_customer_clusters", cl.CLUSTER_ID_COLUMNS),
            t.ordered("ml_customer_mixture", cl.MIXTURE_ID_COLUMNS),
        ),
    ),
]
KEYS = {
    "ml_cluster_feature_transform": ["store_id", "feature"],
    "ml_cluster_features": ["store_id", "customer_id"],
    "ml_cluster_kmeans_fits": ["store_id", "k", "cluster"],
    "ml_cluster_mixture_fits": ["store_id", "k", "cluster"],
    "ml_cluster_k_selection": ["store_id", "k"],
    "ml_customer_clusters": ["store_id", "customer_id"],
    "ml_customer_mixture": ["store_id", "customer_id"],
    "ml_cluster_profiles": ["store_id", "method", "k", "cluster_id"],
    "ml_cluster_segment_crosstab": ["store_id", "k", "cluster_id", "segment"],
    "ml_cluster_agreement": ["store_id", "partition_a", "partition_b"],
}


class Tables:
    """The warehouse of one run: each model's output is a table the next ones read."""

    def __init__(self, rfm: pd.DataFrame):
        self.connection = duckdb.connect()
        self.write("fct_customer_rfm", pa.Table.from_pandas(rfm, preserve_index=False))

    def write(self, name: str, table: pa.Table) -> None:
        self.connection.register("result", table)
        self.connection.execute(f"create table {name} as select * from result")
        self.connection.unregister("result")

    def rfm(self) -> pa.Table:
        return self.ordered("fct_customer_rfm", cl.RFM_INPUT_COLUMNS)

    def ordered(self, name: str, columns: str = "*") -> pa.Table:
        return cl.read_ordered(self.connection.table(name), columns)

    def whole(self, name: str) -> pa.Table:
        return self.connection.table(name).to_arrow_table()

    def frame(self, name: str) -> pd.DataFrame:
        keys = ", ".join(KEYS[name])
        return self.connection.table(name).order(keys).df()


def run_all(rfm: pd.DataFrame, settings: cl.ClusteringSettings = SETTINGS) -> dict:
    """Every output, keyed by model name, each in key order."""
    tables = Tables(rfm)
    for name, step in STEPS:
        tables.write(name, step(tables, settings))
    return {name: tables.frame(name) for name, _ in STEPS}


def measured(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows that are not notes (a store or k too small for the model)."""
    return frame[frame["note"].isna()]


@pytest.fixture(scope="module")
def two_stores() -> pd.DataFrame:
    return pd.concat([blobs("shop_a", 200, 1), blobs("shop_b", 120, 2)], ignore_index=True)


@pytest.fixture(scope="module")
def outputs(two_stores) -> dict:
    return run_all(two_stores)


def features_of(rfm: pd.DataFrame, **overrides):
    """The first store's features as ml_cluster_features holds them."""
    tables = Tables(rfm)
    for name, step in STEPS[:2]:
        tables.write(name, step(tables, settings(**overrides)))
    return read_features(tables.ordered("ml_cluster_features"))[0]


# --- settings --------------------------------------------------------------------------------


def test_settings_read_vars_and_reject_bad_values():
    config = {
        **vars(settings()),
        "cluster_k": "auto",
        "cluster_seed": "3",
        "mixture_components": "4",
        "cluster_k_max": "8",
        "cluster_outliers": "FLAG",
    }
    parsed = cl.ClusteringSettings.from_config(config)
    assert (parsed.cluster_k, parsed.cluster_seed, parsed.mixture_components) == ("auto", 3, 4)
    assert (parsed.cluster_k_max, parsed.cluster_outliers) == (8, "flag")
    assert cl.ClusteringSettings.from_config({**config, "cluster_k": 5.0}).cluster_k == 5
    with pytest.raises(ValueError, match="var cluster_k must be an integer or `auto`, got 'five'"):
        cl.ClusteringSettings.from_config({**config, "cluster_k": "five"})
    with pytest.raises(ValueError, match="var cluster_k must be `auto` or a number from"):
        cl.ClusteringSettings.from_config({**config, "cluster_k": 12})
    with pytest.raises(ValueError, match="cluster_fit_sample_size must be at least"):
        cl.ClusteringSettings.from_config({**config, "cluster_fit_sample_size": 10})
    with pytest.raises(ValueError, match="var cluster_outliers must be one of `clip`, `flag`"):
        cl.ClusteringSettings.from_config({**config, "cluster_outliers": "drop"})
    without_seed = {name: value for name, value in config.items() if name != "cluster_seed"}
    with pytest.raises(
        ValueError, match=r"_clustering__models.yml lacks the var\(s\) cluster_seed"
    ):
        cl.ClusteringSettings.from_config(without_seed)


# --- features --------------------------------------------------------------------------------


def test_transform_reproduces_the_features(two_stores, outputs):
    transform = outputs["ml_cluster_feature_transform"]
    assert len(transform) == 6 and set(transform["feature"]) == set(FEATURES)
    features = outputs["ml_cluster_features"].merge(two_stores, on=["store_id", "customer_id"])
    for _, row in transform.iterrows():
        in_store = features[features["store_id"] == row["store_id"]]
        logged = np.clip(np.log1p(in_store[row["feature"]]), row["log_lower"], row["log_upper"])
        z = (logged - row["log_mean"]) / row["log_std"]
        column = {"recency_days": "z_recency", "frequency": "z_frequency"}.get(
            row["feature"], "z_monetary"
        )
        np.testing.assert_allclose(z, in_store[column], atol=1e-12)
        assert np.isclose(row["lower_bound"], np.expm1(row["log_lower"]))
        assert row["median"] == pytest.approx(in_store[row["feature"]].median())
    # ml_customer_clusters shows the features it was clustered on.
    clusters = outputs["ml_customer_clusters"]
    for column in ("z_recency", "z_frequency", "z_monetary", "is_outlier"):
        assert (clusters[column] == outputs["ml_cluster_features"][column]).all()


def test_clip_bounds_the_features_and_flag_leaves_outliers_out_of_the_fit():
    rfm = blobs(per_group=100)
    rfm.loc[0, "monetary"] = 1e7  # one wild spender
    clipped = features_of(rfm, cluster_outliers="clip")
    flagged = features_of(rfm, cluster_outliers="flag")
    assert clipped.is_outlier[0] and flagged.is_outlier[0]
    # Clipped: the spender sits on the upper bound; the z scores are standardised.
    assert clipped.z[0, 2] == pytest.approx(clipped.z[:, 2].max())
    assert clipped.z.mean(axis=0) == pytest.approx(np.zeros(3), abs=1e-9)
    # Flagged: the value is kept (far out), mean and std come from the others, no fit on it.
    assert flagged.z[0, 2] > clipped.z[0, 2] + 3
    assert 0 not in flagged.fit_index and 0 in clipped.fit_index
    kept = np.delete(flagged.z, np.flatnonzero(flagged.is_outlier), axis=0)
    assert kept.mean(axis=0) == pytest.approx(np.zeros(3), abs=1e-9)


def test_bad_input_stops_with_a_clear_message():
    rfm = blobs(per_group=5)
    with pytest.raises(ValueError, match="lacks column"):
        cl.feature_transform(rfm.drop(columns="monetary"), SETTINGS)
    with pytest.raises(ValueError, match="more than one row"):
        cl.feature_transform(pd.concat([rfm, rfm.head(1)]), SETTINGS)
    bad = rfm.copy()
    bad.loc[3, "monetary"] = 0
    with pytest.raises(ValueError, match="monetary > 0"):
        cl.feature_transform(bad, SETTINGS)


# --- metrics ---------------------------------------------------------------------------------


def test_silhouettes_equal_scikit_learn():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 3))
    label_sets = [rng.integers(0, k, size=700) for k in (2, 3, 7)]
    label_sets.append(np.r_[np.zeros(699, int), 1])  # a singleton cluster scores 0
    ours = silhouettes(x, label_sets)
    expected = [silhouette_score(x, labels) for labels in label_sets]
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert np.isnan(silhouettes(x, [np.zeros(700, int)])[0])


def test_adjusted_rand_index_equals_scikit_learn():
    rng = np.random.default_rng(4)
    left = rng.integers(0, 5, size=2000)
    right = np.where(rng.random(2000) < 0.7, left, rng.integers(0, 4, size=2000))
    assert adjusted_rand_index(left, right) == pytest.approx(adjusted_rand_score(left, right))
    assert adjusted_rand_index(left, left) == pytest.approx(1.0)


def test_stored_mixture_scores_as_scikit_learn():
    rng = np.random.default_rng(5)
    z = np.vstack([rng.normal(loc, 1.0, size=(300, 3)) for loc in (-3, 0, 3)])
    model = GaussianMixture(3, covariance_type="full", random_state=0).fit(z)
    stored = MixtureFit(model.weights_, model.means_, model.precisions_cholesky_, model.bic(z))
    back = MixtureFit.from_rows(pa.table(stored.columns()))
    np.testing.assert_allclose(back.probabilities(z), model.predict_proba(z), atol=1e-12)


def test_nearest_centre_is_scikit_learns_predict():
    rng = np.random.default_rng(6)
    z = np.vstack([rng.normal(loc, 1.0, size=(5000, 3)) for loc in (-2, 0, 2)])
    for k in (2, 5, 9):
        model = KMeans(n_clusters=k, n_init=1, random_state=k).fit(z[::7])
        stored = KMeansFit.from_rows(pa.table(KMeansFit(model.cluster_centers_).columns()))
        assert (stored.labels(z) == model.predict(z)).all()


# --- each fit done once ----------------------------------------------------------------------


def counting(estimator: type, fits: list[str]) -> type:
    """`estimator` that records each of its fits in `fits`."""

    class Counted(estimator):
        def fit(self, *args, **kwargs):
            fits.append(estimator.__name__)
            return super().fit(*args, **kwargs)

    return Counted


def test_each_model_is_fitted_once_and_applied_from_its_table(two_stores, monkeypatch):
    fits: list[str] = []
    monkeypatch.setattr(_kmeans, "KMeans", counting(KMeans, fits))
    monkeypatch.setattr(_mixture, "GaussianMixture", counting(GaussianMixture, fits))
    config = settings(cluster_k=4, cluster_k_min=3, cluster_k_max=6, mixture_components=5)
    run_all(two_stores, config)
    # Per store: K-Means at k = 3..6 (4 and 5 among them), the mixture at k = 3..6; no
    # model fits again what the fits tables hold.
    assert (fits.count("KMeans"), fits.count("GaussianMixture")) == (2 * 4, 2 * 4)


# --- k selection and clusters ----------------------------------------------------------------


def test_k_selection_has_one_row_per_store_and_k_and_finds_the_three_groups(outputs):
    table = outputs["ml_cluster_k_selection"]
    assert sorted(table["store_id"].unique()) == ["shop_a", "shop_b"]
    assert table["note"].isna().all()
    for _, rows in table.groupby("store_id"):
        assert rows["k"].tolist() == list(range(2, 11))
        assert rows["is_chosen"].sum() == rows["is_best_silhouette"].sum() == 1
        assert rows.loc[rows["is_chosen"], "k"].item() == 3  # auto: best silhouette
        assert rows["inertia"].is_monotonic_decreasing
    assert table["silhouette"].between(-1, 1).all()
    assert (table["davies_bouldin"] >= 0).all() and (table["calinski_harabasz"] > 0).all()
    assert table["mixture_bic"].notna().all()


def test_fixed_k_is_used(two_stores):
    result = run_all(two_stores, settings(cluster_k=4, cluster_seed=7, mixture_components=3))
    table = result["ml_cluster_k_selection"]
    assert table.loc[table["is_chosen"], "k"].tolist() == [4, 4]
    clusters = result["ml_customer_clusters"]
    assert (clusters["k"] == 4).all()
    assert (clusters["cluster_id"] == clusters["cluster_id_k4"]).all()


def test_every_customer_is_clustered_once_and_finds_the_groups(two_stores, outputs):
    clusters = outputs["ml_customer_clusters"]
    assert len(clusters) == len(two_stores)
    assert not clusters.duplicated(["store_id", "customer_id"]).any()
    merged = clusters.merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        assert adjusted_rand_score(rows["truth"], rows["cluster_id"]) == pytest.approx(1.0)
    assert (clusters["cluster_id"] < clusters["k"]).all()
    assert clusters["cluster_id_k4"].between(0, 3).all()
    assert clusters["cluster_id_k5"].between(0, 4).all()


def test_cluster_ids_are_ordered_by_value_and_labelled(two_stores, outputs):
    merged = outputs["ml_customer_clusters"].merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        by_cluster = rows.groupby("cluster_id")["truth"].agg(lambda s: s.mode()[0])
        assert by_cluster.tolist() == ["best", "new", "lapsed"]  # value order, best first
        labels = rows.groupby("cluster_id")["cluster_label"].first().tolist()
        # Equal-sized groups put the store's median recency on the new customers, so they do
        # not count as recent; the rules themselves are tested on their own below.
        assert labels[0] == "high value" and labels[2].startswith("lapsed low value")
        assert len(set(labels)) == 3
        score = rows[["z_recency", "z_frequency", "z_monetary"]] @ VALUE_SIGN
        assert score.groupby(rows["cluster_id"]).mean().is_monotonic_decreasing


def test_labels_follow_the_centroid_rules():
    medians = np.array([60.0, 2.0, 500.0])
    high = np.array([9.0, 4000.0])
    centroids = [
        (10, 12, 6000),  # recent, very frequent and big spending
        (20, 4, 1200),  # recent, frequent, big spending
        (20, 4, 300),  # recent, frequent, small spend
        (15, 1, 200),  # recent, one order
        (15, 1, 2000),  # recent, one big order
        (200, 5, 2000),  # lapsed, frequent, big spending
        (200, 4, 300),  # lapsed, frequent
        (200, 1, 100),  # lapsed, one small order
        (250, 1, 90),  # the same again: numbered
    ]
    assert cl.label_clusters(np.array(centroids, dtype=float), medians, high) == [
        "top value",
        "high value",
        "loyal low spend",
        "new",
        "new big spender",
        "at risk high value",
        "at risk",
        "lapsed low value (1)",
        "lapsed low value (2)",
    ]


def test_same_input_in_any_row_order_gives_the_same_clusters(two_stores, outputs):
    shuffled = two_stores.sample(frac=1.0, random_state=11).reset_index(drop=True)
    again = run_all(shuffled)
    for name, frame in outputs.items():
        pd.testing.assert_frame_equal(frame, again[name], check_exact=False, rtol=1e-9)


def test_thread_count_does_not_change_the_result(two_stores, outputs):
    with threadpool_limits(limits=2):
        again = run_all(two_stores)
    for name in ("ml_customer_clusters", "ml_cluster_k_selection", "ml_customer_mixture"):
        pd.testing.assert_frame_equal(outputs[name], again[name])


def test_fits_use_the_seeded_samples():
    config = settings(
        cluster_k=3,
        cluster_seed=7,
        cluster_fit_sample_size=1000,
        mixture_fit_sample_size=1000,
        cluster_silhouette_sample_size=50,
    )
    big = pd.concat(
        [blobs("shop", 600, 5), blobs("other", 10, 6).assign(store_id="shop", customer_id="x")]
    ).drop_duplicates(["store_id", "customer_id"])
    result = run_all(big, config)
    table = result["ml_cluster_k_selection"]
    assert (table["fit_sample_customers"] == 1000).all()
    assert (table["silhouette_sample_customers"] == 50).all()
    assert (table["customers"] == len(big)).all()
    features = result["ml_cluster_features"]
    assert features["in_fit_sample"].sum() == 1000 and features["in_silhouette_sample"].sum() == 50
    # Another seed draws other samples (and may find other local optima), the same seed not.
    assert run_all(big, config)["ml_cluster_k_selection"].equals(table)


# --- small stores ----------------------------------------------------------------------------


def test_a_store_too_small_for_a_k_says_so_in_rows_and_the_log(two_stores, caplog):
    tiny = blobs("tiny", per_group=2, seed=9).head(4)  # 4 customers
    single = blobs("single", per_group=1, seed=9).head(2)  # 2 customers: no usable k
    rfm = pd.concat([two_stores, tiny, single], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="retail_warehouse.clustering"):
        result = run_all(rfm, settings(cluster_k=5, cluster_seed=7, mixture_components=5))
    table = result["ml_cluster_k_selection"].set_index("store_id")
    assert measured(table.loc[["tiny"]])["k"].tolist() == [2, 3]
    notes = table.loc["tiny"].dropna(subset=["note"])
    assert notes["k"].tolist() == list(range(4, 11))
    assert notes["note"].str.contains("too small for k = .*4 distinct customer").all()
    assert not table.loc[["tiny"], "is_chosen"].isna().any()
    assert table.loc[["single"], "note"].notna().all()  # every k, none measured
    clusters = result["ml_customer_clusters"].set_index("store_id")
    assert (clusters.loc["tiny", "k"] == 3).all()  # 5 is not usable: the largest usable k
    assert clusters.loc["tiny", "cluster_id_k4"].isna().all()
    assert (clusters.loc["single", "k"] == 1).all()
    assert (clusters.loc["single", "cluster_label"] == "all customers").all()
    mixture = result["ml_customer_mixture"].set_index("store_id")
    assert (mixture.loc["tiny", "components"] == 3).all()
    assert (mixture.loc["single", "components"] == 1).all()
    assert len(result["ml_customer_clusters"]) == len(result["ml_customer_mixture"]) == len(rfm)
    crosstab = result["ml_cluster_segment_crosstab"]
    tiny_crosstab = crosstab[crosstab["store_id"] == "tiny"]
    assert tiny_crosstab["k"].tolist() == [4, 5] and tiny_crosstab["note"].notna().all()
    assert measured(crosstab[crosstab["store_id"] == "shop_a"]).shape[0] > 0
    profiles = result["ml_cluster_profiles"]
    tiny_notes = profiles[(profiles["store_id"] == "tiny") & profiles["note"].notna()]
    assert tiny_notes["k"].tolist() == [4, 5]
    agreement = result["ml_cluster_agreement"]
    assert set(agreement.loc[agreement["note"].notna(), "partition_a"]) == {
        "kmeans_k4",
        "kmeans_k5",
    }
    logged = [r.getMessage() for r in caplog.records]
    assert any("store 'tiny' has 4 distinct customer(s)" in m and "k = 4, 5" in m for m in logged)
    assert any("ml_customer_clusters: store 'single' is too small" in m for m in logged)


def test_an_empty_input_gives_empty_outputs(two_stores):
    result = run_all(two_stores.head(0))
    assert all(len(frame) == 0 for frame in result.values())


# --- mixture, profiles, crosstab, agreement --------------------------------------------------


def test_mixture_probabilities_sum_to_one_and_name_the_component(two_stores, outputs):
    mixture = outputs["ml_customer_mixture"]
    assert len(mixture) == len(two_stores)
    probabilities = np.vstack(mixture["probabilities"].to_numpy())
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert (probabilities.argmax(axis=1) == mixture["component"]).all()
    np.testing.assert_allclose(probabilities.max(axis=1), mixture["membership_probability"])
    merged = mixture.merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        assert adjusted_rand_score(rows["truth"], rows["component"]) > 0.95
    # The BIC the k-selection shows is the stored fit's.
    fits = outputs["ml_cluster_mixture_fits"].groupby(["store_id", "k"])["bic"].first()
    k_selection = outputs["ml_cluster_k_selection"].set_index(["store_id", "k"])["mixture_bic"]
    pd.testing.assert_series_equal(fits, k_selection, check_names=False)


def test_profiles_add_up_and_report_original_units(two_stores, outputs):
    profiles = outputs["ml_cluster_profiles"]
    assert not profiles.duplicated(["store_id", "method", "k", "cluster_id"]).any()
    assert set(profiles["method"]) == {"kmeans", "gaussian_mixture"}
    assert sorted(profiles.loc[profiles["method"] == "kmeans", "k"].unique()) == [3, 4, 5]
    revenue = two_stores.groupby("store_id")["monetary"].sum()
    customers = two_stores.groupby("store_id").size()
    for (store, _, _), rows in profiles.groupby(["store_id", "method", "k"]):
        assert rows["customers"].sum() == customers[store]
        assert rows["revenue"].sum() == pytest.approx(revenue[store])
        assert rows["share_of_customers"].sum() == pytest.approx(1)
        assert rows["share_of_revenue"].sum() == pytest.approx(1)
    best = profiles[(profiles["method"] == "kmeans") & (profiles["k"] == 3)]
    first = best[best["cluster_id"] == 0].iloc[0]
    # The best group's centroid is near its centre in days, orders and money.
    assert first["centroid_recency_days"] == pytest.approx(5, rel=0.25)
    assert first["centroid_frequency"] == pytest.approx(40, rel=0.1)
    assert first["centroid_monetary"] == pytest.approx(4000, rel=0.1)


def test_crosstab_covers_every_cell_and_adds_up(two_stores, outputs):
    crosstab = outputs["ml_cluster_segment_crosstab"]
    assert set(crosstab["k"]) == {4, 5}
    for (store, k), rows in crosstab.groupby(["store_id", "k"]):
        assert len(rows) == k * 2  # every cluster x segment, empty cells included
        assert rows["customers"].sum() == (two_stores["store_id"] == store).sum()
        assert rows["share_of_store_revenue"].sum() == pytest.approx(1)
        per_cluster = rows.groupby("cluster_id")["share_of_cluster_customers"].sum()
        assert np.allclose(per_cluster, 1)


def test_agreement_compares_every_pair(outputs):
    agreement = outputs["ml_cluster_agreement"]
    assert len(agreement) == 2 * 15
    row = agreement[
        (agreement["store_id"] == "shop_a")
        & (agreement["partition_a"] == "kmeans")
        & (agreement["partition_b"] == "gaussian_mixture")
    ]
    assert row["adjusted_rand_index"].item() == pytest.approx(1.0)
    assert agreement["adjusted_rand_index"].between(-1, 1).all()


def test_model_outputs_must_hold_every_customer(two_stores, outputs):
    clusters = pa.Table.from_pandas(outputs["ml_customer_clusters"], preserve_index=False)
    mixture = pa.Table.from_pandas(outputs["ml_customer_mixture"], preserve_index=False)
    with pytest.raises(ValueError, match="ml_customer_clusters does not hold every customer"):
        cl.segment_crosstab(two_stores, clusters.slice(1))
    shuffled = pa.Table.from_pandas(clusters.to_pandas().sample(frac=1.0, random_state=1))
    crosstab = cl.segment_crosstab(two_stores, shuffled).to_pandas()
    expected = outputs["ml_cluster_segment_crosstab"]
    ordered = crosstab.sort_values(KEYS["ml_cluster_segment_crosstab"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(ordered.drop(columns="note"), expected.drop(columns="note"))
    with pytest.raises(ValueError, match="ml_customer_mixture"):
        cl.cluster_agreement(two_stores, clusters, mixture.slice(0, 10))


# --- real structure: the generator's customer types -------------------------------------------

FEED_RFM_SQL = """
with lines as (
    select distinct
        replace(customer_id, '.0', '') as customer_id,
        cast(purchase_time as timestamp) as ordered_at,
        cast(unit_price as double) * cast(item_count as integer) as amount
    from read_csv(?, all_varchar = true, header = true)
    where coalesce(customer_id, '') <> '' and cast(unit_price as double) > 0
),
orders as (
    select customer_id, ordered_at, sum(amount) as amount from lines group by all
),
as_of as (select cast(max(ordered_at) as date) + 1 as as_of_date from orders)
select
    'ecommerce' as store_id,
    customer_id,
    date_diff('day', cast(max(ordered_at) as date), any_value(as_of_date)) as recency_days,
    count(*) as frequency,
    sum(amount) as monetary,
    'segment' as segment,
    'group' as marketing_group
from orders cross join as_of
group by customer_id
"""


def test_kmeans_recovers_the_generators_customer_types(tmp_path):
    gen.generate(rows=60_000, customers=12_000, items=8_000, seed=5, out_dir=tmp_path)
    with duckdb.connect() as connection:
        rfm = connection.execute(FEED_RFM_SQL, [str(tmp_path / "sales_*.csv")]).df()
        truth = connection.execute(
            "select cast(customer_id as varchar) as customer_id, customer_type from read_csv(?)",
            [str(tmp_path / "customer_types.csv")],
        ).df()
    clusters = run_all(rfm, settings(cluster_k=5, cluster_seed=42))["ml_customer_clusters"]
    merged = clusters.merge(truth, on="customer_id", validate="one_to_one")
    # A customer whose every line had its price zeroed (dirty rows) has nothing to score.
    assert len(merged) == len(rfm) > 0.99 * len(truth)
    ari = adjusted_rand_score(merged["customer_type"], merged["cluster_id"])
    print(f"adjusted Rand index against the generator's types: {ari:.3f}")
    assert ari >= 0.8
    # The most valuable cluster is the loyal customers, the least valuable the one-off buyers.
    top = merged.loc[merged["cluster_id"] == 0, "customer_type"].mode()[0]
    bottom = merged.loc[merged["cluster_id"] == 4, "customer_type"].mode()[0]
    assert (top, bottom) == ("loyal", "one_off")

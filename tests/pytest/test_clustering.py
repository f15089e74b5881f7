"""Tests of the clustering package (retail_warehouse.clustering and .clustering_features).

Every test builds its own data: small RFM tables with known groups, a store too small for some k,
and a generated e-commerce feed whose customer types are known (the ARI >= 0.8 test).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from datagen import ecommerce as gen
from retail_warehouse import clustering as cl
from retail_warehouse import clustering_features as cf

CONFIG = cl.ClusteringConfig(k=None, seed=7, mixture_components=3)

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


def run_all(rfm: pd.DataFrame, config: cl.ClusteringConfig = CONFIG) -> dict:
    """Every output, chained the way the dbt models chain them."""
    k_table = cl.k_selection(rfm, config)
    clusters = cl.customer_clusters(rfm, k_table, config)
    mixture = cl.customer_mixture(rfm, k_table, config)
    return {
        "transform": cl.feature_transform(rfm, config.outliers, config.clip_quantile),
        "k_selection": k_table,
        "clusters": clusters.to_pandas(),
        "mixture": mixture.to_pandas(),
        "profiles": cl.cluster_profiles(rfm, clusters, mixture, config),
        "crosstab": cl.segment_crosstab(rfm, clusters),
        "agreement": cl.cluster_agreement(rfm, clusters, mixture),
    }


@pytest.fixture(scope="module")
def two_stores() -> pd.DataFrame:
    return pd.concat([blobs("shop_a", 200, 1), blobs("shop_b", 120, 2)], ignore_index=True)


@pytest.fixture(scope="module")
def outputs(two_stores) -> dict:
    return run_all(two_stores)


# --- features --------------------------------------------------------------------------------


def test_transform_reproduces_the_features(two_stores, outputs):
    transform = outputs["transform"]
    assert len(transform) == 6 and set(transform["feature"]) == set(cf.FEATURES)
    clusters = outputs["clusters"].merge(two_stores, on=["store_id", "customer_id"])
    for _, row in transform.iterrows():
        in_store = clusters[clusters["store_id"] == row["store_id"]]
        logged = np.clip(np.log1p(in_store[row["feature"]]), row["log_lower"], row["log_upper"])
        z = (logged - row["log_mean"]) / row["log_std"]
        column = {"recency_days": "z_recency", "frequency": "z_frequency"}.get(
            row["feature"], "z_monetary"
        )
        np.testing.assert_allclose(z, in_store[column], atol=1e-12)
        assert np.isclose(row["lower_bound"], np.expm1(row["log_lower"]))


def test_clip_bounds_the_features_and_flag_leaves_outliers_out_of_the_fit():
    rfm = blobs(per_group=100)
    rfm.loc[0, "monetary"] = 1e7  # one wild spender
    clipped = cf.prepare_features(rfm, "clip", 0.99)[0]
    flagged = cf.prepare_features(rfm, "flag", 0.99)[0]
    assert clipped.is_outlier[0] and flagged.is_outlier[0]
    # Clipped: the spender sits on the upper bound; the z scores are standardised.
    assert clipped.z[0, 2] == pytest.approx(clipped.z[:, 2].max())
    assert clipped.z.mean(axis=0) == pytest.approx(np.zeros(3), abs=1e-9)
    # Flagged: the value is kept (far out), mean and std come from the others, no fit on it.
    assert flagged.z[0, 2] > clipped.z[0, 2] + 3
    assert not flagged.fit_mask[0] and clipped.fit_mask[0]
    kept = flagged.z[flagged.fit_mask]
    assert kept.mean(axis=0) == pytest.approx(np.zeros(3), abs=1e-9)


def test_bad_input_stops_with_a_clear_message():
    rfm = blobs(per_group=5)
    with pytest.raises(ValueError, match="lacks column"):
        cf.prepare_features(rfm.drop(columns="monetary"))
    with pytest.raises(ValueError, match="more than one row"):
        cf.prepare_features(pd.concat([rfm, rfm.head(1)]))
    bad = rfm.copy()
    bad.loc[3, "monetary"] = 0
    with pytest.raises(ValueError, match="monetary > 0"):
        cf.prepare_features(bad)
    with pytest.raises(ValueError, match="cluster_outliers"):
        cf.prepare_features(rfm, "drop")


def test_config_reads_vars_and_rejects_bad_values():
    config = cl.ClusteringConfig.from_settings(
        {"cluster_k": "auto", "cluster_seed": "3", "mixture_components": 4, "cluster_k_max": "8"}
    )
    assert (config.k, config.seed, config.mixture_components, config.k_max) == (None, 3, 4, 8)
    assert cl.ClusteringConfig.from_settings(None) == cl.ClusteringConfig()
    assert cl.ClusteringConfig.from_settings({"cluster_k": 5.0}).k == 5
    with pytest.raises(ValueError, match="cluster_k must be `auto` or an integer"):
        cl.ClusteringConfig.from_settings({"cluster_k": "five"})
    with pytest.raises(ValueError, match="cluster_k must be `auto` or a number from"):
        cl.ClusteringConfig.from_settings({"cluster_k": 12})
    with pytest.raises(ValueError, match="cluster_fit_sample_size must be at least"):
        cl.ClusteringConfig.from_settings({"cluster_fit_sample_size": 10})


# --- metrics ---------------------------------------------------------------------------------


def test_silhouettes_equal_scikit_learn():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(700, 3))
    label_sets = [rng.integers(0, k, size=700) for k in (2, 3, 7)]
    label_sets.append(np.r_[np.zeros(699, int), 1])  # a singleton cluster scores 0
    ours = cl.silhouettes(x, label_sets)
    expected = [silhouette_score(x, labels) for labels in label_sets]
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert np.isnan(cl.silhouettes(x, [np.zeros(700, int)])[0])


def test_adjusted_rand_index_equals_scikit_learn():
    rng = np.random.default_rng(4)
    left = rng.integers(0, 5, size=2000)
    right = np.where(rng.random(2000) < 0.7, left, rng.integers(0, 4, size=2000))
    assert cl.adjusted_rand_index(left, right) == pytest.approx(adjusted_rand_score(left, right))
    assert cl.adjusted_rand_index(left, left) == pytest.approx(1.0)


def test_mixture_probabilities_equal_scikit_learn():
    rng = np.random.default_rng(5)
    z = np.vstack([rng.normal(loc, 1.0, size=(300, 3)) for loc in (-3, 0, 3)])
    model = GaussianMixture(3, covariance_type="full", random_state=0).fit(z)
    np.testing.assert_allclose(
        cl.mixture_probabilities(model, z), model.predict_proba(z), atol=1e-12
    )


# --- k selection and clusters ----------------------------------------------------------------


def test_k_selection_has_one_row_per_store_and_k_and_finds_the_three_groups(outputs):
    table = outputs["k_selection"]
    assert sorted(table["store_id"].unique()) == ["shop_a", "shop_b"]
    for _, rows in table.groupby("store_id"):
        assert rows["k"].tolist() == list(range(2, 11))
        assert rows["is_chosen"].sum() == rows["is_best_silhouette"].sum() == 1
        assert rows.loc[rows["is_chosen"], "k"].item() == 3  # auto: best silhouette
        assert rows["inertia"].is_monotonic_decreasing
    assert table["silhouette"].between(-1, 1).all()
    assert (table["davies_bouldin"] >= 0).all() and (table["calinski_harabasz"] > 0).all()
    assert table["mixture_bic"].notna().all()


def test_fixed_k_is_used(two_stores):
    config = cl.ClusteringConfig(k=4, seed=7, mixture_components=3)
    table = cl.k_selection(two_stores, config)
    assert table.loc[table["is_chosen"], "k"].tolist() == [4, 4]
    clusters = cl.customer_clusters(two_stores, table, config).to_pandas()
    assert (clusters["k"] == 4).all()
    assert (clusters["cluster_id"] == clusters["cluster_id_k4"]).all()


def test_every_customer_is_clustered_once_and_finds_the_groups(two_stores, outputs):
    clusters = outputs["clusters"]
    assert len(clusters) == len(two_stores)
    assert not clusters.duplicated(["store_id", "customer_id"]).any()
    merged = clusters.merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        assert adjusted_rand_score(rows["truth"], rows["cluster_id"]) == pytest.approx(1.0)
    assert (clusters["cluster_id"] < clusters["k"]).all()
    assert clusters["cluster_id_k4"].between(0, 3).all()
    assert clusters["cluster_id_k5"].between(0, 4).all()


def test_cluster_ids_are_ordered_by_value_and_labelled(two_stores, outputs):
    merged = outputs["clusters"].merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        by_cluster = rows.groupby("cluster_id")["truth"].agg(lambda s: s.mode()[0])
        assert by_cluster.tolist() == ["best", "new", "lapsed"]  # value order, best first
        labels = rows.groupby("cluster_id")["cluster_label"].first().tolist()
        # Equal-sized groups put the store's median recency on the new customers, so they do
        # not count as recent; the rules themselves are tested on their own below.
        assert labels[0] == "high value" and labels[2].startswith("lapsed low value")
        assert len(set(labels)) == 3
        score = rows[["z_recency", "z_frequency", "z_monetary"]] @ cl.VALUE_SIGN
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
    pd.testing.assert_frame_equal(outputs["clusters"], again["clusters"])
    pd.testing.assert_frame_equal(outputs["k_selection"], again["k_selection"])


def test_fits_use_the_seeded_samples(two_stores):
    config = cl.ClusteringConfig(
        k=3, seed=7, fit_sample_size=1000, mixture_sample_size=1000, silhouette_sample_size=50
    )
    big = pd.concat(
        [blobs("shop", 600, 5), blobs("other", 10, 6).assign(store_id="shop", customer_id="x")]
    ).drop_duplicates(["store_id", "customer_id"])
    table = cl.k_selection(big, config)
    assert (table["fit_sample_customers"] == 1000).all()
    assert (table["silhouette_sample_customers"] == 50).all()
    assert (table["customers"] == len(big)).all()
    # Another seed draws other samples (and may find other local optima), the same seed not.
    assert cl.k_selection(big, config).equals(table)


# --- small stores ----------------------------------------------------------------------------


def test_a_tiny_store_skips_the_k_values_it_cannot_hold(two_stores):
    tiny = blobs("tiny", per_group=2, seed=9).head(4)  # 4 customers
    single = blobs("single", per_group=1, seed=9).head(2)  # 2 customers: no usable k
    rfm = pd.concat([two_stores, tiny, single], ignore_index=True)
    config = cl.ClusteringConfig(k=5, seed=7, mixture_components=5)
    result = run_all(rfm, config)
    table = result["k_selection"]
    assert table.loc[table["store_id"] == "tiny", "k"].tolist() == [2, 3]
    assert "single" not in set(table["store_id"])
    clusters = result["clusters"].set_index("store_id")
    assert (clusters.loc["tiny", "k"] == 3).all()  # 5 is not usable: the largest usable k
    assert clusters.loc["tiny", "cluster_id_k4"].isna().all()
    assert (clusters.loc["single", "k"] == 1).all()
    assert (clusters.loc["single", "cluster_label"] == "all customers").all()
    mixture = result["mixture"].set_index("store_id")
    assert (mixture.loc["tiny", "components"] == 3).all()
    assert (mixture.loc["single", "components"] == 1).all()
    assert len(result["clusters"]) == len(result["mixture"]) == len(rfm)
    crosstab_stores = set(result["crosstab"]["store_id"])
    assert "tiny" not in crosstab_stores and "shop_a" in crosstab_stores


def test_an_empty_input_gives_empty_outputs(two_stores):
    result = run_all(two_stores.head(0))
    assert all(len(frame) == 0 for frame in result.values())


# --- mixture, profiles, crosstab, agreement --------------------------------------------------


def test_mixture_probabilities_sum_to_one_and_name_the_component(two_stores, outputs):
    mixture = outputs["mixture"]
    assert len(mixture) == len(two_stores)
    probabilities = np.vstack(mixture["probabilities"].to_numpy())
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert (probabilities.argmax(axis=1) == mixture["component"]).all()
    np.testing.assert_allclose(probabilities.max(axis=1), mixture["membership_probability"])
    merged = mixture.merge(two_stores, on=["store_id", "customer_id"])
    for _, rows in merged.groupby("store_id"):
        assert adjusted_rand_score(rows["truth"], rows["component"]) > 0.95


def test_profiles_add_up_and_report_original_units(two_stores, outputs):
    profiles = outputs["profiles"]
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
    crosstab = outputs["crosstab"]
    assert set(crosstab["k"]) == {4, 5}
    for (store, k), rows in crosstab.groupby(["store_id", "k"]):
        assert len(rows) == k * 2  # every cluster x segment, empty cells included
        assert rows["customers"].sum() == (two_stores["store_id"] == store).sum()
        assert rows["share_of_store_revenue"].sum() == pytest.approx(1)
        per_cluster = rows.groupby("cluster_id")["share_of_cluster_customers"].sum()
        assert np.allclose(per_cluster, 1)


def test_agreement_compares_every_pair(outputs):
    agreement = outputs["agreement"]
    assert len(agreement) == 2 * 15
    row = agreement[
        (agreement["store_id"] == "shop_a")
        & (agreement["partition_a"] == "kmeans")
        & (agreement["partition_b"] == "gaussian_mixture")
    ]
    assert row["adjusted_rand_index"].item() == pytest.approx(1.0)
    assert agreement["adjusted_rand_index"].between(-1, 1).all()


def test_model_outputs_must_hold_every_customer(two_stores, outputs):
    k_table = outputs["k_selection"]
    clusters = cl.customer_clusters(two_stores, k_table, CONFIG)
    mixture = cl.customer_mixture(two_stores, k_table, CONFIG)
    with pytest.raises(ValueError, match="ml_customer_clusters does not hold every customer"):
        cl.segment_crosstab(two_stores, clusters.slice(1))
    shuffled = pa.Table.from_pandas(clusters.to_pandas().sample(frac=1.0, random_state=1))
    assert cl.segment_crosstab(two_stores, shuffled).equals(outputs["crosstab"])
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
    sum(amount) as monetary
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
    config = cl.ClusteringConfig(k=5, seed=42)
    clusters = cl.customer_clusters(rfm, cl.k_selection(rfm, config), config).to_pandas()
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

"""Recommendations on small data whose right answer is known.

Two obvious co-purchase groups (garden items G1-G4, kitchen items K1-K4, each bought in sets of
three by their own six customers) and a few customers who test the edges: one who has half of
a group, a cold-start customer whose only purchase is an item nobody else bought, and
customers without a segment or a country.
"""

import threading
import time
import warnings
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

from retail_warehouse import recommendations as rec

GARDEN = ["G1", "G2", "G3", "G4"]
KITCHEN = ["K1", "K2", "K3", "K4"]


def _group_buyers(prefix: str, items: list[str]) -> list[tuple[str, str]]:
    """Six customers, each buying a different three of the four items (some twice over)."""
    rows = []
    for n, left_out in enumerate([0, 1, 2, 3, 0, 1]):
        customer = f"{prefix}{n}"
        rows += [(customer, item) for i, item in enumerate(items) if i != left_out]
    return rows


def _interactions() -> pd.DataFrame:
    rows = (
        _group_buyers("g", GARDEN)
        + _group_buyers("k", KITCHEN)
        + [("half", "G3"), ("half", "G4")]  # has half the garden group
        + [("cold", "RARE")]  # a single purchase of an item nobody else bought
        + [("nosegment", "RARE2"), ("nothing", "RARE3")]
    )
    frame = pd.DataFrame(rows, columns=["customer_id", "item_id"])
    frame["orders"] = 1 + (frame.index % 2)
    frame.insert(0, "store_id", "shop")
    return frame


def _customers() -> pd.DataFrame:
    interactions = _interactions()
    ids = interactions["customer_id"].unique()
    frame = pd.DataFrame({"store_id": "shop", "customer_id": ids})
    # Garden buyers (and the cold customer) are one segment, kitchen buyers another.
    frame["segment"] = np.where(frame["customer_id"].str.startswith("k"), "Kitchen", "Garden")
    frame["country"] = np.where(frame["customer_id"].str.startswith("k"), "Spain", "France")
    frame.loc[frame["customer_id"] == "nosegment", "segment"] = None
    frame.loc[frame["customer_id"] == "nosegment", "country"] = "Spain"
    frame.loc[frame["customer_id"] == "nothing", ["segment", "country"]] = None
    return frame


def _settings(**overrides) -> rec.Settings:
    base = {
        "algorithm": "item_cosine",
        "n_similar": 3,
        "n_recommendations": 3,
        "min_item_customers": 2,
        "factors": 4,
        "iterations": 20,
    }
    return rec.Settings(**{**base, **overrides})


def _frame(table: pa.Table) -> pd.DataFrame:
    """An output table as pandas, its dictionary-encoded ids as plain strings."""
    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names).to_pandas()


def _recs_of(recs: pd.DataFrame, customer: str) -> pd.DataFrame:
    return recs[recs["customer_id"] == customer].sort_values("recommendation_rank")


@pytest.mark.parametrize("algorithm", ["item_cosine", "bm25", "als"])
def test_similar_items_are_the_rest_of_the_items_group(algorithm):
    similarity = _frame(rec.item_similarity(_interactions(), _settings(algorithm=algorithm)))

    for group in (GARDEN, KITCHEN):
        for item in group:
            neighbours = similarity[similarity["item_id"] == item]
            assert sorted(neighbours["similar_item_id"]) == sorted(set(group) - {item}), item
            assert neighbours["similar_item_rank"].tolist() == [1, 2, 3]
    # Items bought by fewer customers than the history line are left out altogether.
    assert not similarity["item_id"].str.startswith("RARE").any()
    assert not similarity["similar_item_id"].str.startswith("RARE").any()


def test_a_customer_with_half_a_group_gets_the_other_half_first():
    recs = _frame(rec.recommend(_interactions(), _customers(), _settings()))

    half = _recs_of(recs, "half")
    assert set(half["item_id"].head(2)) == {"G1", "G2"}
    assert half["source"].head(2).tolist() == ["item_cosine", "item_cosine"]
    # The third is no garden item (all bought or recommended): the segment fallback fills it.
    assert half["source"].iloc[2] == "segment_popular"
    assert half["recommendation_rank"].tolist() == [1, 2, 3]


def test_cold_start_customers_get_the_fallbacks_in_order():
    recs = _frame(rec.recommend(_interactions(), _customers(), _settings()))

    cold = _recs_of(recs, "cold")  # segment Garden: the garden items, most bought first
    assert cold["source"].tolist() == ["segment_popular"] * 3
    assert set(cold["item_id"]) <= set(GARDEN)
    assert cold["item_id"].tolist() == ["G3", "G4", "G1"]  # 6, 6, 4 buyers; ties by item id

    no_segment = _recs_of(recs, "nosegment")  # no segment, country Spain: kitchen items
    assert no_segment["source"].tolist() == ["country_popular"] * 3
    assert set(no_segment["item_id"]) <= set(KITCHEN)

    nothing = _recs_of(recs, "nothing")  # neither: overall popularity
    assert nothing["source"].tolist() == ["overall_popular"] * 3
    assert nothing["item_id"].tolist() == ["G3", "G4", "K3"]  # 6, 6, 5 buyers


@pytest.mark.parametrize("algorithm", rec.ALGORITHMS)
def test_every_customer_gets_n_new_items_ranked_without_gaps(algorithm):
    interactions = _interactions()
    recs = _frame(rec.recommend(interactions, _customers(), _settings(algorithm=algorithm)))

    assert set(recs["customer_id"]) == set(interactions["customer_id"])
    ranks = recs.groupby("customer_id")["recommendation_rank"].agg(list)
    assert all(r == [1, 2, 3] for r in ranks)
    bought = set(zip(interactions["customer_id"], interactions["item_id"], strict=True))
    recommended = set(zip(recs["customer_id"], recs["item_id"], strict=True))
    assert not bought & recommended
    assert not recs.duplicated(["customer_id", "item_id"]).any()


def test_scores_do_not_rise_with_the_rank_within_a_source():
    recs = _frame(rec.recommend(_interactions(), _customers(), _settings(n_recommendations=6)))
    recs = recs.sort_values(["customer_id", "recommendation_rank"])
    order = recs["source"].map({source: i for i, source in enumerate(rec.SOURCES)})
    same = (recs["customer_id"] == recs["customer_id"].shift()) & (order == order.shift())
    assert (recs["score"][same] <= recs["score"].shift()[same]).all()
    next_customer = recs["customer_id"] != recs["customer_id"].shift()
    assert ((order >= order.shift()) | next_customer).all()


@pytest.fixture(autouse=True)
def _no_shared_fits(monkeypatch):
    """Each test starts with no fit left over from another (`rec._shared_fit`)."""
    monkeypatch.setattr(rec, "_SHARED", {})


@pytest.mark.parametrize("algorithm", ["item_cosine", "als", "bpr"])
def test_the_same_seed_gives_the_same_recommendations(algorithm, monkeypatch):
    settings = _settings(algorithm=algorithm)
    first = _frame(rec.recommend(_interactions(), _customers(), settings))
    monkeypatch.setattr(rec, "_SHARED", {})  # fit again rather than reuse the first fit
    second = _frame(
        rec.recommend(_interactions().sample(frac=1, random_state=1), _customers(), settings)
    )
    pd.testing.assert_frame_equal(first, second)


def test_ranking_metrics_on_a_hand_checked_case():
    # Recommended a, b, c, d (and f, past k); the customer went on to buy b, d, e and f.
    recommended = pd.DataFrame(
        {"customer_id": "c", "recommendation_rank": [1, 2, 3, 4, 5], "item_id": list("abcdf")}
    )
    relevant = pd.DataFrame({"customer_id": "c", "item_id": list("bdef")})
    metrics = rec.ranking_metrics(recommended, relevant, k=4).iloc[0]

    assert metrics["precision"] == pytest.approx(2 / 4)
    assert metrics["recall"] == pytest.approx(2 / 4)
    assert metrics["ap"] == pytest.approx((1 / 2 + 2 / 4) / 4)
    dcg = 1 / np.log2(3) + 1 / np.log2(5)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4) + 1 / np.log2(5)
    assert metrics["ndcg"] == pytest.approx(dcg / ideal)
    assert metrics["hit"] == 1.0


def _purchases() -> pd.DataFrame:
    """Group buyers buy two items of their group in January and the others in March."""
    rows = []
    for prefix, items in (("g", GARDEN), ("k", KITCHEN)):
        for n in range(8):
            customer = f"{prefix}{n}"
            first = [items[n % 4], items[(n + 1) % 4]]
            later = [item for item in items if item not in first]
            rows += [(customer, item, f"{customer}-1", "2021-01-10") for item in first]
            rows += [(customer, item, f"{customer}-2", "2021-03-20") for item in later]
    frame = pd.DataFrame(rows, columns=["customer_id", "item_id", "order_id", "ordered_at"])
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"])
    frame.insert(0, "store_id", "shop")
    return frame


def test_time_split_keeps_only_new_items_after_the_cutoff():
    purchases = _purchases()
    purchases.loc[len(purchases)] = ["shop", "g0", "G1", "g0-3", pd.Timestamp("2021-03-21")]
    train, test, cutoff = rec.time_split(purchases, holdout_days=30)

    assert cutoff == pd.Timestamp("2021-02-20")
    assert len(train) == 32 and set(train["orders"]) == {1}
    # g0 bought G1 before the cut-off: buying it again is not a new item.
    assert sorted(test.loc[test["customer_id"] == "g0", "item_id"]) == ["G3", "G4"]


def test_evaluation_ranks_the_item_model_above_popularity():
    customers = pd.DataFrame(
        {"store_id": "shop", "customer_id": [f"{p}{n}" for p in "gk" for n in range(8)]}
    )
    customers["segment"] = np.where(customers["customer_id"].str[0] == "g", "Garden", "Kitchen")
    settings = _settings(n_recommendations=2)
    table = _frame(
        rec.evaluate(
            _purchases(), customers, settings, 30, 2, algorithms=["popularity", "item_cosine"]
        )
    )
    overall = table[table["segment"] == rec.OVERALL].set_index("algorithm")

    # Every customer's two missing items are the two neighbours of what they have.
    assert overall.loc["item_cosine", "precision_at_k"] == pytest.approx(1.0)
    assert overall.loc["item_cosine", "ndcg_at_k"] == pytest.approx(1.0)
    assert overall.loc["item_cosine", "catalog_coverage"] == pytest.approx(1.0)
    assert overall.loc["popularity", "ndcg_at_k"] < 1.0
    assert overall.loc["item_cosine", "customers"] == 16
    assert overall.loc["item_cosine", "is_default"]
    assert set(table["segment"]) == {rec.OVERALL, "Garden", "Kitchen"}


def test_settings_come_from_dbt_config_text_and_unknown_values_are_named():
    settings = rec.settings_from_config(
        {"rec_algorithm": "bm25", "rec_customer_items": "7", "rec_regularization": "0.1"}
    )
    assert (settings.algorithm, settings.n_recommendations) == ("bm25", 7)
    assert settings.regularization == pytest.approx(0.1)
    options = rec.eval_options(
        {"rec_eval_algorithms": "['popularity', 'als']", "rec_eval_max_customers": "None"}
    )
    assert options == {"algorithms": ["popularity", "als"]}

    with pytest.raises(ValueError, match="rec_algorithm: unknown algorithm 'knn'"):
        rec.settings_from_config({"rec_algorithm": "knn"})
    with pytest.raises(ValueError, match="rec_customer_items: expected int"):
        rec.settings_from_config({"rec_customer_items": "ten"})


def test_a_tiny_store_gives_empty_tables_rather_than_an_error():
    # One customer who bought the whole catalogue: nothing to recommend, nothing to evaluate.
    interactions = pd.DataFrame(
        {"store_id": "shop", "customer_id": "c", "item_id": ["a", "b"], "orders": 1}
    )
    purchases = interactions.assign(order_id="o", ordered_at=pd.Timestamp("2021-01-01"))

    assert rec.recommend(interactions, None, _settings()).num_rows == 0
    assert rec.item_similarity(interactions, _settings()).num_rows == 0
    table = rec.evaluate(purchases, None, _settings(), 30, 10)
    assert table.num_rows == 0 and table.column_names == rec.EVAL_COLUMNS


def test_top_per_row_ranks_by_score_then_the_lower_column():
    # Row 0 has negative, zero and positive scores and a tie at 2.0; row 1 one negative entry.
    rows = np.array([0, 0, 0, 0, 0, 1])
    cols = np.array([1, 2, 3, 4, 5, 0])
    scores = np.array([-0.5, 2.0, -3.0, 2.0, 0.0, -1.0], dtype=np.float32)

    r, c, s, rank = rec._top_per_row(rows, cols, scores, 4)

    assert r.tolist() == [0, 0, 0, 0, 1]
    assert c.tolist() == [2, 4, 5, 1, 0]
    assert s.tolist() == [2.0, 2.0, 0.0, -0.5, -1.0]
    assert rank.tolist() == [1, 2, 3, 4, 1]


def _counting_fits(monkeypatch, pause: float = 0.0) -> list[str]:
    """Records the algorithm of every `_fit`, optionally slowed down."""
    fits, real_fit = [], rec._fit

    def fit(store, algorithm, settings):
        fits.append(algorithm)
        time.sleep(pause)
        return real_fit(store, algorithm, settings)

    monkeypatch.setattr(rec, "_fit", fit)
    return fits


def test_similar_items_and_recommendations_share_one_fit(monkeypatch):
    fits = _counting_fits(monkeypatch)
    settings = _settings(algorithm="als")

    rec.item_similarity(_interactions(), settings)
    rec.recommend(_interactions().sample(frac=1, random_state=2), _customers(), settings)
    assert fits == ["als"]  # the same rows in another order: the same fit
    # Both have had it, so it is gone: the next call fits again, as do other settings.
    rec.recommend(_interactions(), _customers(), settings)
    rec.item_similarity(_interactions(), replace(settings, seed=7))
    assert fits == ["als", "als", "als"]
    assert len(rec._SHARED) == 2


def test_models_running_at_once_wait_for_one_fit(monkeypatch):
    fits = _counting_fits(monkeypatch, pause=0.5)
    settings = _settings(algorithm="als")
    results = {}
    threads = [
        threading.Thread(
            target=lambda: results.update(similar=rec.item_similarity(_interactions(), settings))
        ),
        threading.Thread(
            target=lambda: results.update(
                recs=rec.recommend(_interactions(), _customers(), settings)
            )
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert fits == ["als"]
    assert results["similar"].num_rows and results["recs"].num_rows
    assert not rec._SHARED


def test_a_warehouse_relation_gives_the_same_tables_as_a_dataframe(monkeypatch):
    settings = _settings(algorithm="als")
    from_frame = rec.recommend(_interactions(), _customers(), settings)
    monkeypatch.setattr(rec, "_SHARED", {})
    connection = duckdb.connect()
    relation = connection.from_df(_interactions())

    assert rec.recommend(relation, _customers(), settings).equals(from_frame)


def test_customer_profiles_keep_customers_without_a_segment():
    dim_customers = pd.DataFrame(
        {"store_id": "shop", "customer_id": ["a", "b"], "country": ["France", None], "x": 1}
    )
    customer_rfm = pd.DataFrame(
        {"store_id": ["shop", "other"], "customer_id": ["a", "b"], "segment": ["Champions", "Lost"]}
    )
    profiles = rec.customer_profiles(dim_customers, customer_rfm).to_pandas()
    profiles = profiles.sort_values("customer_id").reset_index(drop=True)

    assert profiles.columns.tolist() == ["store_id", "customer_id", "country", "segment"]
    assert profiles["segment"].tolist()[0] == "Champions"
    assert pd.isna(profiles["segment"].iloc[1])  # b's RFM row is another store's


def test_the_evaluation_sample_is_seeded_and_keeps_whole_customers():
    purchases = _purchases()  # 16 customers
    sample = rec.sample_customers(purchases, 5, seed=1).df()

    assert sample["customer_id"].nunique() == 5
    assert len(sample) == purchases["customer_id"].isin(sample["customer_id"]).sum()
    again = rec.sample_customers(purchases, 5, seed=1).df()
    assert set(again["customer_id"]) == set(sample["customer_id"])
    other_seed = rec.sample_customers(purchases, 5, seed=2).df()
    assert set(other_seed["customer_id"]) != set(sample["customer_id"])
    assert len(rec.sample_customers(purchases, 16, seed=1).df()) == len(purchases)


def test_a_sampled_evaluation_keeps_the_stores_cut_off(monkeypatch):
    purchases = _purchases()
    # The store's last purchase, by a customer left out of the sample below.
    purchases.loc[len(purchases)] = ["shop", "late", "G1", "late-1", pd.Timestamp("2021-04-15")]
    real_sample = rec.sample_customers
    monkeypatch.setattr(
        rec,
        "sample_customers",
        lambda lines, n, seed: real_sample(lines, n, seed).filter("customer_id <> 'late'"),
    )
    table = _frame(rec.evaluate(purchases, None, _settings(), 30, 2, ["popularity"], 10))

    # 30 days before the day after 2021-04-15, not after the sample's last day (2021-03-20).
    assert (table["cutoff_at"] == pd.Timestamp("2021-03-17")).all()
    assert table["customers"].max() <= 10


def test_implicits_csr_conversion_warning_is_off_outside_any_context():
    """dbt runs two models at once: a filter scoped to one call (catch_warnings) is undone
    for the other thread when the first call ends, so the filter must hold everywhere."""
    from implicit.nearest_neighbours import CosineRecommender

    purchases = sp.coo_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.float32))
    rec.item_similarity(_interactions(), _settings(algorithm="item_cosine"))  # in _quiet
    with warnings.catch_warnings(record=True) as caught:
        CosineRecommender(K=2).fit(purchases, show_progress=False)  # outside it
    assert not [w for w in caught if "CSR input" in str(w.message)]

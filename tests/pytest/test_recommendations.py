"""Recommendations on small data whose right answer is known.

Two obvious co-purchase groups (garden items G1-G4, kitchen items K1-K4, each bought in sets of
three by their own six customers) and a few customers who test the edges: one who has half of
a group, a cold-start customer whose only purchase is an item nobody else bought, and
customers without a segment or a country.
"""

import logging
import warnings

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

from retail_warehouse import recommendations as rec
from retail_warehouse.labels import ALL_CUSTOMERS
from retail_warehouse.recommendations import _factors, _neighbours
from retail_warehouse.recommendations._ranking import top_per_row
from retail_warehouse.settings import settings_from_project

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


def _settings(**overrides) -> rec.RecommendationSettings:
    small = {
        "rec_algorithm": "item_cosine",
        "rec_similar_items": 3,
        "rec_customer_items": 3,
        "rec_min_item_customers": 2,
        "rec_factors": 4,
        "rec_iterations": 20,
    }
    return settings_from_project(rec.RecommendationSettings, **{**small, **overrides})


def _relation(frame) -> duckdb.DuckDBPyRelation:
    """A frame or table as a table of a DuckDB connection, as dbt hands a model its refs."""
    connection = duckdb.connect()
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame)
    connection.register("frame", table)
    connection.execute("create table t as select * from frame")
    return connection.table("t")


def _fit(interactions, settings) -> duckdb.DuckDBPyRelation:
    """ml_recommendation_fit, stored as a table."""
    return _relation(rec.recommendation_fit(interactions, settings))


def _similar(interactions, settings) -> pa.Table:
    return rec.item_similarity(_fit(interactions, settings), settings)


def _recommend(interactions, customers, settings, returns=None) -> pa.Table:
    return rec.recommend(interactions, _fit(interactions, settings), customers, returns, settings)


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
    similarity = _frame(_similar(_interactions(), _settings(rec_algorithm=algorithm)))

    for group in (GARDEN, KITCHEN):
        for item in group:
            neighbours = similarity[similarity["item_id"] == item]
            assert sorted(neighbours["similar_item_id"]) == sorted(set(group) - {item}), item
            assert neighbours["similar_item_rank"].tolist() == [1, 2, 3]
    # Items bought by fewer customers than the history line are left out altogether.
    assert not similarity["item_id"].str.startswith("RARE").any()
    assert not similarity["similar_item_id"].str.startswith("RARE").any()


def test_a_customer_with_half_a_group_gets_the_other_half_first():
    recs = _frame(_recommend(_interactions(), _customers(), _settings()))

    half = _recs_of(recs, "half")
    assert set(half["item_id"].head(2)) == {"G1", "G2"}
    assert half["source"].head(2).tolist() == ["item_cosine", "item_cosine"]
    # The third is no garden item (all bought or recommended): the segment fallback fills it.
    assert half["source"].iloc[2] == "segment_popular"
    assert half["recommendation_rank"].tolist() == [1, 2, 3]


def test_cold_start_customers_get_the_fallbacks_in_order():
    recs = _frame(_recommend(_interactions(), _customers(), _settings()))

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
    recs = _frame(_recommend(interactions, _customers(), _settings(rec_algorithm=algorithm)))

    assert set(recs["customer_id"]) == set(interactions["customer_id"])
    ranks = recs.groupby("customer_id")["recommendation_rank"].agg(list)
    assert all(r == [1, 2, 3] for r in ranks)
    bought = set(zip(interactions["customer_id"], interactions["item_id"], strict=True))
    recommended = set(zip(recs["customer_id"], recs["item_id"], strict=True))
    assert not bought & recommended
    assert not recs.duplicated(["customer_id", "item_id"]).any()


def test_scores_do_not_rise_with_the_rank_within_a_source():
    recs = _frame(_recommend(_interactions(), _customers(), _settings(rec_customer_items=6)))
    recs = recs.sort_values(["customer_id", "recommendation_rank"])
    order = recs["source"].map({source: i for i, source in enumerate(rec.SOURCES)})
    same = (recs["customer_id"] == recs["customer_id"].shift()) & (order == order.shift())
    assert (recs["score"][same] <= recs["score"].shift()[same]).all()
    next_customer = recs["customer_id"] != recs["customer_id"].shift()
    assert ((order >= order.shift()) | next_customer).all()


@pytest.mark.parametrize("algorithm", ["item_cosine", "als", "bpr"])
def test_the_same_seed_gives_the_same_recommendations(algorithm):
    settings = _settings(rec_algorithm=algorithm)
    first = _frame(_recommend(_interactions(), _customers(), settings))
    second = _frame(
        _recommend(_interactions().sample(frac=1, random_state=1), _customers(), settings)
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


def _purchase_customers() -> pd.DataFrame:
    customers = pd.DataFrame(
        {"store_id": "shop", "customer_id": [f"{p}{n}" for p in "gk" for n in range(8)]}
    )
    customers["segment"] = np.where(customers["customer_id"].str[0] == "g", "Garden", "Kitchen")
    return customers


def test_evaluation_ranks_the_item_model_above_popularity():
    settings = _settings(
        rec_customer_items=2,
        rec_eval_k=2,
        rec_eval_algorithms=["popularity", "item_cosine"],
        rec_eval_min_customers=10,
    )
    table = _frame(rec.evaluate(_purchases(), _purchase_customers(), None, settings))
    overall = table[table["segment"] == ALL_CUSTOMERS].set_index("algorithm")

    # Every customer's two missing items are the two neighbours of what they have.
    assert overall.loc["item_cosine", "precision_at_k"] == pytest.approx(1.0)
    assert overall.loc["item_cosine", "ndcg_at_k"] == pytest.approx(1.0)
    assert overall.loc["item_cosine", "catalog_coverage"] == pytest.approx(1.0)
    assert overall.loc["popularity", "ndcg_at_k"] < 1.0
    assert overall.loc["item_cosine", "customers"] == 16
    assert overall.loc["item_cosine", "is_default"]
    assert set(table["segment"]) == {ALL_CUSTOMERS, "Garden", "Kitchen"}
    assert table["note"].isna().all()  # 16 customers, at least rec_eval_min_customers


def test_a_small_or_unevaluable_store_says_so(caplog):
    settings = _settings(
        rec_eval_k=2, rec_eval_algorithms=["popularity"], rec_eval_min_customers=20
    )
    # A second store where nobody buys anything new after the cut-off: nothing to predict.
    early = _purchases().assign(store_id="early")
    early = early[early["ordered_at"] < "2021-02-01"]
    early.loc[len(early)] = ["early", "g0", "G1", "again", pd.Timestamp("2021-03-01")]
    # A third whose history before the cut-off (2021-02-19) is four days long.
    fresh = _purchases().assign(store_id="fresh")
    fresh["ordered_at"] = fresh["ordered_at"].replace(
        pd.Timestamp("2021-01-10"), pd.Timestamp("2021-02-15")
    )
    purchases = pd.concat([_purchases(), early, fresh], ignore_index=True)
    with caplog.at_level(logging.WARNING, logger="retail_warehouse.recommendations"):
        table = _frame(rec.evaluate(purchases, None, None, settings))

    shop = table[table["store_id"] == "shop"]
    assert shop["note"].str.contains("16 customers evaluated, fewer than").all()
    skipped = table[table["store_id"] == "early"]
    assert len(skipped) == 1 and skipped["algorithm"].isna().all()
    assert (
        skipped["note"].item()
        == "not evaluated: no purchase new to a customer on or after the cut-off 2021-01-31"
    )
    assert any("store 'early' not evaluated" in r.getMessage() for r in caplog.records)
    short = table.loc[table["store_id"] == "fresh", "note"]
    assert short.str.contains("; 4 day(s) of purchases before the cut-off", regex=False).all()


def test_settings_come_from_dbt_config_text_and_unknown_values_are_named():
    config = {**vars(_settings()), "rec_algorithm": "bm25", "rec_customer_items": "7"}
    config |= {"rec_regularization": "0.1", "rec_eval_algorithms": "['popularity', 'als']"}
    settings = rec.RecommendationSettings.from_config({**config, "rec_eval_max_customers": "None"})
    assert (settings.rec_algorithm, settings.rec_customer_items) == ("bm25", 7)
    assert settings.rec_regularization == pytest.approx(0.1)
    assert settings.rec_eval_algorithms == ("popularity", "als")
    assert settings.rec_eval_max_customers is None

    with pytest.raises(ValueError, match="var rec_algorithm must be one of `popularity`"):
        rec.RecommendationSettings.from_config({**config, "rec_algorithm": "knn"})
    with pytest.raises(ValueError, match="var rec_customer_items must be an integer, got 'ten'"):
        rec.RecommendationSettings.from_config({**config, "rec_customer_items": "ten"})
    with pytest.raises(ValueError, match="var rec_eval_algorithms must be a list of one of"):
        rec.RecommendationSettings.from_config({**config, "rec_eval_algorithms": "['knn']"})


def test_a_single_item_catalogue_says_why_its_tables_are_empty(caplog):
    # One item, bought by every customer: no model, nothing to recommend, nothing to evaluate.
    interactions = pd.DataFrame(
        {"store_id": "shop", "customer_id": ["a", "b", "c"], "item_id": "only", "orders": 1}
    )
    purchases = interactions.assign(
        order_id=["o1", "o2", "o3"], ordered_at=pd.Timestamp("2021-01-01")
    )
    with caplog.at_level(logging.WARNING, logger="retail_warehouse.recommendations"):
        fit = _frame(rec.recommendation_fit(interactions, _settings()))
        similar = _frame(_similar(interactions, _settings()))
        recs = _frame(_recommend(interactions, None, _settings()))
        table = _frame(rec.evaluate(purchases, None, None, _settings()))

    for output in (fit, similar, recs):
        assert len(output) == 1 and output["note"].notna().all()
    assert fit["note"].item() == (
        "no model: 1 item(s) bought by at least rec_min_item_customers (2) customers, "
        "a model needs 2"
    )
    assert similar["note"].item() == fit["note"].item()
    assert recs["customer_id"].isna().all()
    assert "nothing to recommend" in recs["note"].item()
    assert "only the fallbacks recommend" in recs["note"].item()
    assert table["note"].item().startswith("not evaluated")
    logged = " | ".join(r.getMessage() for r in caplog.records)
    assert "ml_recommendation_fit: store 'shop' has no model" in logged
    assert "ml_customer_recommendations: store 'shop'" in logged


def test_top_per_row_ranks_by_score_then_the_lower_column():
    # Row 0 has negative, zero and positive scores and a tie at 2.0; row 1 one negative entry.
    rows = np.array([0, 0, 0, 0, 0, 1])
    cols = np.array([1, 2, 3, 4, 5, 0])
    scores = np.array([-0.5, 2.0, -3.0, 2.0, 0.0, -1.0], dtype=np.float32)

    r, c, s, rank = top_per_row(rows, cols, scores, 4)

    assert r.tolist() == [0, 0, 0, 0, 1]
    assert c.tolist() == [2, 4, 5, 1, 0]
    assert s.tolist() == [2.0, 2.0, 0.0, -0.5, -1.0]
    assert rank.tolist() == [1, 2, 3, 4, 1]


@pytest.mark.parametrize("algorithm", ["item_cosine", "als", "bpr"])
def test_the_fit_is_done_once_and_both_models_apply_its_table(algorithm, monkeypatch):
    fits = []
    for model in (_neighbours.NeighbourModel, _factors.FactorModel):
        real = model.fit
        monkeypatch.setattr(
            model, "fit", lambda self, m, _real=real: fits.append(1) or _real(self, m)
        )
    settings = _settings(rec_algorithm=algorithm)
    fit = _fit(_interactions(), settings)
    fitted = len(fits)
    similar = _frame(rec.item_similarity(fit, settings))
    recs = _frame(rec.recommend(_interactions(), fit, _customers(), None, settings))
    assert fitted >= 1 and len(fits) == fitted  # applying the fit fits nothing
    assert (
        similar["note"].isna().all() and len(recs) == 3 * _interactions()["customer_id"].nunique()
    )

    # What the models apply is the table: take G1's neighbours away and it has none.
    edited = fit.query(
        "fit",
        "select * replace (case when entity_id = 'G1' then [] else neighbour_indexes end"
        " as neighbour_indexes, case when entity_id = 'G1' then [] else neighbour_scores end"
        " as neighbour_scores) from fit",
    )
    if algorithm == "item_cosine":
        again = _frame(rec.item_similarity(edited, settings))
        assert "G1" in set(similar["item_id"]) and "G1" not in set(again["item_id"])


def test_a_stale_fit_is_refused():
    settings = _settings(rec_algorithm="als")
    fit = _fit(_interactions(), settings)
    with pytest.raises(ValueError, match=r"holds a als model .* rec_algorithm is bm25: rebuild it"):
        rec.item_similarity(fit, _settings(rec_algorithm="bm25"))
    other = _interactions()
    other.loc[len(other)] = ["shop", "k0", "G1", 1]  # G1 gets a buyer: the catalogue differs
    other.loc[len(other)] = ["shop", "new", "RARE", 1]  # RARE passes the history line
    with pytest.raises(ValueError, match="does not match int_customer_item_interactions"):
        rec.recommend(other, fit, _customers(), None, settings)


@pytest.mark.parametrize("algorithm", ["item_cosine", "als"])
def test_items_a_customer_returned_are_never_recommended_to_them(algorithm):
    settings = _settings(rec_algorithm=algorithm)
    before = _frame(_recommend(_interactions(), _customers(), settings))
    half = _recs_of(before, "half")["item_id"].tolist()
    cold = _recs_of(before, "cold")["item_id"].tolist()
    # `half` returned the first item the model picks for them, `cold` the first fallback,
    # without either purchase in the data.
    returns = pd.DataFrame(
        {"store_id": "shop", "customer_id": ["half", "cold"], "item_id": [half[0], cold[0]]}
    )
    after = _frame(_recommend(_interactions(), _customers(), settings, _relation(returns)))

    after_half = _recs_of(after, "half")["item_id"].tolist()
    after_cold = _recs_of(after, "cold")["item_id"].tolist()
    assert half[0] not in after_half and after_half[0] == half[1]
    assert cold[0] not in after_cold and after_cold[:2] == cold[1:] and len(after_cold) == 3
    # Nobody else's recommendations change.
    others = ~before["customer_id"].isin(["half", "cold"])
    pd.testing.assert_frame_equal(
        before[others].reset_index(drop=True),
        after[~after["customer_id"].isin(["half", "cold"])].reset_index(drop=True),
    )


def test_the_evaluation_leaves_out_items_returned_before_the_cut_off():
    settings = _settings(
        rec_eval_k=2, rec_eval_algorithms=["item_cosine"], rec_eval_min_customers=1
    )
    returns = pd.DataFrame(
        {
            "store_id": "shop",
            "customer_id": ["g0", "g1"],
            "item_id": ["G3", "G4"],
            "first_returned_at": pd.to_datetime(["2021-01-15", "2021-03-25"]),
        }
    )
    plain = _frame(rec.evaluate(_purchases(), _purchase_customers(), None, settings))
    returned = _frame(
        rec.evaluate(_purchases(), _purchase_customers(), _relation(returns), settings)
    )
    overall = ALL_CUSTOMERS
    # g0 returned G3 (which it goes on to buy) before the cut-off: it is not recommended, and
    # one hit is lost; g1's return comes after the cut-off and changes nothing.
    plain_hits = plain.loc[plain["segment"] == overall, "precision_at_k"].item() * 16 * 2
    returned_hits = returned.loc[returned["segment"] == overall, "precision_at_k"].item() * 16 * 2
    assert round(plain_hits) - round(returned_hits) == 1


def test_a_warehouse_relation_gives_the_same_tables_as_a_dataframe():
    settings = _settings(rec_algorithm="als")
    from_frame = _recommend(_interactions(), _customers(), settings)
    relation = _relation(_interactions())

    assert _recommend(relation, _customers(), settings).equals(from_frame)


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
    from retail_warehouse.recommendations import _evaluation

    purchases = _purchases()
    # The store's last purchase, by a customer left out of the sample below.
    purchases.loc[len(purchases)] = ["shop", "late", "G1", "late-1", pd.Timestamp("2021-04-15")]
    real_sample = _evaluation.sample_customers
    monkeypatch.setattr(
        _evaluation,
        "sample_customers",
        lambda lines, n, seed: real_sample(lines, n, seed).filter("customer_id <> 'late'"),
    )
    settings = _settings(
        rec_eval_k=2, rec_eval_algorithms=["popularity"], rec_eval_max_customers=10
    )
    table = _frame(rec.evaluate(purchases, None, None, settings))

    # 30 days before the day after 2021-04-15, not after the sample's last day (2021-03-20).
    assert (table["cutoff_at"] == pd.Timestamp("2021-03-17")).all()
    assert table["customers"].max() <= 10


def test_implicits_csr_conversion_warning_is_off_outside_any_context():
    """dbt runs two models at once: a filter scoped to one call (catch_warnings) is undone
    for the other thread when the first call ends, so the filter must hold everywhere."""
    from implicit.nearest_neighbours import CosineRecommender

    purchases = sp.coo_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.float32))
    rec.recommendation_fit(_interactions(), _settings(rec_algorithm="item_cosine"))  # in quiet
    with warnings.catch_warnings(record=True) as caught:
        CosineRecommender(K=2).fit(purchases, show_progress=False)  # outside it
    assert not [w for w in caught if "CSR input" in str(w.message)]

"""The prediction package: formulas against pymc-marketing, parameter recovery on simulated
BG/NBD customers with known parameters, and the table functions on small data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from datagen.btyd import BgNbdParameters, GammaGammaParameters, simulate
from retail_warehouse.predictions import (
    BgNbd,
    GammaGamma,
    PredictionSettings,
    customer_predictions,
    fit_bg_nbd,
    fit_gamma_gamma,
    prediction_eval,
)
from retail_warehouse.predictions.formulas import poisson_median
from retail_warehouse.settings import read_project_vars, settings_from_project

DEFAULTS = settings_from_project(PredictionSettings)
TRUE_PURCHASE = BgNbdParameters(r=0.6, alpha=40.0, a=0.8, b=2.5)
TRUE_SPEND = GammaGammaParameters(p=6.0, q=4.0, v=60.0)
PARAMETER_TOLERANCE = 0.15  # relative, at 30,000 customers (the estimates' spread is ~5%)
HOLDOUT_TOLERANCE = 0.03  # relative error of the expected holdout purchases in total


@pytest.fixture(scope="module")
def simulated():
    return simulate(30_000, TRUE_PURCHASE, TRUE_SPEND, holdout_days=90.0, seed=7)


@pytest.fixture(scope="module")
def fitted(simulated):
    s = simulated
    return (
        fit_bg_nbd(s.frequency.astype(float), s.recency, s.T),
        fit_gamma_gamma(s.frequency.astype(float), s.monetary_value),
    )


def test_bg_nbd_fit_recovers_the_parameters(fitted):
    purchase, _ = fitted
    assert purchase.is_converged, purchase.note
    for name, truth in vars(TRUE_PURCHASE).items():
        estimate = purchase.parameters[name]
        assert abs(estimate / truth - 1) < PARAMETER_TOLERANCE, (name, estimate, truth)


def test_gamma_gamma_fit_recovers_the_parameters(fitted):
    _, spend = fitted
    assert spend.is_converged, spend.note
    fitted_mean = GammaGamma(**spend.parameters).population_mean
    true_mean = TRUE_SPEND.p * TRUE_SPEND.v / (TRUE_SPEND.q - 1)
    # p, q and v trade off against each other; the mean they imply is what predictions use.
    assert abs(fitted_mean / true_mean - 1) < 0.05
    assert abs(spend.parameters["p"] / TRUE_SPEND.p - 1) < PARAMETER_TOLERANCE


def test_expected_holdout_purchases_match_the_simulated_ones(simulated, fitted):
    s, (purchase, _) = simulated, fitted
    model = BgNbd(**purchase.parameters)
    expected = model.expected_purchases(s.frequency.astype(float), s.recency, s.T, 90.0).sum()
    actual = s.holdout_purchases.sum()
    assert abs(expected / actual - 1) < HOLDOUT_TOLERANCE, (expected, actual)


def test_purchase_distribution_matches_the_simulated_holdout(simulated):
    # With the true parameters, the predicted number of customers with k holdout purchases
    # (the probabilities summed over customers) is what the simulation gives, and the median
    # splits the customers as a median should.
    s = simulated
    model = BgNbd(**vars(TRUE_PURCHASE))
    x, t_x, T = s.frequency.astype(float), s.recency, s.T
    probabilities = model.purchase_probabilities(x, t_x, T, 90.0, k_max=3)
    observed = np.bincount(np.minimum(s.holdout_purchases, 4), minlength=5)
    expected = np.append(probabilities.sum(axis=0), len(x) - probabilities.sum())
    np.testing.assert_allclose(expected, observed, rtol=0.05)
    median = model.median_purchases(x, t_x, T, 90.0)
    assert (s.holdout_purchases <= median).mean() >= 0.5
    assert (s.holdout_purchases >= median).mean() >= 0.5


def test_purchase_distribution_agrees_with_the_closed_forms():
    s = simulate(2_000, seed=5)
    model = BgNbd(r=0.7, alpha=35.0, a=0.9, b=3.0)
    x, t_x, T = s.frequency.astype(float), s.recency, s.T
    days = np.where(np.arange(len(x)) % 2 == 0, 30.0, 365.0)  # per customer, as the holdout
    probabilities = model.purchase_probabilities(x, t_x, T, days, k_max=400)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(
        probabilities @ np.arange(401), model.expected_purchases(x, t_x, T, days), rtol=1e-8
    )
    np.testing.assert_allclose(
        probabilities[:, 0], model.probability_no_purchase(x, t_x, T, days), rtol=1e-10
    )
    # The median is the first k whose cumulative probability reaches one half.
    cumulative = probabilities.cumsum(axis=1)
    np.testing.assert_array_equal(
        model.median_purchases(x, t_x, T, days), (cumulative < 0.5).sum(axis=1)
    )
    assert model.median_purchases(x, t_x, T, days).max() > 5  # the loop ran past k = 0 and 1


def test_poisson_median_is_the_middle_count():
    from scipy.stats import poisson

    means = np.array([0.0, 0.2, 0.69, 0.7, 1.0, 2.5, 10.0, 40.0])
    median = poisson_median(means)
    assert median[0] == 0
    assert np.all(poisson.cdf(median[1:], means[1:]) >= 0.5)
    assert np.all(poisson.cdf(median[1:] - 1, means[1:]) < 0.5)


def test_formulas_match_pymc_marketing():
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    s = simulate(300, seed=3)
    data = pd.DataFrame(
        {
            "customer_id": np.arange(300),
            "frequency": s.frequency,
            "recency": s.recency,
            "T": s.T,
            "monetary_value": np.where(s.frequency > 0, s.monetary_value, 1.0),
        }
    )
    params = {"r": 0.7, "alpha": 35.0, "a": 0.9, "b": 3.0}
    library = BetaGeoModel()
    library.build_model(data[["customer_id", "frequency", "recency", "T"]])
    library.idata = _one_draw(params)
    ours = BgNbd(**params)
    x, t_x, T = s.frequency.astype(float), s.recency, s.T
    np.testing.assert_allclose(
        ours.expected_purchases(x, t_x, T, 90.0),
        library.expected_purchases(future_t=90).values.ravel(),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        ours.probability_alive(x, t_x, T),
        library.expected_probability_alive().values.ravel(),
        rtol=1e-8,
    )
    # pymc-marketing 0.19.2 lets a customer without a repeat purchase drop out here, which its
    # own probability alive (1 for them) rules out; ours follows the latter, so compare x > 0.
    repeat = x > 0
    np.testing.assert_allclose(
        ours.probability_no_purchase(x, t_x, T, 30.0)[repeat],
        library.expected_probability_no_purchase(t=30).values.ravel()[repeat],
        rtol=1e-6,
    )
    spend_params = {"p": 5.0, "q": 3.0, "v": 50.0}
    spend_library = GammaGammaModel()
    spend_library.build_model(data[["customer_id", "frequency", "monetary_value"]])
    spend_library.idata = _one_draw(spend_params)
    np.testing.assert_allclose(
        GammaGamma(**spend_params).expected_order_value(x, data["monetary_value"].to_numpy()),
        spend_library.expected_customer_spend(data).values.ravel(),
        rtol=1e-10,
    )


def _one_draw(params: dict[str, float]):
    import arviz as az

    return az.from_dict(posterior={k: np.array([[v]]) for k, v in params.items()})


def test_a_store_that_cannot_be_fitted_gets_a_row_not_an_exception():
    fit = fit_bg_nbd(np.zeros(5), np.zeros(5), np.full(5, 10.0))
    assert not fit.is_converged
    assert "repeat purchase" in fit.note
    spend = fit_gamma_gamma(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
    assert not spend.is_converged


def _histories(rows: list[tuple]) -> pa.Table:
    names = [
        "store_id",
        "customer_id",
        "repeat_orders",
        "days_first_to_last",
        "tenure_days",
        "mean_repeat_value",
    ]
    return pa.table({n: [row[i] for row in rows] for i, n in enumerate(names)})


def _fit_rows(store_id: str, converged: bool = True) -> list[dict]:
    base = {"store_id": store_id, "fitted_on": "all", "is_converged": converged}
    return [
        {**base, "model": "bg_nbd", "r": 0.6, "alpha": 40.0, "a": 0.8, "b": 2.5},
        {**base, "model": "gamma_gamma", "p": 6.0, "q": 4.0, "v": 60.0},
    ]


def test_customer_predictions_leave_out_a_store_whose_fit_did_not_converge():
    histories = _histories(
        [
            ("a", "c1", 0, 0, 100, None),
            ("a", "c2", 3, 80, 100, 50.0),
            ("a", "c3", 2, 10, 200, 0.0),
            ("b", "c1", 1, 5, 10, 20.0),
        ]
    )
    fits = pd.DataFrame(_fit_rows("a") + _fit_rows("b", converged=False))
    result = customer_predictions(histories, fits, DEFAULTS).to_pandas()
    assert list(result["store_id"]) == ["a", "a", "a"]
    one_timer, repeater, zero_value = result.itertuples(index=False)
    # A one-time buyer and a repeater whose repeats are worth nothing get the store's mean.
    store_mean = GammaGamma(6.0, 4.0, 60.0).population_mean
    assert one_timer.expected_order_value == pytest.approx(store_mean)
    assert zero_value.expected_order_value == pytest.approx(store_mean)
    assert zero_value.order_value_basis == "store_mean"
    assert repeater.order_value_basis == "own_repeats"
    assert one_timer.probability_alive == 1.0
    # The recent repeater is the likeliest to buy; the one who stopped long ago the least.
    assert repeater.churn_probability < one_timer.churn_probability
    assert repeater.clv < repeater.expected_purchases * repeater.expected_order_value
    # The one-time buyer's likeliest-middle count is no purchase; the recent repeater's is not.
    assert one_timer.median_purchases == 0 < repeater.median_purchases


def test_prediction_eval_scores_each_predictor_per_segment():
    holdout = pd.DataFrame(
        {
            "store_id": ["s"] * 4,
            "customer_id": ["1", "2", "3", "4"],
            "predicted_purchases": [1.0, 0.0, 2.0, 1.0],
            "predicted_spend": [10.0, 0.0, 20.0, 10.0],
            "predicted_purchases_median": [1, 0, 3, 0],
            "predicted_spend_median": [10.0, 0.0, 30.0, 0.0],
            "historical_rate_purchases": [0.0, 0.0, 4.0, 2.0],
            "historical_rate_spend": [0.0, 0.0, 40.0, 20.0],
            "historical_rate_purchases_median": [0, 0, 4, 2],
            "historical_rate_spend_median": [0.0, 0.0, 40.0, 20.0],
            "actual_purchases": [1, 0, 3, 1],
            "actual_spend": [10.0, 0.0, 30.0, 10.0],
        }
    )
    segments = pd.DataFrame(
        {"store_id": ["s"] * 4, "customer_id": ["1", "2", "3", "4"], "segment": list("AABB")}
    )
    result = prediction_eval(holdout, segments).set_index(["segment", "predictor"])
    overall = result.loc[("(all customers)", "bg_nbd")]
    assert overall["purchases_mae"] == pytest.approx(0.25)
    assert overall["purchases_rmse"] == pytest.approx(0.5)
    assert overall["actual_purchases"] == 5
    # The segment mean predicts the mean of the historical rate over the segment: 0 and 3.
    assert result.loc[("B", "segment_mean"), "purchases_mae"] == pytest.approx(1.0)
    assert result.loc[("A", "segment_mean"), "purchases_mae"] == pytest.approx(0.5)
    assert np.isnan(result.loc[("B", "segment_mean"), "purchases_correlation"])
    assert result.loc[("(all customers)", "historical_rate"), "purchases_mae"] == pytest.approx(
        0.75
    )
    # Each predictor is scored on its own columns: the model's median misses customer 4's one.
    assert result.loc[("(all customers)", "bg_nbd_median"), "purchases_mae"] == pytest.approx(0.25)
    assert result.loc[("(all customers)", "bg_nbd_median"), "spend_mae"] == pytest.approx(2.5)
    assert result.loc[("(all customers)", "historical_rate_median"), "predicted_purchases"] == 6


def test_settings_name_the_var_they_reject():
    declared = read_project_vars()
    with pytest.raises(ValueError, match="clv_horizon_days"):
        PredictionSettings.from_config({**declared, "clv_horizon_days": "ninety"})
    with pytest.raises(ValueError, match="clv_discount_rate"):
        PredictionSettings.from_config({**declared, "clv_discount_rate": "1.5"})
    with pytest.raises(ValueError, match="lacks the var"):
        PredictionSettings.from_config({"clv_horizon_days": "30"})
    parsed = PredictionSettings.from_config({**declared, "clv_horizon_days": "30"})
    assert parsed.clv_horizon_days == 30


def _evidence(store_id: str, k: int, shares: list[float], buying: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store_id": store_id,
            "k": k,
            "cluster_id": range(k),
            "customer_share": shares,
            "holdout_buying_share": buying,
        }
    )


def test_auto_k_is_the_largest_k_with_workable_and_different_clusters():
    from retail_warehouse.clustering import ClusteringSettings
    from retail_warehouse.predictions import actionable_k
    from retail_warehouse.settings import settings_from_project

    k_selection = pd.DataFrame(
        {
            "store_id": ["s"] * 4 + ["t"] * 2,
            "k": [2, 3, 4, 5, 2, 3],
            "silhouette": [0.5, 0.4, 0.35, 0.3, 0.5, 0.4],
            "smallest_cluster_share": [0.4, 0.2, 0.15, 0.12, 0.4, 0.02],
            "is_chosen": [True, False, False, False, True, False],
        }
    )
    holdout = pd.concat(
        [
            _evidence("s", 2, [0.6, 0.4], [0.9, 0.1]),
            _evidence("s", 3, [0.4, 0.4, 0.2], [0.9, 0.5, 0.1]),
            _evidence("s", 4, [0.3, 0.3, 0.25, 0.15], [0.9, 0.5, 0.3, 0.1]),
            # k = 5: two clusters buy alike (0.30 and 0.32), so it does not pass.
            _evidence("s", 5, [0.2] * 5, [0.9, 0.5, 0.32, 0.3, 0.1]),
            # Store t: k = 3 has a 2% cluster, k = 2 clusters buy alike; it keeps k = 2.
            _evidence("t", 2, [0.5, 0.5], [0.31, 0.3]),
            _evidence("t", 3, [0.49, 0.49, 0.02], [0.9, 0.5, 0.1]),
        ]
    )
    settings = settings_from_project(
        ClusteringSettings, cluster_min_share=0.1, cluster_min_buying_gap=0.05
    )
    chosen = actionable_k(k_selection, holdout, settings).to_pandas()
    picked = chosen[chosen["is_chosen"]].set_index("store_id")["k"].to_dict()
    assert picked == {"s": 4, "t": 2}

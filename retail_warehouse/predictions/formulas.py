"""Closed forms of the BG/NBD and Gamma-Gamma models, on numpy arrays of customers.

Time is in days. ``x`` is the number of repeat purchases, ``t_x`` the days from the first
purchase to the last, ``T`` the days from the first purchase to the as-of date. These are
the formulas pymc-marketing's ``BetaGeoModel`` and ``GammaGammaModel`` use (Fader, Hardie and
Lee 2005 and 2013; tests/pytest/test_predictions.py checks them against the library), written
without xarray so that predicting needs only a model's four parameters from
``ml_clv_model_fit``, not the fitted model object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1
from scipy.stats import poisson

DAYS_PER_YEAR = 365.0
DISCOUNT_STEP_DAYS = 30.0  # CLV is discounted month by month


@dataclass(frozen=True)
class BgNbd:
    """Purchase rate ~ Gamma(r, rate alpha); dropout after each repeat purchase ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float

    def _odds_dead(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        # P(dropped at the last purchase) / P(still alive): 0 without a repeat purchase.
        repeat = x > 0
        odds = np.zeros(np.shape(x))
        xr = x[repeat]
        odds[repeat] = (
            self.a
            / (self.b + xr - 1)
            * ((self.alpha + T[repeat]) / (self.alpha + t_x[repeat])) ** (self.r + xr)
        )
        return odds

    def probability_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + self._odds_dead(x, t_x, T))

    def expected_purchases(
        self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
    ) -> np.ndarray:
        """Expected purchases in the next ``t`` days."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        horizon = alpha + T + t
        tail = ((alpha + T) / horizon) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / horizon)
        return (a + b + x - 1) / (a - 1) * (1.0 - tail) / (1.0 + self._odds_dead(x, t_x, T))

    def probability_no_purchase(
        self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float
    ) -> np.ndarray:
        """P(no purchase in the next ``t`` days): dead, or alive and the next purchase is later."""
        alive = self.probability_alive(x, t_x, T)
        wait = ((self.alpha + T) / (self.alpha + T + t)) ** (self.r + x)
        return 1.0 - alive + alive * wait

    def purchase_probabilities(
        self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float | np.ndarray, k_max: int
    ) -> np.ndarray:
        """P(exactly k purchases in the next ``t`` days) for k = 0 .. ``k_max``: one row per
        customer."""
        terms = _PurchaseTerms(self, x, t_x, T, t)
        columns = [terms.probability]
        for _ in range(k_max):
            terms.advance()
            columns.append(terms.probability)
        return np.stack(columns, axis=1)

    def median_purchases(
        self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: float | np.ndarray
    ) -> np.ndarray:
        """The median of the purchases in the next ``t`` days: the smallest k with
        P(at most k) >= 1/2. The point forecast with the least expected absolute error, where
        the mean (expected_purchases) has the least squared error."""
        terms = _PurchaseTerms(self, x, t_x, T, t)
        median = np.zeros(np.shape(x), dtype=np.int64)
        index = np.arange(median.size)
        cumulative = terms.probability
        while True:
            # Only the customers still below one half are carried on: most stop at 0 or 1.
            below = cumulative < 0.5
            if not below.any():
                return median
            index, cumulative = index[below], cumulative[below]
            terms.keep(below)
            terms.advance()
            cumulative = cumulative + terms.probability
            median[index] += 1

    def log_likelihood(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        common = (
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + x)
            - gammaln(b)
            - gammaln(a + b + x)
        )
        alive = -(r + x) * np.log(alpha + T)
        repeat = x > 0
        dead = np.full(np.shape(x), -np.inf)
        dead[repeat] = (
            np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
        )
        return float(np.sum(common + np.logaddexp(alive, dead)))


class _PurchaseTerms:
    """P(X = k | history) for k = 0, 1, 2, ..., one k at a time, for BG/NBD's purchases X in
    the next ``t`` days. A customer dead at T buys nothing. One alive at T has a rate
    lambda ~ Gamma(r + x, alpha + T) and a dropout probability p ~ Beta(a, b + x); given them,
    X = k when k purchases come and the customer survives the first k - 1, then either drops
    out at the k-th or makes no further purchase in time: E[(1 - p)^k] P(N = k) +
    E[p (1 - p)^(k - 1)] P(N >= k), with N negative binomial (lambda integrated out)."""

    def __init__(self, model: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t) -> None:
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), np.shape(x))
        self.k = 0
        self.a = model.a
        self.alive = model.probability_alive(x, t_x, T)
        self.shape = model.r + x
        self.b = model.b + x
        horizon = model.alpha + T + t
        self.log_ratio = np.log(t / horizon)
        self.log_count = self.shape * np.log((model.alpha + T) / horizon)  # log P(N = k)
        self.count_tail = np.ones(np.shape(x))  # P(N >= k)
        self.survival = np.ones(np.shape(x))  # E[(1 - p)^k] = B(a, b + k) / B(a, b)
        self.probability = 1.0 - self.alive + self.alive * np.exp(self.log_count)

    def keep(self, mask: np.ndarray) -> None:
        for name in ("alive", "shape", "b", "log_ratio", "log_count", "count_tail", "survival"):
            setattr(self, name, getattr(self, name)[mask])

    def advance(self) -> None:
        """From k to k + 1."""
        a, b, k = self.a, self.b, self.k
        # P(N >= k + 1); the subtraction can leave a rounding error below 0.
        self.count_tail = np.maximum(self.count_tail - np.exp(self.log_count), 0.0)
        drops_at_next = self.survival * a / (a + b + k)  # E[p (1 - p)^k]
        self.survival = self.survival * (b + k) / (a + b + k)
        self.log_count = self.log_count + np.log(self.shape + k) - np.log(k + 1) + self.log_ratio
        self.k = k + 1
        self.probability = self.alive * (
            self.survival * np.exp(self.log_count) + drops_at_next * self.count_tail
        )


def poisson_median(mean: np.ndarray) -> np.ndarray:
    """The median of a Poisson count with the given mean (0 for a mean of 0): a rate's own
    least-absolute-error forecast, to compare with the model's median like for like."""
    positive = mean > 0
    return np.where(positive, poisson.ppf(0.5, np.where(positive, mean, 1.0)), 0.0)


@dataclass(frozen=True)
class GammaGamma:
    """Purchase value ~ Gamma(p, rate nu), nu ~ Gamma(q, rate v) per customer."""

    p: float
    q: float
    v: float

    @property
    def population_mean(self) -> float:
        return self.p * self.v / (self.q - 1)

    def expected_order_value(self, x: np.ndarray, mean_value: np.ndarray) -> np.ndarray:
        """The customer's expected purchase value: their mean of ``x`` repeat purchases shrunk
        towards the population mean (which is all a customer without repeats gets)."""
        weight = self.p * x / (self.p * x + self.q - 1)
        return (1.0 - weight) * self.population_mean + weight * mean_value

    def log_likelihood(self, x: np.ndarray, mean_value: np.ndarray) -> float:
        p, q, v = self.p, self.q, self.v
        px = p * x
        return float(
            np.sum(
                gammaln(px + q)
                - gammaln(px)
                - gammaln(q)
                + q * np.log(v)
                + (px - 1) * np.log(mean_value)
                + px * np.log(x)
                - (px + q) * np.log(x * mean_value + v)
            )
        )


def discounted_value(
    purchases: BgNbd,
    order_value: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    horizon_days: float,
    annual_discount_rate: float,
) -> np.ndarray:
    """Expected revenue over the next ``horizon_days``, each month's purchases discounted to
    today at ``annual_discount_rate`` (0.1 = 10% a year)."""
    value = np.zeros(np.shape(x))
    previous = np.zeros(np.shape(x))
    ends = np.append(np.arange(DISCOUNT_STEP_DAYS, horizon_days, DISCOUNT_STEP_DAYS), horizon_days)
    for end in ends:
        cumulative = purchases.expected_purchases(x, t_x, T, float(end))
        discount = (1.0 + annual_discount_rate) ** (-end / DAYS_PER_YEAR)
        value += (cumulative - previous) * discount
        previous = cumulative
    return value * order_value

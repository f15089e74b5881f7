"""Closed forms of the BG/NBD and Gamma-Gamma models, on numpy arrays of customers.

Time is in days. ``x`` is the number of repeat purchase days, ``t_x`` the days from the first to
the last purchase day, ``T`` the days from the first purchase day to the as-of date. These are
the formulas pymc-marketing's ``BetaGeoModel`` and ``GammaGammaModel`` use (Fader, Hardie and
Lee 2005 and 2013; tests/pytest/test_predictions.py checks them against the library), written
without xarray so that predicting needs only a model's four parameters from
``ml_clv_model_fit``, not the fitted model object.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

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
        """Expected purchase days in the next ``t`` days."""
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

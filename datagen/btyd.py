"""Customers simulated from the BG/NBD purchase process and Gamma-Gamma spend, with known
parameters, to check that a fit recovers them (tests/pytest/test_predictions_recovery.py) and
to time the fit at full scale (benchmarks/predictions_benchmark.py).

The process (Fader, Hardie and Lee 2005): each customer buys at a Poisson rate
``lambda ~ Gamma(r, rate alpha)`` while alive, and after every purchase drops out for good with
probability ``p ~ Beta(a, b)``. Each purchase is worth ``z ~ Gamma(shape p_spend, rate nu)`` with
``nu ~ Gamma(q, rate v)`` per customer (Fader, Hardie and Lee 2005b). Time is in days. A
customer's first purchase falls uniformly in the first ``acquisition_days`` of the calibration
period; what happens up to ``calibration_days`` is the calibration, what happens in the next
``holdout_days`` the holdout.

    python -m datagen.btyd --customers N --seed S --out FILE.parquet

writes the per-customer summary (one row per customer, the columns of ``CustomerSummary``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class BgNbdParameters:
    r: float = 0.6
    alpha: float = 40.0
    a: float = 0.8
    b: float = 2.5


@dataclass(frozen=True)
class GammaGammaParameters:
    p: float = 6.0
    q: float = 4.0
    v: float = 60.0


@dataclass(frozen=True)
class CustomerSummary:
    """Per customer: the calibration summary a BG/NBD fit reads, and the holdout truth."""

    frequency: np.ndarray  # repeat purchases in the calibration period
    recency: np.ndarray  # days from the first to the last purchase (0 without repeats)
    T: np.ndarray  # days from the first purchase to the end of the calibration period
    monetary_value: np.ndarray  # mean value of the repeat purchases (0 without repeats)
    holdout_purchases: np.ndarray
    holdout_spend: np.ndarray
    is_alive: np.ndarray  # still alive at the end of the calibration period

    def to_arrow(self) -> pa.Table:
        n = len(self.frequency)
        return pa.table(
            {
                "customer_id": pa.array(np.arange(n, dtype=np.int64)),
                **{name: pa.array(getattr(self, name)) for name in self.__dataclass_fields__},
            }
        )


def simulate(
    customers: int,
    purchase: BgNbdParameters = BgNbdParameters(),
    spend: GammaGammaParameters = GammaGammaParameters(),
    calibration_days: float = 365.0,
    holdout_days: float = 90.0,
    acquisition_days: float = 270.0,
    seed: int = 0,
) -> CustomerSummary:
    """Simulates ``customers`` customers; the same arguments give the same customers."""
    rng = np.random.default_rng(seed)
    n = customers
    rate = rng.gamma(purchase.r, 1.0 / purchase.alpha, n)
    dropout = rng.beta(purchase.a, purchase.b, n)
    spend_rate = rng.gamma(spend.q, 1.0 / spend.v, n)
    first = rng.uniform(0.0, acquisition_days, n)
    calibration_end = calibration_days - first  # T
    holdout_end = calibration_end + holdout_days

    frequency = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    value_sum = np.zeros(n)
    holdout_purchases = np.zeros(n, dtype=np.int64)
    holdout_spend = np.zeros(n)
    clock = np.zeros(n)
    alive_at_end = np.ones(n, dtype=bool)
    # Customers are walked purchase by purchase, all at once. The first purchase (time 0) is the
    # start; after each repeat purchase the customer may drop out, as in the BG/NBD likelihood.
    index = np.arange(n)
    while index.size:
        clock[index] += rng.exponential(1.0, index.size) / rate[index]
        t = clock[index]
        observed = t <= holdout_end[index]
        index, t = index[observed], t[observed]  # past the holdout nothing more is seen
        in_calibration = t <= calibration_end[index]
        value = rng.gamma(spend.p, 1.0 / spend_rate[index])
        calibration, holdout = index[in_calibration], index[~in_calibration]
        frequency[calibration] += 1
        recency[calibration] = t[in_calibration]
        value_sum[calibration] += value[in_calibration]
        holdout_purchases[holdout] += 1
        holdout_spend[holdout] += value[~in_calibration]
        leaves = rng.random(index.size) < dropout[index]
        alive_at_end[index[leaves & in_calibration]] = False
        index = index[~leaves]

    monetary_value = np.divide(value_sum, frequency, out=np.zeros(n), where=frequency > 0)
    return CustomerSummary(
        frequency=frequency,
        recency=recency,
        T=calibration_end,
        monetary_value=monetary_value,
        holdout_purchases=holdout_purchases,
        holdout_spend=holdout_spend,
        is_alive=alive_at_end,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datagen.btyd",
        description="Simulate BG/NBD + Gamma-Gamma customers with known parameters.",
    )
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="Parquet file of the customer summary")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.customers < 1:
        raise SystemExit(f"--customers must be a positive integer, got {args.customers}")
    pq.write_table(simulate(args.customers, seed=args.seed).to_arrow(), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

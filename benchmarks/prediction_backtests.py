"""The purchase model against the historical rate on several time splits and in two units.

Reads marts.fct_orders of a built warehouse. For each store it makes three splits of 90 days
(`--window-days`): the holdout the warehouse checks (ending at the store's as-of date) and two
backtests that end where the next one starts, so that they use nothing from the holdout. On
each split and in each unit of purchase (`orders`: purchase orders, what the warehouse counts;
`days`: days with a purchase order) it summarises the history before the cut-off as
int_customer_histories_split does, fits BG/NBD (fit_bg_nbd) and scores, per customer, the
purchases after it:

- the model's mean (expected_purchases) and median (median_purchases);
- the historical rate (repeat purchases per day of tenure times the window's days) and the
  median of a Poisson count at that rate (poisson_median);
- the level: actual purchases in total over the model's expected total.

On the holdout in orders the summary must equal int_customer_histories_split (checked), so the
SQL below is the warehouse's. The evidence for the unit of purchase and the point forecast in
docs/predictions.md.

    PYTHONPATH=. .venv/bin/python benchmarks/prediction_backtests.py [--warehouse warehouse.duckdb]
"""

from __future__ import annotations

import argparse
import logging
import warnings

import duckdb
import numpy as np

from retail_warehouse.predictions.fitting import fit_bg_nbd
from retail_warehouse.predictions.formulas import BgNbd, poisson_median

SPLITS = ("holdout", "backtest 1", "backtest 2")
# One row per purchase of a store's customers before {end}; {unit} is a purchase order, or a
# day with purchase orders.
PURCHASES = {
    "orders": "select store_id, customer_id, cast(ordered_at as date) as purchase_date "
    "from marts.fct_orders where not is_return",
    "days": "select distinct store_id, customer_id, cast(ordered_at as date) as purchase_date "
    "from marts.fct_orders where not is_return",
}
SUMMARY = """
with purchases as ({purchases}),
calibration as (
    select
        customer_id,
        count(*) - 1 as x,
        date_diff('day', min(purchase_date), max(purchase_date)) as t_x,
        date_diff('day', min(purchase_date), date '{cutoff}') as T
    from purchases
    where store_id = '{store}' and purchase_date < date '{cutoff}'
    group by customer_id
),
window_purchases as (
    select customer_id, count(*) as actual
    from purchases
    where store_id = '{store}' and purchase_date >= date '{cutoff}'
        and purchase_date < date '{end}'
    group by customer_id
)
select calibration.*, coalesce(window_purchases.actual, 0) as actual
from calibration
left join window_purchases using (customer_id)
order by customer_id
"""


def _scores(connection, store: str, unit: str, cutoff, end, days: float) -> dict[str, float]:
    query = SUMMARY.format(purchases=PURCHASES[unit], store=store, cutoff=cutoff, end=end)
    data = connection.sql(query).fetchnumpy()
    x, t_x, T, actual = (data[c].astype(np.float64) for c in ("x", "t_x", "T", "actual"))
    fit = fit_bg_nbd(x, t_x, T)
    if not fit.is_converged:
        raise SystemExit(f"{store} {unit} cut-off {cutoff}: BG/NBD did not converge: {fit.note}")
    model = BgNbd(**fit.parameters)
    rate = x / T * days
    predictions = {
        "model mean": model.expected_purchases(x, t_x, T, days),
        "model median": model.median_purchases(x, t_x, T, days),
        "rate": rate,
        "rate median": poisson_median(rate),
    }
    scores = {name: float(np.abs(p - actual).mean()) for name, p in predictions.items()}
    scores["level"] = float(actual.sum() / predictions["model mean"].sum())
    scores["customers"] = float(len(x))
    scores["a"] = fit.parameters["a"]
    return scores


def _check_against_warehouse(connection, store: str, cutoff) -> None:
    mine = connection.sql(
        SUMMARY.format(purchases=PURCHASES["orders"], store=store, cutoff=cutoff, end="9999-01-01")
    ).fetchnumpy()
    warehouse = connection.sql(
        "select customer_id, repeat_orders as x, days_first_to_last as t_x, tenure_days as T "
        f"from intermediate.int_customer_histories_split where store_id = '{store}' "
        "order by customer_id"
    ).fetchnumpy()
    for column in ("customer_id", "x", "t_x", "T"):
        if not np.array_equal(mine[column], warehouse[column]):
            raise SystemExit(f"{store}: the summary's {column} differs from the warehouse's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", default="warehouse.duckdb")
    parser.add_argument("--window-days", type=int, default=90)
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    header = (
        f"{'store':14} {'split':10} {'cut-off':10} {'unit':6} {'customers':>9} {'a':>7} "
        f"{'mean':>7} {'median':>7} {'rate':>7} {'rate md':>7} {'median/best':>11} {'level':>6}"
    )
    print(header)
    with duckdb.connect(args.warehouse, read_only=True) as connection:
        stores = connection.sql(
            "select store_id, cutoff_date, as_of_date"
            " from intermediate.int_customer_histories_split group by all order by store_id"
        ).fetchall()
        for store, cutoff, as_of in stores:
            if (as_of - cutoff).days != args.window_days:
                raise SystemExit(
                    f"{store}: the warehouse's holdout is {(as_of - cutoff).days} days, "
                    f"--window-days is {args.window_days}: build with clv_holdout_days equal"
                )
            _check_against_warehouse(connection, store, cutoff)
            for number, split in enumerate(SPLITS):
                end = as_of - np.timedelta64(number * args.window_days, "D").item()
                start = end - np.timedelta64(args.window_days, "D").item()
                for unit in PURCHASES:
                    s = _scores(connection, store, unit, start, end, float(args.window_days))
                    best = min(s["rate"], s["rate median"])
                    print(
                        f"{store:14} {split:10} {start!s:10} {unit:6} {s['customers']:9.0f} "
                        f"{s['a']:7.4f} {s['model mean']:7.4f} {s['model median']:7.4f} "
                        f"{s['rate']:7.4f} {s['rate median']:7.4f} "
                        f"{s['model median'] / best:11.3f} {s['level']:6.3f}"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

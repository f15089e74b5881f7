"""Times the prediction fit and scoring at full scale (2.85M customers), one fresh process a run.

Customers come from the BG/NBD simulator (datagen/btyd.py, not timed). Each run fits BG/NBD and
Gamma-Gamma the way ml_clv_model_fit does (a seeded sample of clv_fit_sample_size customers)
and predicts every customer the way ml_customer_predictions does, and reports wall time, CPU
time and peak resident memory; the medians over the runs are printed last.

    .venv/bin/python benchmarks/predictions_benchmark.py --customers 2850000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time


def one_run(customers: int, sample_size: int) -> dict[str, float]:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from datagen.btyd import simulate
    from retail_warehouse.predictions import PredictionSettings, customer_predictions
    from retail_warehouse.predictions.fitting import (
        fit_bg_nbd,
        fit_gamma_gamma,
        sample_index,
    )
    from retail_warehouse.settings import settings_from_project

    s = simulate(customers, seed=1)
    histories = pa.table(
        {
            "store_id": pa.array(["bench"] * customers),
            "customer_id": pa.array(np.char.mod("%09d", np.arange(customers))),
            "repeat_orders": s.frequency,
            "days_first_to_last": s.recency,
            "tenure_days": s.T,
            "mean_repeat_value": np.where(s.frequency > 0, s.monetary_value, np.nan),
        }
    )
    settings = settings_from_project(PredictionSettings, clv_fit_sample_size=sample_size)
    wall, cpu = time.perf_counter(), time.process_time()
    index = sample_index(customers, settings.clv_fit_sample_size, settings.clv_seed)
    x = s.frequency[index].astype(float)
    purchase = fit_bg_nbd(x, s.recency[index], s.T[index])
    spend = fit_gamma_gamma(x, s.monetary_value[index])
    fits = pd.DataFrame(
        [
            {
                "store_id": "bench",
                "fitted_on": "all",
                "model": f.model,
                "is_converged": f.is_converged,
                **f.parameters,
            }
            for f in (purchase, spend)
        ]
    )
    fitted = time.perf_counter() - wall
    predictions = customer_predictions(histories, fits, settings)
    assert predictions.num_rows == customers, "a fit did not converge"
    return {
        "fit_s": fitted,
        "fit_and_predict_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
        "r": purchase.parameters["r"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_850_000)
    parser.add_argument("--fit-sample-size", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.customers, args.fit_sample_size)))
        return 0
    results = []
    for run in range(args.runs):
        out = (
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "--customers",
                    str(args.customers),
                    "--fit-sample-size",
                    str(args.fit_sample_size),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        results.append(json.loads(out))
        print(f"run {run + 1}: {results[-1]}")
    medians = {k: statistics.median(r[k] for r in results) for k in results[0]}
    print("median: " + ", ".join(f"{k} {v:.2f}" for k, v in medians.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

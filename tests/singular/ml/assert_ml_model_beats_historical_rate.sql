-- In every store with at least `clv_eval_min_customers` customers in the holdout check, the
-- model's mean absolute error on holdout purchase days must be below the historical-rate
-- baseline's. Warns for now: on both bundled stores the model loses on MAE (docs/predictions.md,
-- "The check"), so an error would stop every build; make it an error once the model wins.
{{ config(severity='warn') }}

with

overall as (

    select * from {{ ref('ml_prediction_eval') }}
    where segment = '(all customers)'

),

model_and_baseline as (

    select
        fitted.store_id,
        fitted.customers,
        fitted.purchases_mae as model_mae,
        baseline.purchases_mae as baseline_mae
    from overall as fitted
    inner join overall as baseline
        on
            fitted.store_id = baseline.store_id
            and baseline.predictor = 'historical_rate'
    where fitted.predictor = 'bg_nbd'

)

select * from model_and_baseline
where
    customers >= {{ var('clv_eval_min_customers') }}
    and model_mae >= baseline_mae

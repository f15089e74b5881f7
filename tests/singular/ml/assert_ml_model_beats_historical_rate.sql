-- In every store with at least `clv_eval_min_customers` customers in the holdout check, the
-- model's point forecast for absolute errors (the median of its predicted purchases) must have a
-- lower mean absolute error on holdout purchases than the historical-rate baseline, both as
-- the rate itself and as its own median (docs/predictions.md, "The check").
with

overall as (

    select * from {{ ref('ml_prediction_eval') }}
    where segment = '(all customers)'

),

baselines as (

    select
        store_id,
        min(purchases_mae) as baseline_mae
    from overall
    where predictor in ('historical_rate', 'historical_rate_median')
    group by store_id

),

model_and_baseline as (

    select
        fitted.store_id,
        fitted.customers,
        fitted.purchases_mae as model_mae,
        baselines.baseline_mae
    from overall as fitted
    inner join baselines
        on fitted.store_id = baselines.store_id
    where fitted.predictor = 'bg_nbd_median'

)

select * from model_and_baseline
where
    customers >= {{ var('clv_eval_min_customers') }}
    and model_mae >= baseline_mae

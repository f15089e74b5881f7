-- Predicted against actual purchases in the holdout, by calibration repeat purchase orders
-- (10 = 10 or more): the model and the historical-rate baseline per customer, and what the
-- customers did.
with

holdout_predictions as (

    select * from {{ ref('ml_holdout_predictions') }}

),

compared as (

    select
        store_id,
        cast(least(repeat_orders, 10) as integer) as repeat_orders,
        count(*) as customers,
        cast(avg(predicted_purchases) as double) as predicted_purchases_per_customer,
        cast(avg(historical_rate_purchases) as double) as historical_rate_purchases_per_customer,
        cast(avg(actual_purchases) as double) as actual_purchases_per_customer,
        cast(sum(predicted_spend) as double) as predicted_spend,
        cast(sum(actual_spend) as double) as actual_spend
    from holdout_predictions
    group by store_id, least(repeat_orders, 10)

)

select * from compared

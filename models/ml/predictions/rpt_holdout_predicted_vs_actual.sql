-- Predicted against actual purchases in the holdout, by calibration repeat purchase orders
-- (var clv_report_repeat_orders_cap or more share the last row, labelled with a `+`): the
-- model and the historical-rate baseline per customer, and what the customers did.
{%- set repeat_cap = var('clv_report_repeat_orders_cap') | int %}
with

holdout_predictions as (

    select * from {{ ref('ml_holdout_predictions') }}

),

banded as (

    select
        store_id,
        least(repeat_orders, {{ repeat_cap }}) as repeat_orders,
        predicted_purchases,
        historical_rate_purchases,
        actual_purchases,
        predicted_spend,
        actual_spend
    from holdout_predictions

),

compared as (

    select
        store_id,
        cast(repeat_orders as integer) as repeat_orders,
        {{ capped_count_label('repeat_orders', repeat_cap) }} as repeat_orders_label,
        count(*) as customers,
        cast(avg(predicted_purchases) as double) as predicted_purchases_per_customer,
        cast(avg(historical_rate_purchases) as double) as historical_rate_purchases_per_customer,
        cast(avg(actual_purchases) as double) as actual_purchases_per_customer,
        cast(sum(predicted_spend) as double) as predicted_spend,
        cast(sum(actual_spend) as double) as actual_spend
    from banded
    group by store_id, repeat_orders

)

select * from compared

-- Probability alive against recency and frequency (the classic BG/NBD heat map): customers
-- grouped by repeat purchase orders (var clv_report_repeat_orders_cap or more share the last
-- row) and by days since the last purchase in 30-day bands (the last starting at var
-- clv_report_recency_cap_days), each with the label a chart shows (`10+`, `360+` by default).
{%- set repeat_cap = var('clv_report_repeat_orders_cap') | int %}
{%- set recency_cap = var('clv_report_recency_cap_days') | int %}
with

histories as (

    select * from {{ ref('int_customer_histories_summarised') }}

),

predictions as (

    select * from {{ ref('ml_customer_predictions') }}

),

banded as (

    select
        histories.store_id,
        least(histories.repeat_orders, {{ repeat_cap }}) as repeat_orders,
        least(
            30 * floor(histories.days_since_last_purchase / 30), {{ recency_cap }}
        ) as recency_band_start_days,
        predictions.probability_alive,
        predictions.churn_probability
    from histories
    inner join predictions
        on
            histories.store_id = predictions.store_id
            and histories.customer_id = predictions.customer_id

),

grid as (

    select
        store_id,
        cast(repeat_orders as integer) as repeat_orders,
        {{ capped_count_label('repeat_orders', repeat_cap) }} as repeat_orders_label,
        cast(recency_band_start_days as integer) as recency_band_start_days,
        case
            when recency_band_start_days >= {{ recency_cap }}
                then '{{ recency_cap }}+'
            else
                cast(cast(recency_band_start_days as integer) as varchar)
                || '-'
                || cast(cast(recency_band_start_days + 29 as integer) as varchar)
        end as recency_band_label,
        count(*) as customers,
        cast(avg(probability_alive) as double) as mean_probability_alive,
        cast(avg(churn_probability) as double) as mean_churn_probability
    from banded
    group by store_id, repeat_orders, recency_band_start_days

)

select * from grid

-- Probability alive against recency and frequency (the classic BG/NBD heat map): customers
-- grouped by repeat purchase orders (10 = 10 or more) and by days since the last purchase in
-- 30-day bands (360 = 360 or more).
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
        least(histories.repeat_orders, 10) as repeat_orders,
        least(30 * floor(histories.days_since_last_purchase / 30), 360) as recency_band_start_days,
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
        cast(recency_band_start_days as integer) as recency_band_start_days,
        count(*) as customers,
        cast(avg(probability_alive) as double) as mean_probability_alive,
        cast(avg(churn_probability) as double) as mean_churn_probability
    from banded
    group by store_id, repeat_orders, recency_band_start_days

)

select * from grid

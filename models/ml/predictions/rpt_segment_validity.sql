-- What each RFM segment's customers did after the cut-off, under every scoring method: whether
-- a segment means what its name says. Predicted values are the calibration fit's.
with

segments as (

    select * from {{ ref('int_customers_scored_at_cutoff') }}

),

histories as (

    select * from {{ ref('int_customer_histories_split') }}

),

holdout_predictions as (

    select * from {{ ref('ml_holdout_predictions') }}

),

customers as (

    select
        segments.store_id,
        segments.scoring_method,
        segments.segment,
        segments.customer_id,
        histories.orders,
        histories.holdout_orders,
        histories.holdout_spend,
        holdout_predictions.predicted_purchases,
        holdout_predictions.predicted_spend,
        holdout_predictions.probability_alive
    from segments
    inner join histories
        on
            segments.store_id = histories.store_id
            and segments.customer_id = histories.customer_id
    left join holdout_predictions
        on
            segments.store_id = holdout_predictions.store_id
            and segments.customer_id = holdout_predictions.customer_id

),

validity as (

    select
        store_id,
        scoring_method,
        segment,
        scoring_method = '{{ rfm_scoring_method() }}' as is_default_method,
        count(*) as customers,
        count(case when orders = 1 then 1 end) as one_order_customers,
        count(case when holdout_orders > 0 then 1 end) as holdout_buyers,
        cast(avg(case when holdout_orders > 0 then 1.0 else 0.0 end) as double)
            as holdout_buying_share,
        cast(avg(holdout_orders) as double) as holdout_purchases_per_customer,
        cast(sum(holdout_spend) as {{ money_type() }}) as holdout_revenue,
        cast(avg(holdout_spend) as double) as holdout_revenue_per_customer,
        cast(avg(predicted_purchases) as double) as predicted_purchases_per_customer,
        cast(avg(predicted_spend) as double) as predicted_revenue_per_customer,
        cast(avg(probability_alive) as double) as mean_probability_alive
    from customers
    group by store_id, scoring_method, segment

)

select * from validity

-- Each customer's segment with what the models expect of them (ml_customer_predictions), for
-- BI tools: one table to sort customers by value and churn risk within a segment.
with

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

predictions as (

    select * from {{ ref('ml_customer_predictions') }}

),

customer_value as (

    select
        customer_rfm.store_id,
        customer_rfm.customer_id,
        customer_rfm.segment,
        customer_rfm.marketing_group,
        customer_rfm.last_purchase_at,
        customer_rfm.recency_days,
        customer_rfm.frequency,
        customer_rfm.monetary,
        predictions.horizon_days,
        predictions.probability_alive,
        predictions.expected_purchases,
        predictions.expected_purchases_365d,
        predictions.expected_order_value,
        predictions.clv,
        predictions.churn_probability,
        predictions.churn_risk
    from customer_rfm
    inner join predictions
        on
            customer_rfm.store_id = predictions.store_id
            and customer_rfm.customer_id = predictions.customer_id

)

select * from customer_value

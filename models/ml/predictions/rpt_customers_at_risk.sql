-- The most valuable customers at high churn risk: per store, the `clv_at_risk_top_n` with the
-- highest spend to date among those unlikely to buy in the horizon (ties by customer id).
with

customer_value as (

    select * from {{ ref('fct_customer_value') }}

),

ranked as (

    select
        store_id,
        row_number() over (
            partition by store_id
            order by monetary desc, customer_id asc
        ) as value_rank,
        customer_id,
        segment,
        last_purchase_at,
        frequency,
        monetary,
        probability_alive,
        churn_probability,
        clv
    from customer_value
    where churn_risk = 'high'

),

top_customers as (

    select * from ranked
    where value_rank <= {{ var('clv_at_risk_top_n') }}

)

select * from top_customers

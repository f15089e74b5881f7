-- CLV and churn risk per current RFM segment (fct_customer_value).
with

customer_value as (

    select * from {{ ref('fct_customer_value') }}

),

by_segment as (

    select
        store_id,
        segment,
        count(*) as customers,
        cast(sum(clv) as double) as clv,
        cast(avg(clv) as double) as clv_per_customer,
        cast(sum(clv) / sum(sum(clv)) over (partition by store_id) as double) as share_of_clv,
        cast(avg(expected_purchases) as double) as expected_purchases_per_customer,
        cast(avg(probability_alive) as double) as mean_probability_alive,
        cast(avg(case when churn_risk = 'high' then 1.0 else 0.0 end) as double)
            as high_churn_risk_share
    from customer_value
    group by store_id, segment

)

select * from by_segment

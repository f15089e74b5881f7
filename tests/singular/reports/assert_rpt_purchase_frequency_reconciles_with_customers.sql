{#- The purchase-frequency distribution accounts for every buyer once: per store, it has one row
    for each number of orders from 1 to `purchase_frequency_cap`, the last one alone flagged
    `is_capped` and holding the buyers with the cap or more orders; its customers and revenue
    add up to the buyers and their net spend in dim_customers, and the cumulative share ends
    at 1. Fails with the stores where any differs. -#}
{%- set cap = var('purchase_frequency_cap') -%}

with

purchase_frequency as (

    select * from {{ ref('rpt_purchase_frequency') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

reported as (

    select
        store_id,
        count(*) as frequency_rows,
        min(purchase_orders) as min_purchase_orders,
        max(purchase_orders) as max_purchase_orders,
        count(case when is_capped then 1 end) as capped_rows,
        max(case when is_capped then purchase_orders end) as capped_purchase_orders,
        sum(case when is_capped then customers end) as capped_customers,
        sum(customers) as customers,
        sum(revenue) as revenue,
        max(case when purchase_orders = {{ cap }} then cumulative_share end)
            as last_cumulative_share
    from purchase_frequency
    group by store_id

),

expected as (

    select
        store_id,
        count(*) as customers,
        count(case when orders >= {{ cap }} then 1 end) as capped_customers,
        sum(net_spend) as revenue
    from customers
    where orders > 0
    group by store_id

),

compared as (

    select
        expected.store_id,
        expected.customers as expected_customers,
        expected.capped_customers as expected_capped_customers,
        expected.revenue as expected_revenue,
        reported.frequency_rows,
        reported.min_purchase_orders,
        reported.max_purchase_orders,
        reported.capped_rows,
        reported.capped_purchase_orders,
        reported.capped_customers,
        reported.customers,
        reported.revenue,
        reported.last_cumulative_share
    from expected
    left join reported
        on expected.store_id = reported.store_id

)

select * from compared
where
    frequency_rows is null
    or frequency_rows <> {{ cap }}
    or min_purchase_orders <> 1
    or max_purchase_orders <> {{ cap }}
    or capped_rows <> 1
    or capped_purchase_orders <> {{ cap }}
    or capped_customers <> expected_capped_customers
    or customers <> expected_customers
    or revenue <> expected_revenue
    or abs(last_cumulative_share - 1) > 1e-9

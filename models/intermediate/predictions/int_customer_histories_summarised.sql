-- Each customer's purchase history up to the store's as-of date, as the BG/NBD and Gamma-Gamma
-- models read it (macro clv_customer_summary).
with

orders as (

    select * from {{ ref('fct_orders') }}

),

store_dates as (

    select
        store_id,
        {{ rfm_store_as_of_date('max(ordered_at)') }} as as_of_date
    from orders
    group by store_id

),

purchases as (

    {{ clv_purchases('orders', 'store_dates', 'as_of_date') }}

),

summarised as (

    {{ clv_customer_summary('purchases', 'as_of_date') }}

)

select * from summarised

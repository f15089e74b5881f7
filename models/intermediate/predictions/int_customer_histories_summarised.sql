-- Each customer's purchase history up to the store's as-of date, as the BG/NBD and Gamma-Gamma
-- models read it (macro clv_customer_summary).
with

orders as (

    select * from {{ ref('fct_orders') }}

),

as_of_dates as (

    select * from {{ ref('int_as_of_dates') }}

),

store_dates as (

    select
        store_id,
        as_of_date
    from as_of_dates
    where is_rfm_as_of_date

),

purchases as (

    {{ clv_purchases('orders', 'store_dates', 'as_of_date') }}

),

summarised as (

    {{ clv_customer_summary('purchases', 'as_of_date') }}

)

select * from summarised

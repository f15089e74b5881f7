with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

orders as (

    select
        store_id,
        order_id,
        min(customer_id) as customer_id,
        -- A few invoices' lines straddle a minute; the order was placed at its first line.
        min(ordered_at) as ordered_at,
        max(country) as country,
        count(*) as lines,
        cast(sum(quantity) as bigint) as items,
        cast(sum(amount) as {{ money_type() }}) as amount,
        -- An order is a return when every line takes goods back (an Online Retail `C` invoice).
        min(case when is_return then 1 else 0 end) = 1 as is_return
    from order_lines
    group by store_id, order_id

)

select * from orders

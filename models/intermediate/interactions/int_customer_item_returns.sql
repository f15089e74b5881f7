with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

-- Returns only: an item a customer sent back is never recommended to them.
return_lines as (

    select
        store_id,
        customer_id,
        item_id,
        order_id,
        quantity,
        ordered_at
    from order_lines
    where is_return

),

item_returns as (

    select
        store_id,
        customer_id,
        item_id,
        count(distinct order_id) as return_orders,
        -sum(quantity) as returned_quantity,
        min(ordered_at) as first_returned_at,
        max(ordered_at) as last_returned_at
    from return_lines
    group by store_id, customer_id, item_id

)

select * from item_returns

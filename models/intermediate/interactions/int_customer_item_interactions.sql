with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

-- Purchases only: returns (cancellations) are not a sign of interest, and fees, postage and
-- bad lines never reach int_order_lines_cleaned.
purchase_lines as (

    select
        store_id,
        customer_id,
        item_id,
        order_id,
        quantity,
        amount,
        ordered_at
    from order_lines
    where not is_return

),

interactions as (

    select
        store_id,
        customer_id,
        item_id,
        -- The implicit-feedback strength: in how many orders the customer bought the item.
        count(distinct order_id) as orders,
        sum(quantity) as quantity,
        cast(sum(amount) as {{ money_type() }}) as amount,
        min(ordered_at) as first_purchased_at,
        max(ordered_at) as last_purchased_at
    from purchase_lines
    group by store_id, customer_id, item_id

)

select * from interactions

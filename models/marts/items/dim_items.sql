with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

),

-- Sales only: a return says nothing about an item's name, price or buyers.
sale_lines as (

    select
        store_id,
        item_id,
        item_name,
        unit_price
    from order_lines
    where not is_return

),

-- An item's sales are the sum of its customers' purchases of it (int_customer_item_interactions
-- counts each customer's distinct orders of it, and an order belongs to one customer).
item_sales as (

    select
        store_id,
        item_id,
        count(*) as buyers,
        cast(sum(orders) as bigint) as orders,
        cast(sum(quantity) as bigint) as units_sold,
        cast(sum(amount) as {{ money_type() }}) as revenue,
        min(first_purchased_at) as first_sold_at,
        max(last_purchased_at) as last_sold_at
    from interactions
    group by store_id, item_id

),

-- An Online Retail stock code is sold under several descriptions: the one on most lines
-- names it; ties go to the first alphabetically.
item_names as (

    select
        store_id,
        item_id,
        item_name
    from (
        select
            store_id,
            item_id,
            item_name,
            row_number() over (
                partition by store_id, item_id
                order by count(*) desc, item_name
            ) as name_rank
        from sale_lines
        where item_name is not null
        group by store_id, item_id, item_name
    ) as ranked_names
    where name_rank = 1

),

-- Prices vary with the quantity bought and over time: the price on most lines is the one a
-- shopper sees; ties go to the lower price.
item_prices as (

    select
        store_id,
        item_id,
        unit_price
    from (
        select
            store_id,
            item_id,
            unit_price,
            row_number() over (
                partition by store_id, item_id
                order by count(*) desc, unit_price
            ) as price_rank
        from sale_lines
        group by store_id, item_id, unit_price
    ) as ranked_prices
    where price_rank = 1

),

items as (

    select
        item_sales.store_id,
        item_sales.item_id,
        item_names.item_name,
        item_prices.unit_price,
        item_sales.buyers,
        item_sales.orders,
        item_sales.units_sold,
        item_sales.revenue,
        item_sales.first_sold_at,
        item_sales.last_sold_at
    from item_sales
    inner join item_prices
        on
            item_sales.store_id = item_prices.store_id
            and item_sales.item_id = item_prices.item_id
    left join item_names
        on
            item_sales.store_id = item_names.store_id
            and item_sales.item_id = item_names.item_id

)

select * from items

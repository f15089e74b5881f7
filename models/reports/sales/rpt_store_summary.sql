with

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

-- The period a store's data covers, and its net revenue: every order, returns included.
store_orders as (

    select
        store_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(amount) as revenue
    from orders
    group by store_id

),

-- Basket size and order value are measured on purchase orders only.
store_purchases as (

    select
        store_id,
        count(*) as orders,
        avg(cast(lines as double)) as average_lines_per_order,
        {{ median('cast(lines as double)') }} as median_lines_per_order,
        avg(cast(items as double)) as average_items_per_order,
        {{ median('cast(items as double)') }} as median_items_per_order,
        sum(amount) / count(*) as average_order_value
    from orders
    where not is_return
    group by store_id

),

-- Per-customer figures describe the buyers (customers with a purchase order).
store_customers as (

    select
        store_id,
        count(*) as customers,
        sum(net_spend) / count(*) as average_revenue_per_customer,
        {{ median('cast(net_spend as double)') }} as median_revenue_per_customer,
        cast(count(case when orders = 1 then 1 end) as double)
        / count(*) as share_of_one_time_buyers
    from customers
    where orders > 0
    group by store_id

),

store_summary as (

    select
        store_orders.store_id,
        store_orders.first_order_at,
        store_orders.last_order_at,
        cast(coalesce(store_customers.customers, 0) as bigint) as customers,
        cast(coalesce(store_purchases.orders, 0) as bigint) as orders,
        cast(store_orders.revenue as {{ money_type() }}) as revenue,
        cast(store_purchases.average_lines_per_order as double) as average_lines_per_order,
        cast(store_purchases.median_lines_per_order as double) as median_lines_per_order,
        cast(store_purchases.average_items_per_order as double) as average_items_per_order,
        cast(store_purchases.median_items_per_order as double) as median_items_per_order,
        cast(store_purchases.average_order_value as {{ money_type() }}) as average_order_value,
        cast(store_customers.average_revenue_per_customer as {{ money_type() }})
            as average_revenue_per_customer,
        cast(store_customers.median_revenue_per_customer as {{ money_type() }})
            as median_revenue_per_customer,
        cast(store_customers.share_of_one_time_buyers as double) as share_of_one_time_buyers
    from store_orders
    left join store_purchases
        on store_orders.store_id = store_purchases.store_id
    left join store_customers
        on store_orders.store_id = store_customers.store_id

)

select * from store_summary

{#- The monthly sales add up to the orders they summarise: per store, the months' revenue, gross
    revenue, returned amount, orders, return orders, lines and items equal those of fct_orders, and the
    months' new customers equal the buyers in dim_customers (each is new exactly once). Fails
    with one row per store and figure that differs. -#}
with

monthly_sales as (

    select * from {{ ref('rpt_monthly_sales') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

reported as (

    select
        store_id,
        sum(revenue) as revenue,
        sum(gross_revenue) as gross_revenue,
        sum(returned_amount) as returned_amount,
        sum(orders) as orders,
        sum(return_orders) as return_orders,
        sum(lines) as order_lines,
        sum(items) as items,
        sum(new_customers) as new_customers
    from monthly_sales
    group by store_id

),

expected_orders as (

    select
        store_id,
        sum(amount) as revenue,
        sum(case when not is_return then amount else 0 end) as gross_revenue,
        -sum(case when is_return then amount else 0 end) as returned_amount,
        count(case when not is_return then 1 end) as orders,
        count(case when is_return then 1 end) as return_orders,
        sum(case when not is_return then lines else 0 end) as order_lines,
        sum(case when not is_return then items else 0 end) as items
    from orders
    group by store_id

),

expected_customers as (

    select
        store_id,
        count(*) as new_customers
    from customers
    where orders > 0
    group by store_id

),

compared as (

    select
        expected_orders.store_id,
        reported.store_id is null as is_store_missing,
        reported.revenue <> expected_orders.revenue as revenue_differs,
        reported.gross_revenue <> expected_orders.gross_revenue as gross_revenue_differs,
        reported.returned_amount <> expected_orders.returned_amount as returned_amount_differs,
        reported.orders <> expected_orders.orders as orders_differ,
        reported.return_orders <> expected_orders.return_orders as returns_differ,
        reported.order_lines <> expected_orders.order_lines as lines_differ,
        reported.items <> expected_orders.items as items_differ,
        reported.new_customers <> coalesce(expected_customers.new_customers, 0)
            as new_customers_differ
    from expected_orders
    left join reported
        on expected_orders.store_id = reported.store_id
    left join expected_customers
        on expected_orders.store_id = expected_customers.store_id

)

select * from compared
where
    is_store_missing
    or revenue_differs
    or gross_revenue_differs
    or returned_amount_differs
    or orders_differ
    or returns_differ
    or lines_differ
    or items_differ
    or new_customers_differ

{#- The store summary agrees with the marts it summarises: per store, first and last order,
    purchase orders and net revenue equal those of fct_orders, buyers equal the dim_customers
    rows with a purchase order, and the averages times their counts give back the totals (to
    within the rounding of a 4-decimal average). Fails with the stores where any differs. -#}
with

store_summary as (

    select * from {{ ref('rpt_store_summary') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

expected_orders as (

    select
        store_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(amount) as revenue,
        count(case when not is_return then 1 end) as orders,
        sum(case when not is_return then amount else 0 end) as gross_revenue
    from orders
    group by store_id

),

expected_customers as (

    select
        store_id,
        count(*) as customers,
        count(case when orders = 1 then 1 end) as one_time_buyers,
        sum(net_spend) as net_spend
    from customers
    where orders > 0
    group by store_id

),

compared as (

    select
        expected_orders.store_id,
        store_summary.store_id is null as is_store_missing,
        store_summary.first_order_at <> expected_orders.first_order_at as first_order_differs,
        store_summary.last_order_at <> expected_orders.last_order_at as last_order_differs,
        store_summary.revenue <> expected_orders.revenue as revenue_differs,
        store_summary.orders <> expected_orders.orders as orders_differ,
        store_summary.customers <> coalesce(expected_customers.customers, 0) as customers_differ,
        abs(
            store_summary.average_order_value * store_summary.orders
            - expected_orders.gross_revenue
        ) > 0.0001 * store_summary.orders as average_order_value_differs,
        abs(
            store_summary.average_revenue_per_customer * store_summary.customers
            - expected_customers.net_spend
        ) > 0.0001 * store_summary.customers as revenue_per_customer_differs,
        abs(
            store_summary.share_of_one_time_buyers * store_summary.customers
            - expected_customers.one_time_buyers
        ) > 1e-6 as one_time_share_differs
    from expected_orders
    left join store_summary
        on expected_orders.store_id = store_summary.store_id
    left join expected_customers
        on expected_orders.store_id = expected_customers.store_id

)

select * from compared
where
    is_store_missing
    or first_order_differs
    or last_order_differs
    or revenue_differs
    or orders_differ
    or customers_differ
    or average_order_value_differs
    or revenue_per_customer_differs
    or one_time_share_differs

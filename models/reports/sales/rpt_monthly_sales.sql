{#- The month spine is built from a fixed run of month offsets rather than dbt.date_spine, whose
    length is queried from the warehouse while the model compiles (that breaks unit tests, which
    read fixtures, and parsing without a warehouse). 1200 months is a century of history per
    store; a test checks that every store's months are all there. -#}
{%- set max_months = 1200 -%}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

customers as (

    select * from {{ ref('dim_customers') }}

),

order_months as (

    select
        store_id,
        order_id,
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month,
        lines,
        items,
        amount,
        is_return
    from orders

),

-- A store's reports run from the month of its first order (purchase or return) to its last.
store_months as (

    select
        store_id,
        min(order_month) as first_month,
        max(order_month) as last_month
    from order_months
    group by store_id

),

month_offsets as (

    {{ dbt.generate_series(max_months) }}

),

month_spine as (

    select
        store_months.store_id,
        cast(
            {{ dbt.dateadd(
                'month', 'month_offsets.generated_number - 1', 'store_months.first_month'
            ) }} as date
        ) as order_month
    from store_months
    cross join month_offsets
    where
        month_offsets.generated_number - 1
        <= {{ dbt.datediff('store_months.first_month', 'store_months.last_month', 'month') }}

),

monthly_orders as (

    select
        store_id,
        order_month,
        count(case when not is_return then 1 end) as orders,
        count(case when is_return then 1 end) as return_orders,
        sum(amount) as revenue,
        sum(case when not is_return then amount else 0 end) as gross_revenue,
        -sum(case when is_return then amount else 0 end) as returned_amount,
        sum(case when not is_return then lines else 0 end) as purchase_lines,
        sum(case when not is_return then items else 0 end) as purchase_items
    from order_months
    group by store_id, order_month

),

-- Each customer who placed a purchase order in the month, with the month of their first one.
monthly_buyers as (

    select distinct
        order_months.store_id,
        order_months.order_month,
        order_months.customer_id,
        cast({{ dbt.date_trunc('month', 'customers.first_order_at') }} as date) as first_order_month
    from order_months
    left join customers
        on
            order_months.store_id = customers.store_id
            and order_months.customer_id = customers.customer_id
    where not order_months.is_return

),

monthly_customers as (

    select
        store_id,
        order_month,
        count(*) as customers,
        count(case when first_order_month = order_month then 1 end) as new_customers,
        count(case when first_order_month < order_month then 1 end) as returning_customers
    from monthly_buyers
    group by store_id, order_month

),

monthly_sales as (

    select
        month_spine.store_id,
        month_spine.order_month,
        cast(coalesce(monthly_orders.orders, 0) as bigint) as orders,
        cast(coalesce(monthly_orders.return_orders, 0) as bigint) as return_orders,
        cast(coalesce(monthly_customers.customers, 0) as bigint) as customers,
        cast(coalesce(monthly_customers.new_customers, 0) as bigint) as new_customers,
        cast(coalesce(monthly_customers.returning_customers, 0) as bigint)
            as returning_customers,
        cast(coalesce(monthly_orders.revenue, 0) as {{ money_type() }}) as revenue,
        cast(coalesce(monthly_orders.gross_revenue, 0) as {{ money_type() }}) as gross_revenue,
        cast(coalesce(monthly_orders.returned_amount, 0) as {{ money_type() }})
            as returned_amount,
        cast(coalesce(monthly_orders.purchase_lines, 0) as bigint) as lines,
        cast(coalesce(monthly_orders.purchase_items, 0) as bigint) as items,
        cast(
            case
                when monthly_orders.orders > 0
                    then monthly_orders.gross_revenue / monthly_orders.orders
            end as {{ money_type() }}
        ) as average_order_value
    from month_spine
    left join monthly_orders
        on
            month_spine.store_id = monthly_orders.store_id
            and month_spine.order_month = monthly_orders.order_month
    left join monthly_customers
        on
            month_spine.store_id = monthly_customers.store_id
            and month_spine.order_month = monthly_customers.order_month

)

select * from monthly_sales

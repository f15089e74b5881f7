{#- Every customer's values as they stand at each as-of date, in compact form: one row per
    store, customer and as-of date from which their values change (the end of a period in
    which they ordered), holding until their next row. A customer's values at any as-of date
    are their latest row at or before it. Incremental on DuckDB by period: a run deletes each
    store's latest period (still open when it was computed; pre-hook), then continues every
    customer's running totals from their latest stored row with the orders of the periods
    after it. `--full-refresh` computes every period. On other targets it is a table. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    on_schema_change='fail',
    pre_hook="{{ delete_each_stores_latest('from_as_of_date') }}",
) }}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

as_of_dates as (

    select * from {{ ref('int_as_of_dates') }}

),

-- All periods, or on an incremental run those after each store's latest stored date.
periods_to_compute as (

    select as_of_dates.*
    from as_of_dates
    {{ after_each_stores_latest('as_of_dates', 'as_of_date', 'from_as_of_date') }}

),

-- The period of each day with orders, found on the few days rather than on every order.
order_days as (

    select distinct
        store_id,
        cast(ordered_at as date) as order_date
    from orders

),

order_day_periods as (

    select
        order_days.store_id,
        order_days.order_date,
        periods_to_compute.as_of_date as period_end
    from order_days
    inner join periods_to_compute
        on
            order_days.store_id = periods_to_compute.store_id
            and order_days.order_date >= periods_to_compute.period_start
            and order_days.order_date < periods_to_compute.as_of_date

),

-- What each customer ordered in each period: purchases, and returns apart.
period_orders as (

    select
        orders.store_id,
        orders.customer_id,
        order_day_periods.period_end as from_as_of_date,
        count(case when not orders.is_return then 1 end) as purchase_orders,
        sum(case when not orders.is_return then orders.amount else 0 end) as purchase_amount,
        -sum(case when orders.is_return then orders.amount else 0 end) as returned_amount,
        min(case when not orders.is_return then orders.ordered_at end) as first_purchase_at,
        max(case when not orders.is_return then orders.ordered_at end) as last_purchase_at
    from orders
    inner join order_day_periods
        on
            orders.store_id = order_day_periods.store_id
            and cast(orders.ordered_at as date) = order_day_periods.order_date
    group by orders.store_id, orders.customer_id, order_day_periods.period_end

),

{% if is_incremental() %}
    latest_stored_dates as (

        select
            store_id,
            customer_id,
            max(from_as_of_date) as from_as_of_date
        from {{ this }}
        group by store_id, customer_id

    ),

    -- Each customer's latest stored values, where their running totals continue.
    latest_stored_values as (

        select
            stored.store_id,
            stored.customer_id,
            stored.from_as_of_date,
            stored.frequency as purchase_orders,
            stored.monetary as purchase_amount,
            stored.returned_amount,
            stored.first_purchase_at,
            stored.last_purchase_at
        from {{ this }} as stored
        inner join latest_stored_dates
            on
                stored.store_id = latest_stored_dates.store_id
                and stored.customer_id = latest_stored_dates.customer_id
                and stored.from_as_of_date = latest_stored_dates.from_as_of_date

    ),
{% endif %}

value_changes as (

    select * from period_orders
    {% if is_incremental() %}
        union all
        select * from latest_stored_values
    {% endif %}

),

running_values as (

    select
        store_id,
        customer_id,
        from_as_of_date,
        sum(purchase_orders) over customer_periods as running_purchase_orders,
        sum(purchase_amount) over customer_periods as running_purchase_amount,
        sum(returned_amount) over customer_periods as running_returned_amount,
        min(first_purchase_at) over customer_periods as running_first_purchase_at,
        max(last_purchase_at) over customer_periods as running_last_purchase_at
    from value_changes
    window customer_periods as (
        partition by store_id, customer_id order by from_as_of_date
        rows between unbounded preceding and current row
    )

),

customer_values as (

    select
        running_values.store_id,
        running_values.customer_id,
        running_values.from_as_of_date,
        cast(running_values.running_purchase_orders as bigint) as frequency,
        cast(running_values.running_purchase_amount as {{ money_type() }}) as monetary,
        cast(running_values.running_returned_amount as {{ money_type() }}) as returned_amount,
        running_values.running_first_purchase_at as first_purchase_at,
        running_values.running_last_purchase_at as last_purchase_at
    from running_values
    -- The latest stored rows only carried the totals forward; they are stored already.
    {{ after_each_stores_latest('running_values', 'from_as_of_date') }}

)

select * from customer_values

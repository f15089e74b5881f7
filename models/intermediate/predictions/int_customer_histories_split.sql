-- The time split the predictions are checked on: each customer's history before a cut-off
-- `clv_holdout_days` days before the store's as-of date (the calibration, summarised as the
-- models read it), and what they bought from the cut-off to the as-of date (the holdout).
-- Customers whose first purchase is in the holdout are not in it: nothing predicts them.
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
        cast({{ dbt.dateadd('day', -var('clv_holdout_days'), 'as_of_date') }} as date)
            as cutoff_date,
        as_of_date
    from as_of_dates
    where is_rfm_as_of_date

),

calibration_purchases as (

    {{ clv_purchases('orders', 'store_dates', 'cutoff_date') }}

),

calibration as (

    {{ clv_customer_summary('calibration_purchases', 'cutoff_date') }}

),

holdout as (

    select
        orders.store_id,
        orders.customer_id,
        cast(count(*) as integer) as holdout_orders,
        cast(sum(orders.amount) as {{ money_type() }}) as holdout_spend
    from orders
    inner join store_dates
        on orders.store_id = store_dates.store_id
    where
        not orders.is_return
        and orders.ordered_at
        >= cast(store_dates.cutoff_date as {{ api.Column.translate_type('timestamp') }})
        and orders.ordered_at
        < cast(store_dates.as_of_date as {{ api.Column.translate_type('timestamp') }})
    group by orders.store_id, orders.customer_id

),

split as (

    select
        calibration.*,
        store_dates.as_of_date,
        {{ dbt.datediff('calibration.cutoff_date', 'store_dates.as_of_date', 'day') }}
            as holdout_days,
        coalesce(holdout.holdout_orders, 0) as holdout_orders,
        cast(coalesce(holdout.holdout_spend, 0) as {{ money_type() }}) as holdout_spend
    from calibration
    inner join store_dates
        on calibration.store_id = store_dates.store_id
    left join holdout
        on
            calibration.store_id = holdout.store_id
            and calibration.customer_id = holdout.customer_id

)

select * from split

{#- The month spine has no gaps and no overhang: per store, the report's months run from the
    month of the first order to that of the last, each month once and as its first day, so the
    number of rows is the number of months between them plus one. Fails with the stores where
    that does not hold. -#}
with

monthly_sales as (

    select * from {{ ref('rpt_monthly_sales') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

reported as (

    select
        store_id,
        min(order_month) as first_month,
        max(order_month) as last_month,
        count(*) as months,
        count(distinct order_month) as distinct_months,
        count(
            case
                when order_month <> cast({{ dbt.date_trunc('month', 'order_month') }} as date)
                    then 1
            end
        ) as months_not_on_first_day
    from monthly_sales
    group by store_id

),

store_months as (

    select
        store_id,
        cast({{ dbt.date_trunc('month', 'min(ordered_at)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'max(ordered_at)') }} as date) as last_month
    from orders
    group by store_id

),

expected as (

    select
        store_id,
        first_month,
        last_month,
        {{ dbt.datediff('first_month', 'last_month', 'month') }}
        + 1 as months
    from store_months

),

compared as (

    select
        expected.store_id,
        expected.first_month as expected_first_month,
        expected.last_month as expected_last_month,
        expected.months as expected_months,
        reported.first_month,
        reported.last_month,
        reported.months,
        reported.distinct_months,
        reported.months_not_on_first_day
    from expected
    left join reported
        on expected.store_id = reported.store_id

)

select * from compared
where
    first_month is null
    or first_month <> expected_first_month
    or last_month <> expected_last_month
    or months <> expected_months
    or distinct_months <> expected_months
    or months_not_on_first_day > 0

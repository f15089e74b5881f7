{{ config(materialized="table", schema="semantic") }}

-- One row per day from 2009 to 2030: the time spine MetricFlow joins metrics to.
with

days as (

    {{ dbt.date_spine(
        datepart="day",
        start_date="cast('2009-01-01' as date)",
        end_date="cast('2031-01-01' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final

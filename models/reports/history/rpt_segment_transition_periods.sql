with

transition_summary as (

    select * from {{ ref('rpt_segment_transition_summary') }}

),

-- A pair of as-of dates spans one calendar month when it runs from a month's first day to the
-- next month's; the last pair, to the day after a store's last order, is often shorter.
periods as (

    select
        store_id,
        from_as_of_date,
        to_as_of_date,
        cast(
            {{ dbt.datediff('from_as_of_date', 'to_as_of_date', 'day') }}
            as integer
        ) as period_days,
        coalesce(
            from_as_of_date = cast({{ dbt.date_trunc('month', 'from_as_of_date') }} as date)
            and to_as_of_date = cast({{ dbt.dateadd('month', 1, 'from_as_of_date') }} as date),
            false
        ) as is_complete_month,
        customers,
        entered_customers,
        stayed_share,
        improved_share,
        declined_share
    from transition_summary

)

select * from periods

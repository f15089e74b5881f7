{#- Every pair of consecutive as-of dates of the history, and no other, is in
    rpt_segment_transitions, holding each customer of the later date once (those of the earlier
    date are rpt_segment_transition_summary's customers); their revenue is the growth of
    monetary between the two dates. Fails with the store, pair and figures that differ. -#}
with

history_totals as (

    select
        store_id,
        as_of_date,
        count(*) as customers,
        sum(monetary) as monetary
    from {{ ref('fct_customer_segment_history') }}
    group by store_id, as_of_date

),

history_dates as (

    select
        store_id,
        lag(as_of_date) over (partition by store_id order by as_of_date) as from_as_of_date,
        as_of_date as to_as_of_date
    from history_totals

),

history_pairs as (

    select * from history_dates
    where from_as_of_date is not null

),

transition_totals as (

    select
        store_id,
        from_as_of_date,
        to_as_of_date,
        sum(customers) as customers,
        sum(revenue) as revenue
    from {{ ref('rpt_segment_transitions') }}
    group by store_id, from_as_of_date, to_as_of_date

),

summary as (

    select * from {{ ref('rpt_segment_transition_summary') }}

),

compared as (

    select
        coalesce(history_pairs.store_id, transition_totals.store_id) as store_id,
        coalesce(history_pairs.from_as_of_date, transition_totals.from_as_of_date)
            as from_as_of_date,
        coalesce(history_pairs.to_as_of_date, transition_totals.to_as_of_date) as to_as_of_date,
        transition_totals.customers as transition_customers,
        to_history.customers as history_customers,
        summary.customers as summary_customers,
        from_history.customers as from_history_customers,
        transition_totals.revenue,
        to_history.monetary - from_history.monetary as monetary_growth
    from history_pairs
    full outer join transition_totals
        on
            history_pairs.store_id = transition_totals.store_id
            and history_pairs.from_as_of_date = transition_totals.from_as_of_date
            and history_pairs.to_as_of_date = transition_totals.to_as_of_date
    left join history_totals as to_history
        on
            history_pairs.store_id = to_history.store_id
            and history_pairs.to_as_of_date = to_history.as_of_date
    left join history_totals as from_history
        on
            history_pairs.store_id = from_history.store_id
            and history_pairs.from_as_of_date = from_history.as_of_date
    left join summary
        on
            history_pairs.store_id = summary.store_id
            and history_pairs.from_as_of_date = summary.from_as_of_date
            and history_pairs.to_as_of_date = summary.to_as_of_date

)

select * from compared
where
    transition_customers is null
    or history_customers is null
    or transition_customers <> history_customers
    or summary_customers is null
    or summary_customers <> from_history_customers
    or revenue <> monetary_growth

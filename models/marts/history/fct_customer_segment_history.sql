{#- Every customer's RFM scores and segment at every as-of date of the spine (int_as_of_dates):
    the values of int_customer_values at each date, scored against the store's customers at that
    date; the last date is fct_customer_rfm's rows. Incremental on DuckDB: a complete month's
    scores never change, so a run deletes each store's latest stored date (pre-hook) and scores
    it and any later one again. `--full-refresh` scores every date. On other targets it is a
    table: Spark's Parquet tables cannot delete rows. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    on_schema_change='fail',
    pre_hook="{{ delete_each_stores_latest('as_of_date') }}",
) }}

with

customer_values as (

    select * from {{ ref('int_customer_values') }}

),

as_of_dates as (

    select * from {{ ref('int_as_of_dates') }}

),

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

-- All dates, or on an incremental run those after each store's latest stored date.
dates_to_score as (

    select as_of_dates.*
    from as_of_dates
    {{ after_each_stores_latest('as_of_dates', 'as_of_date') }}

),

last_dates as (

    select
        store_id,
        max(as_of_date_index) as as_of_date_index
    from as_of_dates
    group by store_id

),

-- Each store's first date to score: the rows of values end up expanded from it on.
first_dates_to_score as (

    select
        store_id,
        min(as_of_date_index) as as_of_date_index
    from dates_to_score
    group by store_id

),

-- Each row of values holds from its date to the customer's next row (or the last date).
value_ranges as (

    select
        customer_values.store_id,
        customer_values.customer_id,
        customer_values.frequency,
        customer_values.monetary,
        customer_values.last_purchase_at,
        as_of_dates.as_of_date_index as first_index,
        coalesce(
            lead(as_of_dates.as_of_date_index) over (
                partition by customer_values.store_id, customer_values.customer_id
                order by as_of_dates.as_of_date_index
            ),
            last_dates.as_of_date_index + 1
        ) as end_index
    from customer_values
    inner join as_of_dates
        on
            customer_values.store_id = as_of_dates.store_id
            and customer_values.from_as_of_date = as_of_dates.as_of_date
    inner join last_dates
        on customer_values.store_id = last_dates.store_id
    where customer_values.frequency > 0

),

-- One row per customer and date to score that their values hold at: an equi-join on the
-- date's index below, not a range join.
value_dates as (

    select
        value_ranges.store_id,
        value_ranges.customer_id,
        value_ranges.frequency,
        value_ranges.monetary,
        value_ranges.last_purchase_at,
        {{ unnest_index_range(
            'greatest(value_ranges.first_index, first_dates_to_score.as_of_date_index)',
            'value_ranges.end_index',
        ) }} as as_of_date_index
    from value_ranges
    inner join first_dates_to_score
        on value_ranges.store_id = first_dates_to_score.store_id
    where value_ranges.end_index > first_dates_to_score.as_of_date_index

),

-- The earlier dates to score (the last date is fct_customer_rfm's). The scoring reads them
-- twice (the cut points, then the scores): each computes them rather than store them whole.
earlier_values as {{ not_materialized() }} (

    select
        value_dates.store_id,
        value_dates.customer_id,
        dates_to_score.as_of_date,
        value_dates.frequency,
        value_dates.monetary,
        {{ rfm_recency_days('value_dates.last_purchase_at', 'dates_to_score.as_of_date') }}
            as recency_days
    from value_dates
    inner join dates_to_score
        on
            value_dates.store_id = dates_to_score.store_id
            and value_dates.as_of_date_index = dates_to_score.as_of_date_index
    where not dates_to_score.is_rfm_as_of_date

),

scored as (

    {{ rfm_scores('earlier_values') }}

),

earlier_segments as (

    select
        scored.store_id,
        scored.customer_id,
        scored.as_of_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ rfm_cell('scored.r_score', 'scored.f_score', 'scored.m_score') }} as rfm_cell,
        segment_map.segment
    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score

),

last_segments as (

    select
        customer_rfm.store_id,
        customer_rfm.customer_id,
        customer_rfm.as_of_date,
        customer_rfm.recency_days,
        customer_rfm.frequency,
        customer_rfm.monetary,
        customer_rfm.r_score,
        customer_rfm.f_score,
        customer_rfm.m_score,
        customer_rfm.rfm_cell,
        customer_rfm.segment
    from customer_rfm
    inner join dates_to_score
        on
            customer_rfm.store_id = dates_to_score.store_id
            and customer_rfm.as_of_date = dates_to_score.as_of_date

),

segment_history as (

    select * from earlier_segments
    union all
    select * from last_segments

)

select * from segment_history

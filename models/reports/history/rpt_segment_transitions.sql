{#- Incremental on DuckDB, as fct_customer_segment_history: a run deletes each store's latest
    pair (its later date is the one the history scores again) and computes it and any later
    pair. `--full-refresh` computes every pair. On other targets it is a table. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    on_schema_change='fail',
    pre_hook="{{ delete_each_stores_latest('to_as_of_date') }}",
) }}

with

segment_history as (

    select * from {{ ref('fct_customer_segment_history') }}

),

segment_ranks as (

    select
        segment,
        segment_rank
    from {{ ref('segment_actions') }}
    where segmentation = 'rfm_segment'

),

store_as_of_dates as (

    select distinct
        store_id,
        as_of_date
    from segment_history

),

-- Each store's as-of dates and the one before; customers never leave the history (a customer
-- scored at one date has bought before every later one), so each pair's customers at the
-- earlier date are all there at the later one.
previous_as_of_dates as (

    select
        store_id,
        lag(as_of_date) over (partition by store_id order by as_of_date) as from_as_of_date,
        as_of_date as to_as_of_date
    from store_as_of_dates

),

as_of_date_pairs as (

    select * from previous_as_of_dates
    where from_as_of_date is not null

),

-- The pairs this run computes: all of them, or on an incremental run those after each store's
-- latest stored pair (the pre-hook has just deleted the one it had before).
pairs_to_compute as (

    select as_of_date_pairs.*
    from as_of_date_pairs
    {{ after_each_stores_latest('as_of_date_pairs', 'to_as_of_date') }}

),

to_history as (

    select
        segment_history.store_id,
        segment_history.customer_id,
        pairs_to_compute.from_as_of_date,
        pairs_to_compute.to_as_of_date,
        segment_history.segment,
        segment_history.monetary
    from segment_history
    inner join pairs_to_compute
        on
            segment_history.store_id = pairs_to_compute.store_id
            and segment_history.as_of_date = pairs_to_compute.to_as_of_date

),

from_history as (

    select
        segment_history.store_id,
        segment_history.customer_id,
        segment_history.as_of_date,
        segment_history.segment,
        segment_history.monetary
    from segment_history
    inner join pairs_to_compute
        on
            segment_history.store_id = pairs_to_compute.store_id
            and segment_history.as_of_date = pairs_to_compute.from_as_of_date

),

customer_moves as (

    select
        to_history.store_id,
        to_history.from_as_of_date,
        to_history.to_as_of_date,
        coalesce(from_history.segment, 'Not yet a customer') as from_segment,
        to_history.segment as to_segment,
        from_history.customer_id is null as is_new,
        -- Monetary counts purchases before each date, so the difference is those in between.
        to_history.monetary - coalesce(from_history.monetary, 0) as revenue
    from to_history
    left join from_history
        on
            to_history.store_id = from_history.store_id
            and to_history.customer_id = from_history.customer_id
            and to_history.from_as_of_date = from_history.as_of_date

),

transitions as (

    select
        store_id,
        from_as_of_date,
        to_as_of_date,
        from_segment,
        to_segment,
        is_new,
        count(*) as customers,
        cast(sum(revenue) as {{ money_type() }}) as revenue
    from customer_moves
    group by store_id, from_as_of_date, to_as_of_date, from_segment, to_segment, is_new

),

-- Better or worse by the seed's segment_rank (1 = best).
classified as (

    select
        transitions.store_id,
        transitions.from_as_of_date,
        transitions.to_as_of_date,
        transitions.from_segment,
        transitions.to_segment,
        case
            when transitions.is_new then 'entered'
            when transitions.from_segment = transitions.to_segment then 'stayed'
            when to_ranks.segment_rank < from_ranks.segment_rank then 'improved'
            when to_ranks.segment_rank > from_ranks.segment_rank then 'declined'
        end as movement,
        transitions.customers,
        transitions.revenue
    from transitions
    left join segment_ranks as from_ranks
        on transitions.from_segment = from_ranks.segment
    left join segment_ranks as to_ranks
        on transitions.to_segment = to_ranks.segment

)

select * from classified

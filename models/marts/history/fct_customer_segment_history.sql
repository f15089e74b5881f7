{#- Incremental on DuckDB: a complete month's scores never change, so a run keeps every stored
    as-of date but each store's latest (the month still open when it was scored), deletes that
    one (pre-hook) and scores it and any later date again. `--full-refresh` scores every date.
    On other targets it is a table: Spark's Parquet tables cannot delete rows. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    on_schema_change='fail',
    pre_hook="{{ delete_each_stores_latest('as_of_date') }}",
) }}

{%- set as_of_dates = segment_history_as_of_dates() -%}
{%- set timestamp_type = api.Column.translate_type('timestamp') -%}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

-- The last as-of date is each store's fct_customer_rfm as-of date (computed the same way).
store_bounds as (

    select
        store_id,
        cast({{ dbt.date_trunc('month', 'min(ordered_at)') }} as date) as first_month,
        cast(min(ordered_at) as date) as first_order_date,
        {{ rfm_store_as_of_date('max(ordered_at)') }} as last_as_of_date
    from orders
    group by store_id

),

{% if as_of_dates == 'monthly' %}
    -- 1200 months (a century) is the same fixed run of offsets as rpt_monthly_sales' spine.
    month_offsets as (

        {{ dbt.generate_series(1200) }}

    ),

    listed_as_of_dates as (

        select
            store_bounds.store_id,
            cast({{ dbt.dateadd(
                'month', 'month_offsets.generated_number', 'store_bounds.first_month'
            ) }} as date) as as_of_date
        from store_bounds
        cross join month_offsets
        where
            {{ dbt.dateadd(
                'month', 'month_offsets.generated_number', 'store_bounds.first_month'
            ) }} < store_bounds.last_as_of_date
        union all
        select
            store_id,
            last_as_of_date as as_of_date
        from store_bounds

    ),
{% else %}
    listed_as_of_dates as (

        select
            store_bounds.store_id,
            listed.as_of_date
        from store_bounds
        cross join (
            {% for as_of_date in as_of_dates -%}
                select cast('{{ as_of_date }}' as date) as as_of_date
                {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as listed

    ),
{% endif %}

-- Each as-of date closes a period that starts at the previous one (the first at the store's
-- first order): an order counts from the as-of date that closes its period onwards. The key
-- stands for the store and date in the scoring windows.
as_of_dates as (

    select
        listed_as_of_dates.store_id,
        listed_as_of_dates.as_of_date,
        coalesce(
            lag(listed_as_of_dates.as_of_date) over (
                partition by listed_as_of_dates.store_id order by listed_as_of_dates.as_of_date
            ),
            store_bounds.first_order_date
        ) as period_start,
        row_number() over (
            order by listed_as_of_dates.store_id, listed_as_of_dates.as_of_date
        ) as as_of_date_key
    from listed_as_of_dates
    inner join store_bounds
        on listed_as_of_dates.store_id = store_bounds.store_id

),

-- The as-of dates this run scores: all of them, or on an incremental run those after each
-- store's latest stored date (the pre-hook has just deleted the one it had before).
as_of_dates_to_score as (

    select as_of_dates.*
    from as_of_dates
    {{ after_each_stores_latest('as_of_dates', 'as_of_date') }}

),

-- Purchase orders (returns do not count). The as-of dates are days, so the day of an order
-- decides where it counts, and recency needs only the day of the last one.
purchases as (

    select
        store_id,
        customer_id,
        cast(ordered_at as date) as order_date,
        amount
    from orders
    where not is_return

),

-- The period of each day with orders, found on the few days rather than on every order.
order_dates as (

    select distinct
        store_id,
        order_date
    from purchases

),

order_date_periods as (

    select
        order_dates.store_id,
        order_dates.order_date,
        as_of_dates.as_of_date as period_end
    from order_dates
    inner join as_of_dates
        on
            order_dates.store_id = as_of_dates.store_id
            and order_dates.order_date >= as_of_dates.period_start
            and order_dates.order_date < as_of_dates.as_of_date

),

-- One row per customer and period they bought in, however many as-of dates follow.
period_purchases as (

    select
        purchases.store_id,
        purchases.customer_id,
        order_date_periods.period_end,
        count(*) as orders,
        sum(purchases.amount) as amount,
        max(purchases.order_date) as last_purchase_date
    from purchases
    inner join order_date_periods
        on
            purchases.store_id = order_date_periods.store_id
            and purchases.order_date = order_date_periods.order_date
    group by purchases.store_id, purchases.customer_id, order_date_periods.period_end

),

-- Running totals: a customer's values at the end of each period they bought in, which hold
-- until the end of the next period they buy in.
running_values as (

    select
        store_id,
        customer_id,
        period_end,
        lead(period_end) over (
            partition by store_id, customer_id order by period_end
        ) as next_period_end,
        last_purchase_date,
        sum(orders) over (
            partition by store_id, customer_id order by period_end
            rows between unbounded preceding and current row
        ) as frequency,
        sum(amount) over (
            partition by store_id, customer_id order by period_end
            rows between unbounded preceding and current row
        ) as monetary
    from period_purchases

),

-- Only the columns the scores need, so that the windows below sort as little as possible.
customer_values as (

    select
        as_of_dates_to_score.as_of_date_key,
        running_values.customer_id,
        cast(running_values.frequency as bigint) as frequency,
        cast(running_values.monetary as {{ money_type() }}) as monetary,
        {{ rfm_recency_days(
            'running_values.last_purchase_date', 'as_of_dates_to_score.as_of_date'
        ) }} as recency_days
    from running_values
    inner join as_of_dates_to_score
        on
            running_values.store_id = as_of_dates_to_score.store_id
            and running_values.period_end <= as_of_dates_to_score.as_of_date
            and (
                running_values.next_period_end is null
                or running_values.next_period_end > as_of_dates_to_score.as_of_date
            )

),

-- Scored against the store's customers at the same as-of date, as fct_customer_rfm scores.
scored as (

    {{ rfm_scores('customer_values', partition_by=['as_of_date_key']) }}

),

segmented as (

    select
        as_of_dates_to_score.store_id,
        scored.customer_id,
        as_of_dates_to_score.as_of_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ rfm_cell('scored.r_score', 'scored.f_score', 'scored.m_score') }} as rfm_cell,
        segment_map.segment
    from scored
    inner join as_of_dates_to_score
        on scored.as_of_date_key = as_of_dates_to_score.as_of_date_key
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score

)

select * from segmented

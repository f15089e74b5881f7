with

customer_values as (

    select * from {{ ref('int_customer_values') }}

),

as_of_dates as (

    select * from {{ ref('int_as_of_dates') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

store_as_of_dates as (

    select
        store_id,
        as_of_date
    from as_of_dates
    where is_rfm_as_of_date

),

latest_dates as (

    select
        store_id,
        customer_id,
        max(from_as_of_date) as from_as_of_date
    from customer_values
    group by store_id, customer_id

),

-- Each customer's values at the store's RFM as-of date: their latest row (int_customer_values
-- has no row after that date). A customer whose only orders are returns has nothing to score.
latest_values as (

    select
        customer_values.store_id,
        customer_values.customer_id,
        store_as_of_dates.as_of_date,
        customer_values.last_purchase_at,
        customer_values.frequency,
        customer_values.monetary,
        customer_values.returned_amount,
        {{ rfm_recency_days('customer_values.last_purchase_at', 'store_as_of_dates.as_of_date') }}
            as recency_days
    from customer_values
    inner join latest_dates
        on
            customer_values.store_id = latest_dates.store_id
            and customer_values.customer_id = latest_dates.customer_id
            and customer_values.from_as_of_date = latest_dates.from_as_of_date
    inner join store_as_of_dates
        on customer_values.store_id = store_as_of_dates.store_id
    where customer_values.frequency > 0

),

-- The marketing groups count the purchase orders of the year before the as-of date.
orders_in_last_year as (

    select
        orders.store_id,
        orders.customer_id,
        count(*) as orders_in_last_year
    from orders
    inner join store_as_of_dates
        on orders.store_id = store_as_of_dates.store_id
    where
        not orders.is_return
        and orders.ordered_at >= cast(
            {{ dbt.dateadd('day', -var('marketing_year_days'), 'store_as_of_dates.as_of_date') }}
            as {{ api.Column.translate_type('timestamp') }}
        )
        and orders.ordered_at
        < cast(store_as_of_dates.as_of_date as {{ api.Column.translate_type('timestamp') }})
    group by orders.store_id, orders.customer_id

),

-- Scored within each store (macro rfm_scores, shared with fct_customer_segment_history).
scored as (

    {{ rfm_scores('latest_values') }}

),

segmented as (

    select
        scored.store_id,
        scored.customer_id,
        scored.as_of_date,
        scored.last_purchase_at,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.returned_amount,
        cast(scored.monetary - scored.returned_amount as {{ money_type() }}) as net_monetary,
        coalesce(orders_in_last_year.orders_in_last_year, 0) as orders_in_last_year,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ rfm_cell('scored.r_score', 'scored.f_score', 'scored.m_score') }} as rfm_cell,
        scored.r_score + scored.f_score + scored.m_score as rfm_score,
        segment_map.segment,
        -- The six groups as worded leave gaps and overlaps; this order settles them (docs).
        {{ marketing_group(
            'scored.recency_days', 'coalesce(orders_in_last_year.orders_in_last_year, 0)'
        ) }} as marketing_group
    from scored
    left join orders_in_last_year
        on
            scored.store_id = orders_in_last_year.store_id
            and scored.customer_id = orders_in_last_year.customer_id
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score

)

select * from segmented

with

orders as (

    select * from {{ ref('fct_orders') }}

),

segment_map as (

    select * from {{ ref('rfm_segment_map') }}

),

store_as_of_dates as (

    select
        store_id,
        {{ rfm_store_as_of_date('max(ordered_at)') }} as as_of_date
    from orders
    group by store_id

),

-- Orders placed before the as-of date; later ones do not exist as far as the scores know.
scored_orders as (

    select
        orders.store_id,
        orders.customer_id,
        orders.ordered_at,
        orders.amount,
        orders.is_return,
        store_as_of_dates.as_of_date,
        orders.ordered_at >= cast(
            {{ dbt.dateadd('day', -var('marketing_year_days'), 'store_as_of_dates.as_of_date') }}
            as {{ api.Column.translate_type('timestamp') }}
        ) as is_in_last_year
    from orders
    inner join store_as_of_dates
        on orders.store_id = store_as_of_dates.store_id
    where
        orders.ordered_at
        < cast(store_as_of_dates.as_of_date as {{ api.Column.translate_type('timestamp') }})

),

customer_values as (

    select
        store_id,
        customer_id,
        as_of_date,
        max(case when not is_return then ordered_at end) as last_purchase_at,
        count(case when not is_return then 1 end) as frequency,
        cast(sum(case when not is_return then amount else 0 end) as {{ money_type() }}) as monetary,
        cast(-sum(case when is_return then amount else 0 end) as {{ money_type() }})
            as returned_amount,
        count(case when not is_return and is_in_last_year then 1 end) as orders_in_last_year
    from scored_orders
    group by store_id, customer_id, as_of_date
    -- A customer whose only orders are returns has nothing to score.
    having count(case when not is_return then 1 end) > 0

),

with_recency as (

    select
        *,
        {{ rfm_recency_days('last_purchase_at', 'as_of_date') }} as recency_days
    from customer_values

),

-- Scored within each store (macro rfm_scores, shared with fct_customer_segment_history).
scored as (

    {{ rfm_scores('with_recency') }}

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
        scored.orders_in_last_year,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        {{ rfm_cell('scored.r_score', 'scored.f_score', 'scored.m_score') }} as rfm_cell,
        scored.r_score + scored.f_score + scored.m_score as rfm_score,
        segment_map.segment,
        -- The six groups as worded leave gaps and overlaps; this order settles them (README).
        case
            when
                scored.recency_days <= {{ var('marketing_recent_days') }}
                and scored.orders_in_last_year >= {{ var('marketing_vip_min_orders') }}
                then 'VIPs'
            when
                scored.recency_days <= {{ var('marketing_recent_days') }}
                and scored.orders_in_last_year >= {{ var('marketing_loyal_min_orders') }}
                then 'Potential loyalists'
            when scored.orders_in_last_year >= {{ var('marketing_loyal_min_orders') }}
                then 'Good old friends'
            when scored.orders_in_last_year = 2
                then 'Need to focus'
            when scored.recency_days <= {{ var('marketing_new_days') }}
                then 'New customers'
            else 'Hibernating'
        end as marketing_group
    from scored
    left join segment_map
        on
            scored.r_score = segment_map.r_score
            and scored.f_score = segment_map.f_score

)

select * from segmented

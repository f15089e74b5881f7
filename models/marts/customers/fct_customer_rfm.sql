{%- set as_of_date = rfm_as_of_date_literal() -%}
{%- set scoring_method = rfm_scoring_method() -%}

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
        {% if as_of_date is none -%}
            cast({{ dbt.dateadd('day', 1, 'cast(max(ordered_at) as date)') }} as date)
        {%- else -%}
            {{ as_of_date }}
        {%- endif %} as as_of_date
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
        cast(
            -- dbt's datediff renders to one long line.
            {{ dbt.datediff('cast(last_purchase_at as date)', 'as_of_date', 'day') }} as integer  -- noqa: LT05
        ) as recency_days
    from customer_values

),

{% if scoring_method == 'ntile' %}
-- Equal-sized fifths within each store, 5 = best. Ties are split by customer id: when equal
-- values straddle a fifth's boundary, lower ids get the lower score.
    scored as (

        select
            *,
            cast(ntile(5) over (
                partition by store_id order by recency_days desc, customer_id asc
            ) as integer) as r_score,
            cast(ntile(5) over (
                partition by store_id order by frequency, customer_id
            ) as integer) as f_score,
            cast(ntile(5) over (
                partition by store_id order by monetary, customer_id
            ) as integer) as m_score
        from with_recency

    ),
{% else %}
-- Cut points at each store's 20th, 40th, 60th and 80th percentiles: a value scores one more
-- for every cut point it is better than, so equal values always share a score.
store_cut_points as (

    select
        store_id,
        {% for fraction in [0.2, 0.4, 0.6, 0.8] -%}
            {%- set suffix = '_p' ~ (fraction * 100) | int -%}
            {{ quantile('recency_days', fraction) }} as recency{{ suffix }},
            {{ quantile('frequency', fraction) }} as frequency{{ suffix }},
            {{ quantile('monetary', fraction) }} as monetary{{ suffix }}{{ ',' if not loop.last }}
        {% endfor %}
    from with_recency
    group by store_id

),

scored as (

    select
        with_recency.*,
        {{ score_by_cut_points('with_recency.recency_days', 'store_cut_points.recency', '<') }}
            as r_score,
        {{ score_by_cut_points('with_recency.frequency', 'store_cut_points.frequency', '>') }}
            as f_score,
        {{ score_by_cut_points('with_recency.monetary', 'store_cut_points.monetary', '>') }}
            as m_score
    from with_recency
    inner join store_cut_points
        on with_recency.store_id = store_cut_points.store_id

),
{% endif %}

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
        {{ dbt.concat([
            'cast(scored.r_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.f_score as ' ~ dbt.type_string() ~ ')',
            'cast(scored.m_score as ' ~ dbt.type_string() ~ ')',
        ]) }} as rfm_cell,
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

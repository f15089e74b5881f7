with

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

segment_actions as (

    select * from {{ ref('segment_actions') }}

),

-- Each customer once per scheme: their rule-based segment and their marketing group.
customer_groups as (

    select
        store_id,
        'rfm_segment' as segmentation,
        segment,
        recency_days,
        frequency,
        monetary
    from customer_rfm
    union all
    select
        store_id,
        'marketing_group' as segmentation,
        marketing_group as segment,
        recency_days,
        frequency,
        monetary
    from customer_rfm

),

stores as (

    select distinct store_id from customer_rfm

),

-- Every segment of both schemes for every store, so that an empty one shows as empty.
store_segments as (

    select
        stores.store_id,
        segment_actions.segmentation,
        segment_actions.segment,
        segment_actions.segment_order,
        segment_actions.description,
        segment_actions.recommended_action
    from stores
    cross join segment_actions

),

segment_figures as (

    select
        store_id,
        segmentation,
        segment,
        count(*) as customers,
        sum(frequency) as orders,
        sum(monetary) as revenue,
        {{ median('recency_days') }} as median_recency_days,
        avg(recency_days) as mean_recency_days,
        {{ median('frequency') }} as median_frequency,
        avg(frequency) as mean_frequency,
        {{ median('monetary') }} as median_monetary,
        {{ decimal_mean('monetary') }} as mean_monetary
    from customer_groups
    group by store_id, segmentation, segment

),

store_totals as (

    select
        store_id,
        count(*) as customers,
        sum(monetary) as revenue
    from customer_rfm
    group by store_id

),

summary as (

    select
        store_segments.store_id,
        store_segments.segmentation,
        store_segments.segment,
        store_segments.segment_order,
        coalesce(segment_figures.customers, 0) as customers,
        cast(coalesce(segment_figures.customers, 0) as double) / store_totals.customers
            as share_of_customers,
        cast(coalesce(segment_figures.revenue, 0) as {{ money_type() }}) as revenue,
        -- Divided as doubles: decimal / decimal is a double on DuckDB but a decimal rounded
        -- to 10 places on Spark.
        cast(coalesce(segment_figures.revenue, 0) as double) / cast(store_totals.revenue as double)
            as share_of_revenue,
        cast(coalesce(segment_figures.orders, 0) as bigint) as orders,
        cast(segment_figures.median_recency_days as double) as median_recency_days,
        cast(segment_figures.mean_recency_days as double) as mean_recency_days,
        cast(segment_figures.median_frequency as double) as median_frequency,
        cast(segment_figures.mean_frequency as double) as mean_frequency,
        cast(segment_figures.median_monetary as double) as median_monetary,
        cast(segment_figures.mean_monetary as double) as mean_monetary,
        store_segments.description,
        store_segments.recommended_action
    from store_segments
    inner join store_totals
        on store_segments.store_id = store_totals.store_id
    left join segment_figures
        on
            store_segments.store_id = segment_figures.store_id
            and store_segments.segmentation = segment_figures.segmentation
            and store_segments.segment = segment_figures.segment

)

select * from summary

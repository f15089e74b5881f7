{#- The one as-of-date spine of every customer-level model: per store, the dates at which
    customers are scored (var segment_history_as_of_dates: the 1st of every month after the
    store's first order, or listed dates) before its RFM as-of date, and that date last. Each
    date closes a period that starts at the date before (the first at the store's first
    order); an order counts from the date that closes its period on. -#}
{%- set history_dates = segment_history_as_of_dates() -%}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

store_bounds as (

    select
        store_id,
        cast({{ dbt.date_trunc('month', 'min(ordered_at)') }} as date) as first_month,
        cast(min(ordered_at) as date) as first_order_date,
        {{ rfm_store_as_of_date('max(ordered_at)') }} as rfm_as_of_date
    from orders
    group by store_id

),

{% if history_dates == 'monthly' %}
    -- 1200 months (a century) is the same fixed run of offsets as rpt_monthly_sales' spine.
    month_offsets as (

        {{ dbt.generate_series(1200) }}

    ),

    earlier_dates as (

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
            ) }} < store_bounds.rfm_as_of_date

    ),
{% else %}
    earlier_dates as (

        select
            store_bounds.store_id,
            listed.as_of_date
        from store_bounds
        cross join (
            {% for as_of_date in history_dates -%}
                select cast('{{ as_of_date }}' as date) as as_of_date
                {% if not loop.last %}union all{% endif %}
            {% endfor %}
        ) as listed
        where listed.as_of_date < store_bounds.rfm_as_of_date

    ),
{% endif %}

all_dates as (

    select
        store_id,
        as_of_date
    from earlier_dates
    union all
    select
        store_id,
        rfm_as_of_date as as_of_date
    from store_bounds

),

spine as (

    select
        all_dates.store_id,
        all_dates.as_of_date,
        cast(row_number() over (
            partition by all_dates.store_id order by all_dates.as_of_date
        ) as integer) as as_of_date_index,
        coalesce(
            lag(all_dates.as_of_date) over (
                partition by all_dates.store_id order by all_dates.as_of_date
            ),
            store_bounds.first_order_date
        ) as period_start,
        all_dates.as_of_date = store_bounds.rfm_as_of_date as is_rfm_as_of_date
    from all_dates
    inner join store_bounds
        on all_dates.store_id = store_bounds.store_id

)

select * from spine

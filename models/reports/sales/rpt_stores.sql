{#- The var `stores` names each store and its currency; checked here, so that a mistake names
    the var and the store. -#}
{%- set stores = var('stores') -%}
{%- if stores is not mapping or not stores -%}
    {{ exceptions.raise_compiler_error(
        "var stores (rpt_stores) must map each store id to its name, currency and"
        ~ " currency_symbol; got '" ~ stores ~ "'."
    ) }}
{%- endif -%}
{%- for store_id, store in stores.items() -%}
    {%- if store is not mapping
        or store.get('name') is not string
        or store.get('currency') is not string
        or not modules.re.fullmatch('[A-Z]{3}', store.get('currency'))
        or store.get('currency_symbol') is not string -%}
        {{ exceptions.raise_compiler_error(
            "var stores (rpt_stores): store '" ~ store_id ~ "' needs a name, a currency (an"
            ~ " ISO 4217 code such as GBP) and a currency_symbol (such as £); got '" ~ store ~ "'."
        ) }}
    {%- endif -%}
{%- endfor -%}

with

store_summary as (

    select * from {{ ref('rpt_store_summary') }}

),

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

rfm_cells as (

    select * from {{ ref('rpt_rfm_cells') }}

),

store_settings as (

    {% for store_id, store in stores.items() %}
        select
            '{{ dbt.escape_single_quotes(store_id) }}' as store_id,
            '{{ dbt.escape_single_quotes(store.name) }}' as store_name,
            '{{ store.currency }}' as currency,
            '{{ dbt.escape_single_quotes(store.currency_symbol) }}' as currency_symbol
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- The first and last calendar months the store's orders cover from their first day to their
-- last: the first order's month if it was placed on the 1st, else the month after; the last
-- order's month if it was placed on the month's last day, else the month before.
store_months as (

    select
        store_id,
        first_order_at,
        last_order_at,
        cast({{ dbt.date_trunc('month', 'first_order_at') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'last_order_at') }} as date) as last_month,
        cast(first_order_at as date) as first_order_date,
        cast(last_order_at as date) as last_order_date
    from store_summary

),

complete_months as (

    select
        store_id,
        first_order_at,
        last_order_at,
        case
            when first_order_date = first_month then first_month
            else cast({{ dbt.dateadd('month', 1, 'first_month') }} as date)
        end as first_complete_month,
        case
            when last_order_date = cast({{ dbt.last_day('last_month', 'month') }} as date)
                then last_month
            else cast({{ dbt.dateadd('month', -1, 'last_month') }} as date)
        end as last_complete_month
    from store_months

),

rfm_as_of_dates as (

    select
        store_id,
        max(as_of_date) as rfm_as_of_date,
        count(*) as scored_customers
    from customer_rfm
    group by store_id

),

cell_counts as (

    select
        store_id,
        count(case when customers > 0 then 1 end) as rfm_cells_with_customers,
        count(case when is_large_enough_to_act_on then 1 end) as rfm_cells_large_enough_to_act_on
    from rfm_cells
    group by store_id

),

stores as (

    select
        complete_months.store_id,
        store_settings.store_name,
        store_settings.currency,
        store_settings.currency_symbol,
        complete_months.first_order_at,
        complete_months.last_order_at,
        complete_months.first_complete_month,
        complete_months.last_complete_month,
        rfm_as_of_dates.rfm_as_of_date,
        cast(coalesce(rfm_as_of_dates.scored_customers, 0) as bigint) as scored_customers,
        cast(coalesce(cell_counts.rfm_cells_with_customers, 0) as bigint)
            as rfm_cells_with_customers,
        cast(coalesce(cell_counts.rfm_cells_large_enough_to_act_on, 0) as bigint)
            as rfm_cells_large_enough_to_act_on,
        cast({{ var('rfm_min_cell_customers') }} as bigint) as rfm_min_cell_customers
    from complete_months
    left join store_settings
        on complete_months.store_id = store_settings.store_id
    left join rfm_as_of_dates
        on complete_months.store_id = rfm_as_of_dates.store_id
    left join cell_counts
        on complete_months.store_id = cell_counts.store_id

)

select * from stores

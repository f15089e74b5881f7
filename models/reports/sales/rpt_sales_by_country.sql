{%- set top_countries = var('top_countries') -%}
{%- if top_countries is not number or top_countries is boolean
    or top_countries != top_countries | int or top_countries < 1 -%}
    {{ exceptions.raise_compiler_error(
        "var top_countries (rpt_sales_by_country) must be a whole number of at least 1, got '"
        ~ top_countries ~ "'."
    ) }}
{%- endif -%}

with

orders as (

    select * from {{ ref('fct_orders') }}

),

country_orders as (

    select
        store_id,
        order_id,
        customer_id,
        coalesce(country, 'Unknown') as country,
        amount,
        is_return
    from orders

),

country_revenue as (

    select
        store_id,
        country,
        sum(amount) as revenue
    from country_orders
    group by store_id, country

),

-- Ties in revenue go to the first country name alphabetically, so the cut is the same every run.
ranked_countries as (

    select
        store_id,
        country,
        row_number() over (
            partition by store_id
            order by revenue desc, country asc
        ) as revenue_rank
    from country_revenue

),

country_groups as (

    select
        store_id,
        country,
        case
            when revenue_rank <= {{ top_countries }} then country
            else 'Other'
        end as country_group,
        case
            when revenue_rank <= {{ top_countries }} then revenue_rank
            else {{ top_countries + 1 }}
        end as country_rank
    from ranked_countries

),

grouped_orders as (

    select
        country_orders.store_id,
        country_groups.country_group,
        country_groups.country_rank,
        country_orders.country,
        country_orders.customer_id,
        country_orders.amount,
        country_orders.is_return
    from country_orders
    inner join country_groups
        on
            country_orders.store_id = country_groups.store_id
            and country_orders.country = country_groups.country

),

country_group_sales as (

    select
        store_id,
        country_group,
        country_rank,
        count(distinct country) as countries,
        count(case when not is_return then 1 end) as orders,
        count(distinct case when not is_return then customer_id end) as customers,
        sum(amount) as revenue
    from grouped_orders
    group by store_id, country_group, country_rank

),

store_revenue as (

    select
        store_id,
        sum(revenue) as revenue
    from country_group_sales
    group by store_id

),

sales_by_country as (

    select
        country_group_sales.store_id,
        cast(country_group_sales.country_group as {{ dbt.type_string() }}) as country,
        cast(country_group_sales.country_rank as integer) as country_rank,
        cast(country_group_sales.countries as bigint) as countries,
        cast(country_group_sales.orders as bigint) as orders,
        cast(country_group_sales.customers as bigint) as customers,
        cast(country_group_sales.revenue as {{ money_type() }}) as revenue,
        cast(country_group_sales.revenue as double)
        / nullif(cast(store_revenue.revenue as double), 0) as share_of_revenue
    from country_group_sales
    inner join store_revenue
        on country_group_sales.store_id = store_revenue.store_id

)

select * from sales_by_country

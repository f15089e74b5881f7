{#- The country report adds up to the orders and cuts at the right place: per store, the groups'
    revenue, purchase orders and countries equal those of fct_orders (a missing country counted
    as one, `Unknown`), their shares add up to 1, the ranks run 1, 2, ... without gaps, and there
    are min(countries, top_countries) named rows plus one `Other` row exactly when the store has
    more countries than `top_countries`, ranked last. Fails with the stores where any differs. -#}
{%- set top_countries = var('top_countries') -%}

with

sales_by_country as (

    select * from {{ ref('rpt_sales_by_country') }}

),

orders as (

    select * from {{ ref('fct_orders') }}

),

reported as (

    select
        store_id,
        sum(revenue) as revenue,
        sum(orders) as orders,
        sum(countries) as countries,
        sum(share_of_revenue) as share_of_revenue,
        count(*) as group_rows,
        max(country_rank) as max_rank,
        count(case when country = 'Other' then 1 end) as other_rows,
        max(case when country = 'Other' then country_rank end) as other_rank
    from sales_by_country
    group by store_id

),

expected as (

    select
        store_id,
        sum(amount) as revenue,
        count(case when not is_return then 1 end) as orders,
        count(distinct coalesce(country, 'Unknown')) as countries
    from orders
    group by store_id

),

compared as (

    select
        expected.store_id,
        expected.revenue as expected_revenue,
        expected.orders as expected_orders,
        expected.countries as expected_countries,
        reported.revenue,
        reported.orders,
        reported.countries,
        reported.share_of_revenue,
        reported.group_rows,
        reported.max_rank,
        reported.other_rows,
        reported.other_rank
    from expected
    left join reported
        on expected.store_id = reported.store_id

)

select * from compared
where
    revenue is null
    or revenue <> expected_revenue
    or orders <> expected_orders
    or countries <> expected_countries
    or abs(share_of_revenue - 1) > 1e-9
    or max_rank <> group_rows
    or (
        expected_countries > {{ top_countries }}
        and (
            group_rows <> {{ top_countries + 1 }}
            or other_rows <> 1
            or other_rank <> {{ top_countries + 1 }}
        )
    )
    or (expected_countries <= {{ top_countries }} and group_rows <> expected_countries)

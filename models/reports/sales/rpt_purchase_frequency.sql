{%- set cap = var('purchase_frequency_cap') -%}
{%- if cap is not number or cap is boolean or cap != cap | int or cap < 1 -%}
    {{ exceptions.raise_compiler_error(
        "var purchase_frequency_cap (rpt_purchase_frequency) must be a whole number of at least 1,"
        ~ " got '" ~ cap ~ "'."
    ) }}
{%- endif -%}

with

customers as (

    select * from {{ ref('dim_customers') }}

),

-- Customers whose only orders are returns have no purchase orders and are left out.
buyers as (

    select
        store_id,
        customer_id,
        case
            when orders >= {{ cap }} then {{ cap }}
            else orders
        end as purchase_orders,
        net_spend
    from customers
    where orders > 0

),

stores as (

    select distinct store_id
    from buyers

),

frequencies as (

    {{ dbt.generate_series(cap) }}

),

-- Every frequency from 1 to the cap, so that the distribution has no gaps.
store_frequencies as (

    select
        stores.store_id,
        frequencies.generated_number as purchase_orders
    from stores
    cross join frequencies

),

frequency_buyers as (

    select
        store_id,
        purchase_orders,
        count(*) as customers,
        sum(net_spend) as revenue
    from buyers
    group by store_id, purchase_orders

),

frequency_distribution as (

    select
        store_frequencies.store_id,
        store_frequencies.purchase_orders,
        coalesce(frequency_buyers.customers, 0) as customers,
        coalesce(frequency_buyers.revenue, 0) as revenue
    from store_frequencies
    left join frequency_buyers
        on
            store_frequencies.store_id = frequency_buyers.store_id
            and store_frequencies.purchase_orders = frequency_buyers.purchase_orders

),

purchase_frequency as (

    select
        store_id,
        cast(purchase_orders as integer) as purchase_orders,
        purchase_orders = {{ cap }} as is_capped,
        cast(customers as bigint) as customers,
        cast(customers as double)
        / cast(sum(customers) over (partition by store_id) as double) as share_of_customers,
        cast(
            sum(customers) over (
                partition by store_id
                order by purchase_orders
                rows between unbounded preceding and current row
            ) as double
        )
        / cast(sum(customers) over (partition by store_id) as double) as cumulative_share,
        cast(revenue as {{ money_type() }}) as revenue,
        cast(revenue as double)
        / nullif(cast(sum(revenue) over (partition by store_id) as double), 0) as share_of_revenue
    from frequency_distribution

)

select * from purchase_frequency

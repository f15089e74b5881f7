{#- A table, unlike the views beside it: it picks the example customers once per build, for the
    report. Reads ml_customer_recommendations, which runs on DuckDB only (dbt_project.yml), so
    it does too (the folder's config). -#}
{{ config(materialized='table') }}

{#- Items shown per example customer, of each list (bought, recommended). -#}
{%- set items_shown = 5 -%}

with

customer_rfm as (

    select * from {{ ref('fct_customer_rfm') }}

),

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}

),

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

-- A typical customer of each segment: the middle one by monetary value (the lower middle of
-- an even count), ties broken by customer id.
ranked_customers as (

    select
        store_id,
        customer_id,
        segment,
        row_number() over (
            partition by store_id, segment
            order by monetary, customer_id
        ) as monetary_rank,
        count(*) over (partition by store_id, segment) as segment_customers
    from customer_rfm

),

example_customers as (

    select
        store_id,
        customer_id,
        segment
    from ranked_customers
    where monetary_rank * 2 in (segment_customers, segment_customers + 1)

),

-- What they bought, most recent first.
bought_items as (

    select
        example_customers.store_id,
        example_customers.customer_id,
        example_customers.segment,
        'bought' as item_list,
        row_number() over (
            partition by example_customers.store_id, example_customers.customer_id
            order by
                interactions.last_purchased_at desc,
                interactions.orders desc,
                interactions.item_id asc
        ) as item_rank,
        interactions.item_id,
        cast(null as double) as score,
        cast(null as {{ dbt.type_string() }}) as recommendation_source
    from example_customers
    inner join interactions
        on
            example_customers.store_id = interactions.store_id
            and example_customers.customer_id = interactions.customer_id

),

recommended_items as (

    select
        example_customers.store_id,
        example_customers.customer_id,
        example_customers.segment,
        'recommended' as item_list,
        recommendations.recommendation_rank as item_rank,
        recommendations.item_id,
        recommendations.score,
        recommendations.source as recommendation_source
    from example_customers
    inner join recommendations
        on
            example_customers.store_id = recommendations.store_id
            and example_customers.customer_id = recommendations.customer_id

),

example_items as (

    select * from bought_items
    where item_rank <= {{ items_shown }}
    union all
    select * from recommended_items
    where item_rank <= {{ items_shown }}

),

shown_items as (

    select distinct
        store_id,
        item_id
    from example_items

),

-- An item's name is the one its purchase lines carry most often (Online Retail renames some
-- items over time), ties to the first alphabetically; only the items shown are looked up.
item_name_lines as (

    select
        order_lines.store_id,
        order_lines.item_id,
        order_lines.item_name,
        count(*) as lines
    from order_lines
    inner join shown_items
        on
            order_lines.store_id = shown_items.store_id
            and order_lines.item_id = shown_items.item_id
    where not order_lines.is_return
    group by order_lines.store_id, order_lines.item_id, order_lines.item_name

),

item_names as (

    select
        store_id,
        item_id,
        item_name,
        row_number() over (
            partition by store_id, item_id
            order by lines desc, item_name asc
        ) as name_rank
    from item_name_lines

),

examples as (

    select
        example_items.store_id,
        example_items.customer_id,
        example_items.segment,
        example_items.item_list,
        cast(example_items.item_rank as integer) as item_rank,
        example_items.item_id,
        item_names.item_name,
        example_items.score,
        example_items.recommendation_source
    from example_items
    left join item_names
        on
            example_items.store_id = item_names.store_id
            and example_items.item_id = item_names.item_id
            and item_names.name_rank = 1

)

select * from examples

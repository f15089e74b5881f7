{#- Incremental on DuckDB by raw file: a run aggregates again only the customer-item pairs that
    have a purchase line in a file the table does not hold yet (from all their lines), and
    replaces them (delete+insert on the pair). The files it holds are the pairs' latest files
    (last_source_file); a file none of whose pairs ended there is read again, which costs time
    but changes nothing. `--full-refresh` aggregates every pair. On other targets it is a
    table. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['store_id', 'customer_id', 'item_id'],
    on_schema_change='fail',
) }}

with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

-- Purchases only: returns (cancellations) are not a sign of interest, and fees, postage and
-- bad lines never reach int_order_lines_cleaned.
purchase_lines as (

    select
        store_id,
        customer_id,
        item_id,
        order_id,
        quantity,
        amount,
        ordered_at,
        source_file
    from order_lines
    where not is_return

),

{% if is_incremental() %}
    new_pairs as (

        select distinct
            store_id,
            customer_id,
            item_id
        from purchase_lines
        {{ where_source_file_not_loaded('last_source_file') }}

    ),

    lines_to_aggregate as (

        select purchase_lines.*
        from purchase_lines
        inner join new_pairs
            on
                purchase_lines.store_id = new_pairs.store_id
                and purchase_lines.customer_id = new_pairs.customer_id
                and purchase_lines.item_id = new_pairs.item_id

    ),
{% else %}
    lines_to_aggregate as (

        select * from purchase_lines

    ),
{% endif %}

interactions as (

    select
        store_id,
        customer_id,
        item_id,
        -- The implicit-feedback strength: in how many orders the customer bought the item.
        count(distinct order_id) as orders,
        sum(quantity) as quantity,
        cast(sum(amount) as {{ money_type() }}) as amount,
        min(ordered_at) as first_purchased_at,
        max(ordered_at) as last_purchased_at,
        max(source_file) as last_source_file
    from lines_to_aggregate
    group by store_id, customer_id, item_id

)

select * from interactions

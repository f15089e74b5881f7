{#- Incremental on DuckDB by raw file: a run aggregates again only the orders that have a line
    in a file the table does not hold yet (from all their lines, so an order that straddles two
    files comes out whole), and replaces them (delete+insert on the order). `--full-refresh`
    aggregates every order. On other targets it is a table. -#}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='delete+insert',
    unique_key=['store_id', 'order_id'],
    on_schema_change='fail',
) }}

with

order_lines as (

    select * from {{ ref('int_order_lines_cleaned') }}

),

{% if is_incremental() %}
    new_orders as (

        select distinct
            store_id,
            order_id
        from order_lines
        {{ where_source_file_not_loaded() }}

    ),

    lines_to_aggregate as (

        select order_lines.*
        from order_lines
        inner join new_orders
            on
                order_lines.store_id = new_orders.store_id
                and order_lines.order_id = new_orders.order_id

    ),
{% else %}
    lines_to_aggregate as (

        select * from order_lines

    ),
{% endif %}

orders as (

    select
        store_id,
        order_id,
        min(customer_id) as customer_id,
        -- A few invoices' lines straddle a minute; the order was placed at its first line.
        min(ordered_at) as ordered_at,
        max(country) as country,
        count(*) as lines,
        cast(sum(quantity) as bigint) as items,
        cast(sum(amount) as {{ money_type() }}) as amount,
        -- An order is a return when every line takes goods back (an Online Retail `C` invoice).
        min(case when is_return then 1 else 0 end) = 1 as is_return,
        min(source_file) as source_file
    from lines_to_aggregate
    group by store_id, order_id

)

select * from orders

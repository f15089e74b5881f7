{{ config(materialized='incremental', on_schema_change='fail') }}

{#- Incremental on the raw file like the e-commerce lines (macros/incremental_loads.sql). -#}
{%- set line_values = [
    'order_id', 'item_id', 'item_name', 'quantity_text', 'ordered_at_text', 'unit_price_text',
    'customer_id', 'country'
] -%}

with

source as (

    select * from {{ source('online_retail', 'order_lines') }}
    {{ where_source_file_not_loaded() }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}
    where store_id = 'online_retail'

),

parsed as (

    select
        source_file,
        source_row_number,
        {{ clean_text('invoiceno') }} as order_id,
        {{ clean_text('stockcode') }} as item_id,
        {{ clean_text('description') }} as item_name,
        {{ normalize_customer_id('customerid') }} as customer_id,
        {{ clean_text('country') }} as country,
        {{ clean_text('quantity') }} as quantity_text,
        {{ clean_text('unitprice') }} as unit_price_text,
        {{ clean_text('invoicedate') }} as ordered_at_text,
        {{ parse_integer('quantity') }} as quantity,
        {{ dbt.safe_cast(clean_text('unitprice'), money_type()) }} as unit_price,
        {{ dbt.safe_cast(clean_text('invoicedate'), api.Column.translate_type('timestamp')) }}
            as ordered_at
    from source

),

line_checks as (

    select
        parsed.*,
        -- The same eight values as an earlier line (in file order); the first one is kept.
        {{ is_repeated_line(line_values, 'parsed') }} as is_duplicate
    from parsed
    {{ join_previously_loaded_lines(line_values, 'parsed') }}

),

non_product_items as (

    select distinct items.item_id
    from (select distinct item_id from line_checks) as items
    inner join non_product_stock_codes as codes
        on
            items.item_id = codes.stock_code
            or (
                codes.match_type = 'prefix'
                and substring(items.item_id, 1, length(codes.stock_code)) = codes.stock_code
            )

),

flagged as (

    select
        cast('online_retail' as {{ dbt.type_string() }}) as store_id,
        line_checks.source_file,
        line_checks.source_row_number,
        line_checks.order_id,
        line_checks.item_id,
        line_checks.item_name,
        line_checks.customer_id,
        line_checks.country,
        line_checks.quantity,
        line_checks.unit_price,
        line_checks.ordered_at,
        line_checks.quantity_text,
        line_checks.unit_price_text,
        line_checks.ordered_at_text,
        coalesce(line_checks.order_id like 'C%', false) as is_cancellation,
        coalesce(line_checks.order_id like 'A%', false) as is_adjustment,
        line_checks.customer_id is not null as has_customer,
        non_product_items.item_id is not null as is_non_product,
        coalesce(line_checks.quantity <= 0, false) as has_non_positive_quantity,
        coalesce(line_checks.unit_price <= 0, false) as has_non_positive_price,
        line_checks.is_duplicate,
        (
            line_checks.order_id is null
            or line_checks.item_id is null
            or line_checks.quantity_text is null
            or line_checks.unit_price_text is null
            or line_checks.ordered_at_text is null
        ) as has_missing_value,
        (
            {{ is_unparseable('line_checks.quantity_text', 'line_checks.quantity') }}
            or {{ is_unparseable('line_checks.unit_price_text', 'line_checks.unit_price') }}
            or {{ is_unparseable('line_checks.ordered_at_text', 'line_checks.ordered_at') }}
        ) as has_unparseable_value
    from line_checks
    left join non_product_items
        on line_checks.item_id = non_product_items.item_id

)

select * from flagged

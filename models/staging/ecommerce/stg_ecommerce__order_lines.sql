{{ config(materialized='incremental', on_schema_change='fail') }}

{#- Incremental on the raw file (macros/incremental_loads.sql): a run reads only the monthly files
    not loaded yet; `dbt build --full-refresh` reads them all again. -#}
{%- set line_values = [
    'customer_id', 'item_id', 'item_name', 'unit_price_text', 'quantity_text', 'ordered_at_text'
] -%}

with

source as (

    select * from {{ source('ecommerce', 'order_lines') }}
    {{ where_source_file_not_loaded() }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}
    where store_id = 'ecommerce'

),

parsed as (

    select
        source_file,
        source_row_number,
        {{ normalize_customer_id('customer_id') }} as customer_id,
        {{ clean_text('item_id') }} as item_id,
        {{ clean_text('item_name') }} as item_name,
        {{ clean_text('item_count') }} as quantity_text,
        {{ clean_text('unit_price') }} as unit_price_text,
        {{ clean_text('purchase_time') }} as ordered_at_text,
        {{ parse_integer('item_count') }} as quantity,
        {{ dbt.safe_cast(clean_text('unit_price'), money_type()) }} as unit_price,
        {{ dbt.safe_cast(clean_text('purchase_time'), api.Column.translate_type('timestamp')) }}
            as ordered_at
    from source

),

line_checks as (

    select
        parsed.*,
        -- The same six values as an earlier line (in file order); the first one is kept.
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
        cast('ecommerce' as {{ dbt.type_string() }}) as store_id,
        line_checks.source_file,
        line_checks.source_row_number,
        -- The feed has no order number: a customer's lines bought at the same time are one order.
        {{ dbt.concat(['line_checks.customer_id', "'@'", 'line_checks.ordered_at_text']) }}
            as order_id,
        line_checks.item_id,
        line_checks.item_name,
        line_checks.customer_id,
        cast(null as {{ dbt.type_string() }}) as country,
        line_checks.quantity,
        line_checks.unit_price,
        line_checks.ordered_at,
        line_checks.quantity_text,
        line_checks.unit_price_text,
        line_checks.ordered_at_text,
        -- No invoice prefixes here: a negative count is how the feed records a return.
        coalesce(line_checks.quantity < 0, false) as is_cancellation,
        false as is_adjustment,
        line_checks.customer_id is not null as has_customer,
        non_product_items.item_id is not null as is_non_product,
        coalesce(line_checks.quantity <= 0, false) as has_non_positive_quantity,
        coalesce(line_checks.unit_price <= 0, false) as has_non_positive_price,
        line_checks.is_duplicate,
        (
            line_checks.item_id is null
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

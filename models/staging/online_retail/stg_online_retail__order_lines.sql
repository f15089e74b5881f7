{#- Online Retail's lines in the shared vocabulary: renamed, cleaned (macros/cleaning.sql) and
    typed, nothing dropped or judged. What only this source knows is added here: invoice numbers
    starting `C` are cancellations, `A` bad-debt adjustments. The rules every store shares are
    applied once, in int_order_lines. -#}
{%- set raw_columns = [
    'invoiceno', 'stockcode', 'description', 'quantity', 'invoicedate', 'unitprice',
    'customerid', 'country', 'extra_field',
] -%}

with

source as (

    select * from {{ source('online_retail', 'order_lines') }}

),

screened as (

    select
        *,
        {{ has_control_characters(raw_columns, 'online_retail') }} as has_control_characters
    from source

),

trimmed as (

    select
        source_file,
        source_row_number,
        {{ clean_text('invoiceno') }} as order_id,
        {{ clean_text('stockcode') }} as item_id,
        {{ clean_text('description') }} as item_name,
        {{ clean_text('customerid') }} as customer_id,
        {{ clean_text('country') }} as country,
        {{ clean_text('quantity') }} as quantity_text,
        {{ clean_text('unitprice') }} as unit_price_text,
        {{ clean_text('invoicedate') }} as ordered_at_text,
        {{ control_character_count(raw_columns) }} as control_characters,
        {{ has_wrong_field_count('country') }} as has_wrong_field_count
    from screened

),

typed as (

    select
        *,
        {{ parse_integer('quantity_text') }} as quantity,
        {{ dbt.safe_cast('unit_price_text', money_type()) }} as unit_price,
        {{ parse_ordered_at('ordered_at_text', 'online_retail') }} as ordered_at
    from trimmed

),

renamed as (

    select
        cast('online_retail' as {{ dbt.type_string() }}) as store_id,
        source_file,
        source_row_number,
        {{ null_like_as_null('order_id') }} as order_id,
        {{ normalize_customer_id(null_like_as_null('customer_id')) }} as customer_id,
        {{ null_like_as_null('item_id') }} as item_id,
        item_name,
        country,
        quantity,
        unit_price,
        ordered_at,
        {{ unparsed_text('quantity_text', 'quantity') }} as quantity_text,
        {{ unparsed_text('unit_price_text', 'unit_price') }} as unit_price_text,
        {{ unparsed_text('ordered_at_text', 'ordered_at') }} as ordered_at_text,
        coalesce(order_id like 'C%', false) as is_cancellation,
        coalesce(order_id like 'A%', false) as is_adjustment,
        control_characters,
        has_wrong_field_count,
        {{ repeated_lines_are_purchases('online_retail') }} as repeated_lines_are_purchases
    from typed

)

select * from renamed

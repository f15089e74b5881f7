{#- The e-commerce feed's lines in the shared vocabulary: renamed (`item_count` is `quantity`,
    `purchase_time` is `ordered_at`), cleaned (macros/cleaning.sql) and typed, nothing dropped or
    judged. What only this source knows is added here: the feed has no order number, so a
    customer's lines bought at the same moment form one order, and a negative count is a
    return. The rules every store shares are applied once, in int_order_lines. -#}
{%- set raw_columns = [
    'customer_id', 'item_id', 'item_name', 'unit_price', 'item_count', 'purchase_time',
    'extra_field',
] -%}

with

source as (

    select * from {{ source('ecommerce', 'order_lines') }}

),

screened as (

    select
        *,
        {{ has_control_characters(raw_columns, 'ecommerce') }} as has_control_characters
    from source

),

trimmed as (

    select
        source_file,
        source_row_number,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('item_id') }} as item_id,
        {{ clean_text('item_name') }} as item_name,
        {{ clean_text('item_count') }} as quantity_text,
        {{ clean_text('unit_price') }} as unit_price_text,
        {{ clean_text('purchase_time') }} as ordered_at_text,
        {{ control_character_count(raw_columns) }} as control_characters,
        {{ has_wrong_field_count('purchase_time') }} as has_wrong_field_count
    from screened

),

identified as (

    select
        source_file,
        source_row_number,
        {{ normalize_customer_id(null_like_as_null('customer_id')) }} as customer_id,
        {{ null_like_as_null('item_id') }} as item_id,
        item_name,
        quantity_text,
        unit_price_text,
        ordered_at_text,
        control_characters,
        has_wrong_field_count
    from trimmed

),

typed as (

    select
        *,
        {{ parse_integer('quantity_text') }} as quantity,
        {{ dbt.safe_cast('unit_price_text', money_type()) }} as unit_price,
        {{ parse_ordered_at('ordered_at_text', 'ecommerce') }} as ordered_at
    from identified

),

renamed as (

    select
        cast('ecommerce' as {{ dbt.type_string() }}) as store_id,
        source_file,
        source_row_number,
        -- The time as read (so that `10:15` and `10:15:00` are one order), or as written when
        -- it cannot be read; null without a customer.
        {{ dbt.concat([
            'customer_id', "'@'",
            'coalesce(cast(ordered_at as ' ~ dbt.type_string() ~ '), ordered_at_text)',
        ]) }} as order_id,
        customer_id,
        item_id,
        item_name,
        cast(null as {{ dbt.type_string() }}) as country,
        quantity,
        unit_price,
        ordered_at,
        {{ unparsed_text('quantity_text', 'quantity') }} as quantity_text,
        {{ unparsed_text('unit_price_text', 'unit_price') }} as unit_price_text,
        {{ unparsed_text('ordered_at_text', 'ordered_at') }} as ordered_at_text,
        coalesce(quantity < 0, false) as is_cancellation,
        false as is_adjustment,
        control_characters,
        has_wrong_field_count,
        {{ repeated_lines_are_purchases('ecommerce') }} as repeated_lines_are_purchases
    from typed

)

select * from renamed

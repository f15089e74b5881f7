{#- Online Retail's lines in the shared vocabulary: renamed, trimmed and typed, nothing dropped
    or judged. What only this source knows is added here: invoice numbers starting `C` are
    cancellations, `A` bad-debt adjustments. The rules every store shares are applied once, in
    int_order_lines. -#}
with

source as (

    select * from {{ source('online_retail', 'order_lines') }}

),

trimmed as (

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
        {{ clean_text('invoicedate') }} as ordered_at_text
    from source

),

typed as (

    select
        *,
        {{ parse_integer('quantity_text') }} as quantity,
        {{ dbt.safe_cast('unit_price_text', money_type()) }} as unit_price,
        {{ dbt.safe_cast('ordered_at_text', api.Column.translate_type('timestamp')) }}
            as ordered_at
    from trimmed

),

renamed as (

    select
        cast('online_retail' as {{ dbt.type_string() }}) as store_id,
        source_file,
        source_row_number,
        order_id,
        customer_id,
        item_id,
        item_name,
        country,
        quantity,
        unit_price,
        ordered_at,
        {{ unparsed_text('quantity_text', 'quantity') }} as quantity_text,
        {{ unparsed_text('unit_price_text', 'unit_price') }} as unit_price_text,
        {{ unparsed_text('ordered_at_text', 'ordered_at') }} as ordered_at_text,
        coalesce(order_id like 'C%', false) as is_cancellation,
        coalesce(order_id like 'A%', false) as is_adjustment
    from typed

)

select * from renamed

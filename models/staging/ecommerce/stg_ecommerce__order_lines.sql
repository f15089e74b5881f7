with

source as (

    select * from {{ source('ecommerce', 'order_lines') }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}
    where store_id = 'ecommerce'

),

numbered as (

    select
        *,
        -- An exact repeat of all six raw values; the first occurrence in file order is kept.
        row_number() over (
            partition by
                customer_id, item_id, item_name, unit_price, item_count, purchase_time
            order by source_file, source_row_number
        ) > 1 as is_duplicate
    from source

),

parsed as (

    select
        source_file,
        source_row_number,
        is_duplicate,
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
    from numbered

),

non_product_items as (

    select distinct items.item_id
    from (select distinct item_id from parsed) as items
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
        parsed.source_file,
        parsed.source_row_number,
        -- The feed has no order number: a customer's lines bought at the same time are one order.
        {{ dbt.concat(['parsed.customer_id', "'@'", 'parsed.ordered_at_text']) }} as order_id,
        parsed.item_id,
        parsed.item_name,
        parsed.customer_id,
        cast(null as {{ dbt.type_string() }}) as country,
        parsed.quantity,
        parsed.unit_price,
        parsed.ordered_at,
        parsed.quantity_text,
        parsed.unit_price_text,
        parsed.ordered_at_text,
        -- No invoice prefixes here: a negative count is how the feed records a return.
        coalesce(parsed.quantity < 0, false) as is_cancellation,
        false as is_adjustment,
        parsed.customer_id is not null as has_customer,
        non_product_items.item_id is not null as is_non_product,
        coalesce(parsed.quantity <= 0, false) as has_non_positive_quantity,
        coalesce(parsed.unit_price <= 0, false) as has_non_positive_price,
        parsed.is_duplicate,
        (
            parsed.item_id is null
            or parsed.quantity_text is null
            or parsed.unit_price_text is null
            or parsed.ordered_at_text is null
        ) as has_missing_value,
        (
            {{ is_unparseable('parsed.quantity_text', 'parsed.quantity') }}
            or {{ is_unparseable('parsed.unit_price_text', 'parsed.unit_price') }}
            or {{ is_unparseable('parsed.ordered_at_text', 'parsed.ordered_at') }}
        ) as has_unparseable_value
    from parsed
    left join non_product_items
        on parsed.item_id = non_product_items.item_id

)

select * from flagged

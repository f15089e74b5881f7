with

source as (

    select * from {{ source('online_retail', 'order_lines') }}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}
    where store_id = 'online_retail'

),

numbered as (

    select
        *,
        -- An exact repeat of all eight raw values; the first occurrence in file order is kept.
        row_number() over (
            partition by
                invoiceno, stockcode, description, quantity,
                invoicedate, unitprice, customerid, country
            order by source_file, source_row_number
        ) > 1 as is_duplicate
    from source

),

parsed as (

    select
        source_file,
        source_row_number,
        is_duplicate,
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
        cast('online_retail' as {{ dbt.type_string() }}) as store_id,
        parsed.source_file,
        parsed.source_row_number,
        parsed.order_id,
        parsed.item_id,
        parsed.item_name,
        parsed.customer_id,
        parsed.country,
        parsed.quantity,
        parsed.unit_price,
        parsed.ordered_at,
        parsed.quantity_text,
        parsed.unit_price_text,
        parsed.ordered_at_text,
        coalesce(parsed.order_id like 'C%', false) as is_cancellation,
        coalesce(parsed.order_id like 'A%', false) as is_adjustment,
        parsed.customer_id is not null as has_customer,
        non_product_items.item_id is not null as is_non_product,
        coalesce(parsed.quantity <= 0, false) as has_non_positive_quantity,
        coalesce(parsed.unit_price <= 0, false) as has_non_positive_price,
        parsed.is_duplicate,
        (
            parsed.order_id is null
            or parsed.item_id is null
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

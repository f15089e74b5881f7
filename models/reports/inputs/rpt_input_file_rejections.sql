{#- Per store, raw file and rejection reason: how many of the file's lines the reason takes and
    its first line as an example (docs/sources-and-cleaning.md, Input profile). -#}
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

reason_lines as (

    select
        store_id,
        source_file,
        rejection_reason,
        count(*) as lines,
        min(source_row_number) as example_row_number
    from order_lines
    group by store_id, source_file, rejection_reason

),

shares as (

    select
        store_id,
        source_file,
        rejection_reason,
        lines,
        cast(lines as double) / sum(lines) over (
            partition by store_id, source_file
        ) as share_of_file_lines,
        example_row_number
    from reason_lines

),

examples as (

    select
        shares.store_id,
        shares.source_file,
        shares.rejection_reason,
        shares.lines,
        shares.share_of_file_lines,
        shares.example_row_number,
        order_lines.order_id as example_order_id,
        order_lines.customer_id as example_customer_id,
        order_lines.item_id as example_item_id,
        coalesce(
            cast(order_lines.quantity as {{ dbt.type_string() }}), order_lines.quantity_text
        ) as example_quantity,
        coalesce(
            cast(order_lines.unit_price as {{ dbt.type_string() }}), order_lines.unit_price_text
        ) as example_unit_price,
        coalesce(
            cast(order_lines.ordered_at as {{ dbt.type_string() }}), order_lines.ordered_at_text
        ) as example_ordered_at
    from shares
    inner join order_lines
        on
            shares.store_id = order_lines.store_id
            and shares.source_file = order_lines.source_file
            and shares.example_row_number = order_lines.source_row_number
    where shares.rejection_reason is not null

)

select * from examples

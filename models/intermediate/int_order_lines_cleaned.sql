with

classified_lines as (

    select * from {{ ref('int_order_lines_classified') }}

),

kept as (

    select
        store_id,
        order_id,
        row_number() over (
            partition by store_id, order_id
            order by source_file, source_row_number
        ) as order_line_number,
        customer_id,
        item_id,
        item_name,
        quantity,
        unit_price,
        cast(quantity * unit_price as {{ money_type() }}) as amount,
        ordered_at,
        country,
        is_cancellation as is_return,
        source_file,
        source_row_number
    from classified_lines
    where rejection_reason is null

)

select * from kept

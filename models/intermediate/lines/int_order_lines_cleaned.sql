{{ config(materialized='view') }}

{#- The lines fit for analysis, in the grain every later model reads: a view over the judged
    lines, so they are written once. -#}
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

kept as (

    select
        store_id,
        order_id,
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
    from order_lines
    where rejection_reason is null

)

select * from kept

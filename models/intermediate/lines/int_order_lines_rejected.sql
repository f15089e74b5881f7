{{ config(materialized='view') }}

{#- The lines left out of the analysis, each with its reason and the raw text of any value that
    could not be read: a view over the judged lines. -#}
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

rejected as (

    select
        store_id,
        source_file,
        source_row_number,
        rejection_reason,
        order_id,
        item_id,
        item_name,
        customer_id,
        country,
        quantity_text,
        unit_price_text,
        ordered_at_text,
        quantity,
        unit_price,
        ordered_at
    from order_lines
    where rejection_reason is not null

)

select * from rejected

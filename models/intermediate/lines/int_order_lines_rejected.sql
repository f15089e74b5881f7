{{ config(materialized='incremental', on_schema_change='fail') }}

{#- Incremental like staging: a run adds the lines of the raw files it does not hold yet. -#}
with

classified_lines as (

    select * from {{ ref('int_order_lines_classified') }}
    {{ where_source_file_not_loaded() }}

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
    from classified_lines
    where rejection_reason is not null

)

select * from rejected

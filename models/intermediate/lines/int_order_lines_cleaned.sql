{{ config(materialized='incremental', on_schema_change='fail') }}

{#- Incremental like staging: a run adds the lines of the raw files it does not hold yet. -#}
with

classified_lines as (

    select * from {{ ref('int_order_lines_classified') }}
    {{ where_source_file_not_loaded() }}

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
    from classified_lines
    where rejection_reason is null

)

select * from kept

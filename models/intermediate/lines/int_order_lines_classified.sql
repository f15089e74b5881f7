{{ config(materialized="view") }}

{#- Both stores' staged lines in one vocabulary, each with the first reason (in the order below)
    that keeps it out of the analysis, or null when it is fit for analysis. -#}
with

online_retail_lines as (

    select * from {{ ref('stg_online_retail__order_lines') }}

),

ecommerce_lines as (

    select * from {{ ref('stg_ecommerce__order_lines') }}

),

unioned as (

    select * from online_retail_lines
    union all
    select * from ecommerce_lines

),

classified as (

    select
        *,
        case
            when has_missing_value then 'missing_value'
            when has_unparseable_value then 'unparseable_value'
            when is_duplicate then 'duplicate'
            when is_adjustment then 'adjustment'
            when not has_customer then 'missing_customer'
            when is_non_product then 'non_product'
            when has_non_positive_price then 'non_positive_price'
            -- A sale must add units and a return take them back; zero does neither.
            when not is_cancellation and quantity <= 0 then 'non_positive_quantity'
            when is_cancellation and quantity >= 0 then 'return_without_negative_quantity'
        end as rejection_reason
    from unioned

)

select * from classified

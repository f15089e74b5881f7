{#- Per store, item codes that look like postage, fees, adjustments or tests rather than
    products, and that seed non_product_stock_codes does not list yet: a code holding one of
    the words below, or, in a store where nine lines in ten name a code that starts with a
    digit, a code that does not. Review them and add the right ones to the seed. -#}
{%- set words = [
    'ADJUST', 'AMAZON', 'BANK', 'CARRIAGE', 'CHARGE', 'DISCOUNT', 'FEE', 'GIFT', 'MANUAL',
    'POST', 'SAMPLE', 'TEST', 'VOUCHER',
] -%}

with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

store_codes as (

    select
        store_id,
        cast(count(case when substring(item_id, 1, 1) between '0' and '9' then 1 end) as double)
        / count(*) as digit_code_share
    from order_lines
    where item_id is not null
    group by store_id

),

unlisted_lines as (

    select
        order_lines.store_id,
        order_lines.item_id,
        order_lines.item_name,
        order_lines.customer_id,
        {{ matches_pattern('upper(order_lines.item_id)', "'(" ~ words | join('|') ~ ")'") }}
            as has_word,
        not (substring(order_lines.item_id, 1, 1) between '0' and '9')
        and store_codes.digit_code_share >= 0.9 as has_unusual_start
    from order_lines
    inner join store_codes
        on order_lines.store_id = store_codes.store_id
    where
        order_lines.item_id is not null
        and not order_lines.is_non_product

),

candidates as (

    select
        store_id,
        item_id,
        case when max(case when has_word then 1 else 0 end) = 1 then 'word' else 'unusual_code' end
            as looks_like,
        count(*) as lines,
        count(distinct customer_id) as customers,
        min(item_name) as example_item_name
    from unlisted_lines
    where has_word or has_unusual_start
    group by store_id, item_id

)

select * from candidates

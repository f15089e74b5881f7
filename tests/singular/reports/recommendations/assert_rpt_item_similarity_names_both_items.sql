{#- Every similar item of rpt_item_similarity is an item of dim_items, so its name and price
    are there (the item itself is checked by a relationships test). Fails with those that are
    not. -#}
with

similar_items as (

    select * from {{ ref('rpt_item_similarity') }}

),

items as (

    select * from {{ ref('dim_items') }}

)

select
    similar_items.store_id,
    similar_items.item_id,
    similar_items.similar_item_id
from similar_items
left join items
    on
        similar_items.store_id = items.store_id
        and similar_items.similar_item_id = items.item_id
where items.item_id is null

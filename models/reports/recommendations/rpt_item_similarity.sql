with

similar_items as (

    select * from {{ ref('ml_item_similarity') }}
    -- A store without a model has one row that only carries a note; it stays there.
    where item_id is not null

),

items as (

    select * from {{ ref('dim_items') }}

),

named_similar_items as (

    select
        similar_items.store_id,
        similar_items.item_id,
        viewed_items.item_name,
        similar_items.similar_item_rank,
        similar_items.similar_item_id,
        suggested_items.item_name as similar_item_name,
        suggested_items.unit_price as similar_item_unit_price,
        similar_items.score
    from similar_items
    left join items as viewed_items
        on
            similar_items.store_id = viewed_items.store_id
            and similar_items.item_id = viewed_items.item_id
    left join items as suggested_items
        on
            similar_items.store_id = suggested_items.store_id
            and similar_items.similar_item_id = suggested_items.item_id

)

select * from named_similar_items

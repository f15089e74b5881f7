with

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}
    -- A store with nothing to recommend has one row that only carries a note; it stays there.
    where customer_id is not null

),

items as (

    select * from {{ ref('dim_items') }}

),

named_recommendations as (

    select
        recommendations.store_id,
        recommendations.customer_id,
        recommendations.recommendation_rank,
        recommendations.item_id,
        items.item_name,
        items.unit_price,
        recommendations.source,
        recommendations.score
    from recommendations
    left join items
        on
            recommendations.store_id = items.store_id
            and recommendations.item_id = items.item_id

)

select * from named_recommendations

{#- No customer is recommended an item they have bought (int_customer_item_interactions holds
    every purchase). Fails with the recommendations that are. -#}
with

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}

),

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

)

select
    recommendations.store_id,
    recommendations.customer_id,
    recommendations.recommendation_rank,
    recommendations.item_id,
    recommendations.source
from recommendations
inner join interactions
    on
        recommendations.store_id = interactions.store_id
        and recommendations.customer_id = interactions.customer_id
        and recommendations.item_id = interactions.item_id

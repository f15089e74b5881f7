{#- No customer is recommended an item they have bought (int_customer_item_interactions holds
    every purchase) or returned (int_customer_item_returns). Fails with the recommendations
    that are. -#}
with

recommendations as (

    select * from {{ ref('ml_customer_recommendations') }}
    where note is null

),

interactions as (

    select * from {{ ref('int_customer_item_interactions') }}

),

item_returns as (

    select * from {{ ref('int_customer_item_returns') }}

),

bought_or_returned as (

    select
        store_id,
        customer_id,
        item_id,
        'bought' as reason
    from interactions
    union all
    select
        store_id,
        customer_id,
        item_id,
        'returned' as reason
    from item_returns

)

select
    recommendations.store_id,
    recommendations.customer_id,
    recommendations.recommendation_rank,
    recommendations.item_id,
    recommendations.source,
    bought_or_returned.reason
from recommendations
inner join bought_or_returned
    on
        recommendations.store_id = bought_or_returned.store_id
        and recommendations.customer_id = bought_or_returned.customer_id
        and recommendations.item_id = bought_or_returned.item_id

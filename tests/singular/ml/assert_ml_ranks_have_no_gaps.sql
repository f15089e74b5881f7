{#- Ranks run 1..n without gaps for every item (ml_item_similarity) and customer
    (ml_customer_recommendations): with unique ranks from 1 up, the largest equals the count.
    Fails with the item or customer whose ranks do not. -#}
with

similarity_ranks as (

    select
        'ml_item_similarity' as model_name,
        store_id,
        item_id as ranked_for,
        min(similar_item_rank) as min_rank,
        max(similar_item_rank) as max_rank,
        count(*) as ranks
    from {{ ref('ml_item_similarity') }}
    where note is null
    group by store_id, item_id

),

recommendation_ranks as (

    select
        'ml_customer_recommendations' as model_name,
        store_id,
        customer_id as ranked_for,
        min(recommendation_rank) as min_rank,
        max(recommendation_rank) as max_rank,
        count(*) as ranks
    from {{ ref('ml_customer_recommendations') }}
    where note is null
    group by store_id, customer_id

),

all_ranks as (

    select * from similarity_ranks
    union all
    select * from recommendation_ranks

)

select * from all_ranks
where min_rank <> 1 or max_rank <> ranks

{#- Scores never rise with the rank: in ml_item_similarity per item; in
    ml_customer_recommendations per customer within a source (scores of different sources are
    different units), and the sources come in their fixed order: the model first, then segment,
    country and overall popularity. Fails with the row that breaks the order. -#}
with

similarity as (

    select
        store_id,
        item_id,
        similar_item_rank,
        score,
        lag(score) over (
            partition by store_id, item_id order by similar_item_rank
        ) as previous_score
    from {{ ref('ml_item_similarity') }}
    where note is null

),

recommendations as (

    select
        store_id,
        customer_id,
        recommendation_rank,
        source,
        score,
        case source
            when 'segment_popular' then 2
            when 'country_popular' then 3
            when 'overall_popular' then 4
            else 1
        end as source_order
    from {{ ref('ml_customer_recommendations') }}
    where note is null

),

recommendations_with_previous as (

    select
        *,
        lag(score) over (
            partition by store_id, customer_id order by recommendation_rank
        ) as previous_score,
        lag(source_order) over (
            partition by store_id, customer_id order by recommendation_rank
        ) as previous_source_order
    from recommendations

),

violations as (

    select
        'ml_item_similarity' as model_name,
        store_id,
        item_id as ranked_for,
        similar_item_rank as ranking,
        score,
        previous_score
    from similarity
    where score > previous_score
    union all
    select
        'ml_customer_recommendations' as model_name,
        store_id,
        customer_id as ranked_for,
        recommendation_rank as ranking,
        score,
        previous_score
    from recommendations_with_previous
    where
        source_order < previous_source_order
        or (source_order = previous_source_order and score > previous_score)

)

select * from violations

{#- Every ranking in order, in one pass per model over its rows sorted by rank: ranks run
    1, 2, 3... without a gap or a repeat for every item (ml_item_similarity) and customer
    (ml_customer_recommendations), and scores never rise with the rank: per item; per customer
    within a source (scores of different sources are different units), the sources in their
    fixed order: the model first, then segment, country and overall popularity. The one pass
    stands for the uniqueness tests of the ranks as well (a repeated rank is not the previous
    one plus one). Fails with the row that breaks the order. -#}
with

similarity as (

    select
        store_id,
        item_id as ranked_for,
        similar_item_rank as ranking,
        score,
        1 as source_order,
        lag(similar_item_rank) over by_rank as previous_ranking,
        lag(score) over by_rank as previous_score,
        1 as previous_source_order
    from {{ ref('ml_item_similarity') }}
    where note is null
    window by_rank as (partition by store_id, item_id order by similar_item_rank)

),

recommendations as (

    select
        store_id,
        customer_id,
        recommendation_rank,
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
        store_id,
        customer_id as ranked_for,
        recommendation_rank as ranking,
        score,
        source_order,
        lag(recommendation_rank) over by_rank as previous_ranking,
        lag(score) over by_rank as previous_score,
        lag(source_order) over by_rank as previous_source_order
    from recommendations
    window by_rank as (partition by store_id, customer_id order by recommendation_rank)

),

rankings as (

    select
        'ml_item_similarity' as model_name,
        *
    from similarity
    union all
    select
        'ml_customer_recommendations' as model_name,
        *
    from recommendations_with_previous

)

select *
from rankings
where
    ranking <> coalesce(previous_ranking + 1, 1)
    or source_order < previous_source_order
    or (source_order = previous_source_order and score > previous_score)

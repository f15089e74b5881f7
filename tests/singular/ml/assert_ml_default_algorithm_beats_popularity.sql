{#- On every store with enough evaluated customers to tell (200 or more), the default algorithm
    (var rec_algorithm) has a higher NDCG@k overall than the popularity baseline. Fails with the
    store where it does not. -#}
with

overall as (

    select * from {{ ref('ml_recommendation_eval') }}
    where segment = '(all customers)'

),

default_algorithm as (

    select
        store_id,
        customers,
        ndcg_at_k
    from overall
    where is_default

),

popularity as (

    select
        store_id,
        ndcg_at_k
    from overall
    where algorithm = 'popularity'

)

select
    default_algorithm.store_id,
    default_algorithm.customers,
    default_algorithm.ndcg_at_k as default_ndcg_at_k,
    popularity.ndcg_at_k as popularity_ndcg_at_k
from default_algorithm
inner join popularity
    on default_algorithm.store_id = popularity.store_id
where
    default_algorithm.customers >= 200
    and default_algorithm.ndcg_at_k <= popularity.ndcg_at_k

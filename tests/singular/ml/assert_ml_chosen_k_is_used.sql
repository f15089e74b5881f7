{#- Each store of ml_cluster_k_selection with a measured k has exactly one chosen k, one best
    silhouette and one lowest BIC, and every customer of ml_customer_clusters is clustered at
    the chosen k (at k = 1 in a store too small for any). Fails with the store and what is
    wrong. -#}
with

k_selection as (

    select * from {{ ref('ml_cluster_k_selection') }}

),

customer_clusters as (

    select * from {{ ref('ml_customer_clusters') }}

),

flags as (

    select
        store_id,
        sum(case when is_chosen then 1 else 0 end) as chosen,
        sum(case when is_best_silhouette then 1 else 0 end) as best_silhouette,
        sum(case when is_lowest_bic then 1 else 0 end) as lowest_bic,
        max(case when is_chosen then k end) as chosen_k
    from k_selection
    where note is null
    group by store_id

),

cluster_ks as (

    select
        store_id,
        k,
        count(*) as customers
    from customer_clusters
    group by store_id, k

),

problems as (

    select
        store_id,
        'not exactly one chosen, best-silhouette and lowest-BIC k' as problem
    from flags
    where chosen <> 1 or best_silhouette <> 1 or lowest_bic <> 1
    union all
    select
        cluster_ks.store_id,
        'customers clustered at k = ' || cluster_ks.k || ', not the chosen k' as problem
    from cluster_ks
    left join flags
        on cluster_ks.store_id = flags.store_id
    where cluster_ks.k <> coalesce(flags.chosen_k, 1)

)

select * from problems

{#- Every clustering in ml_cluster_profiles (store, method, k) and in
    ml_cluster_segment_crosstab (store, k) holds every scored customer and all their revenue
    exactly once, and its shares add up to 1; each crosstab cluster has the customers its
    K-Means profile row says. Fails with the store, model, method and k that differ. -#}
with

customer_rfm as (

    select
        store_id,
        count(*) as customers,
        sum(monetary) as revenue
    from {{ ref('fct_customer_rfm') }}
    group by store_id

),

-- Rows with a note stand for a k the store is too small for: they hold no customers.
profiles as (

    select * from {{ ref('ml_cluster_profiles') }}
    where note is null

),

crosstab as (

    select * from {{ ref('ml_cluster_segment_crosstab') }}
    where note is null

),

totals as (

    select
        store_id,
        'profiles' as checked_model,
        method as clustering_method,
        k,
        sum(customers) as customers,
        sum(revenue) as revenue,
        sum(share_of_customers) as share_of_customers,
        sum(share_of_revenue) as share_of_revenue
    from profiles
    group by store_id, method, k
    union all
    select
        store_id,
        'crosstab' as checked_model,
        'kmeans' as clustering_method,
        k,
        sum(customers) as customers,
        sum(revenue) as revenue,
        1.0 as share_of_customers,
        sum(share_of_store_revenue) as share_of_revenue
    from crosstab
    group by store_id, k

),

crosstab_clusters as (

    select
        store_id,
        k,
        cluster_id,
        sum(customers) as customers
    from crosstab
    group by store_id, k, cluster_id

),

problems as (

    select
        totals.store_id,
        totals.checked_model,
        totals.clustering_method,
        totals.k,
        'totals differ from fct_customer_rfm' as problem
    from totals
    inner join customer_rfm
        on totals.store_id = customer_rfm.store_id
    where
        totals.customers <> customer_rfm.customers
        or abs(totals.revenue - customer_rfm.revenue) > 0.01
        or abs(totals.share_of_customers - 1) > 1e-9
        or abs(totals.share_of_revenue - 1) > 1e-9
    union all
    select
        crosstab_clusters.store_id,
        'crosstab' as checked_model,
        'kmeans' as clustering_method,
        crosstab_clusters.k,
        'cluster ' || crosstab_clusters.cluster_id || ' differs from its profile' as problem
    from crosstab_clusters
    left join profiles
        on
            crosstab_clusters.store_id = profiles.store_id
            and profiles.method = 'kmeans'
            and crosstab_clusters.k = profiles.k
            and crosstab_clusters.cluster_id = profiles.cluster_id
    where profiles.customers is null or profiles.customers <> crosstab_clusters.customers

)

select * from problems

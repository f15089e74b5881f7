{#- Every K-Means cluster of ml_cluster_profiles is in rpt_cluster_feature_means with the same
    number of customers, so the snake plot averages exactly the customers the profile counts.
    Fails with the clusters that are missing or differ. -#}
with

kmeans_profiles as (

    select
        store_id,
        k,
        cluster_id,
        customers
    from {{ ref('ml_cluster_profiles') }}
    -- A k the store is too small for has one row with only a note: no cluster to average.
    where method = 'kmeans' and cluster_id is not null

),

feature_means as (

    select * from {{ ref('rpt_cluster_feature_means') }}

)

select
    kmeans_profiles.store_id,
    kmeans_profiles.k,
    kmeans_profiles.cluster_id,
    kmeans_profiles.customers as profile_customers,
    feature_means.customers as averaged_customers
from kmeans_profiles
left join feature_means
    on
        kmeans_profiles.store_id = feature_means.store_id
        and kmeans_profiles.k = feature_means.k
        and kmeans_profiles.cluster_id = feature_means.cluster_id
where
    feature_means.customers is null
    or feature_means.customers <> kmeans_profiles.customers

{#- Reads the ml models, which run on DuckDB only (dbt_project.yml), so it does too. -#}
{{ config(enabled=target.type == 'duckdb') }}

with

customer_clusters as (

    select * from {{ ref('ml_customer_clusters') }}

),

cluster_profiles as (

    select * from {{ ref('ml_cluster_profiles') }}

),

-- Each customer once per k that ml_cluster_profiles describes: the chosen k, then k = 4 and
-- k = 5 from their own columns unless one of them is the chosen k.
customer_assignments as (

    select
        store_id,
        k,
        cluster_id,
        z_recency,
        z_frequency,
        z_monetary
    from customer_clusters
    union all
    select
        store_id,
        4 as k,
        cluster_id_k4 as cluster_id,
        z_recency,
        z_frequency,
        z_monetary
    from customer_clusters
    where cluster_id_k4 is not null and k <> 4
    union all
    select
        store_id,
        5 as k,
        cluster_id_k5 as cluster_id,
        z_recency,
        z_frequency,
        z_monetary
    from customer_clusters
    where cluster_id_k5 is not null and k <> 5

),

cluster_means as (

    select
        store_id,
        k,
        cluster_id,
        count(*) as customers,
        avg(z_recency) as mean_z_recency,
        avg(z_frequency) as mean_z_frequency,
        avg(z_monetary) as mean_z_monetary
    from customer_assignments
    group by store_id, k, cluster_id

),

kmeans_profiles as (

    select
        store_id,
        k,
        cluster_id,
        label,
        is_chosen_k,
        share_of_customers,
        share_of_revenue
    from cluster_profiles
    -- A k the store is too small for has one row with only a note; it stays there.
    where method = 'kmeans' and cluster_id is not null

),

feature_means as (

    select
        kmeans_profiles.store_id,
        kmeans_profiles.k,
        kmeans_profiles.cluster_id,
        kmeans_profiles.label,
        kmeans_profiles.is_chosen_k,
        cast(coalesce(cluster_means.customers, 0) as bigint) as customers,
        kmeans_profiles.share_of_customers,
        kmeans_profiles.share_of_revenue,
        cluster_means.mean_z_recency,
        cluster_means.mean_z_frequency,
        cluster_means.mean_z_monetary
    from kmeans_profiles
    left join cluster_means
        on
            kmeans_profiles.store_id = cluster_means.store_id
            and kmeans_profiles.k = cluster_means.k
            and kmeans_profiles.cluster_id = cluster_means.cluster_id

)

select * from feature_means

{#- Every scored customer (fct_customer_rfm) has exactly one row in ml_customer_clusters and
    one in ml_customer_mixture; the relationships tests cover the other direction. Fails with
    the customers that have none or several. -#}
with

customer_rfm as (

    select
        store_id,
        customer_id
    from {{ ref('fct_customer_rfm') }}

),

cluster_rows as (

    select
        store_id,
        customer_id,
        count(*) as rows_in_clusters
    from {{ ref('ml_customer_clusters') }}
    group by store_id, customer_id

),

mixture_rows as (

    select
        store_id,
        customer_id,
        count(*) as rows_in_mixture
    from {{ ref('ml_customer_mixture') }}
    group by store_id, customer_id

),

checked as (

    select
        customer_rfm.store_id,
        customer_rfm.customer_id,
        coalesce(cluster_rows.rows_in_clusters, 0) as rows_in_clusters,
        coalesce(mixture_rows.rows_in_mixture, 0) as rows_in_mixture
    from customer_rfm
    left join cluster_rows
        on
            customer_rfm.store_id = cluster_rows.store_id
            and customer_rfm.customer_id = cluster_rows.customer_id
    left join mixture_rows
        on
            customer_rfm.store_id = mixture_rows.store_id
            and customer_rfm.customer_id = mixture_rows.customer_id

)

select * from checked
where rows_in_clusters <> 1 or rows_in_mixture <> 1

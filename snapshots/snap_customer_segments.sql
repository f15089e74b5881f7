{#- Each customer's segment and scores as every production run found them: a new version when
    the segment or a score changes, so the history is over calendar time (the runs), not over
    the data's as-of dates (fct_customer_segment_history). A customer no longer scored gets
    dbt_valid_to set. build_swap.py carries the table from build to build. -#}
{% snapshot snap_customer_segments %}

    {{ config(
        unique_key=['store_id', 'customer_id'],
        strategy='check',
        check_cols=['segment', 'r_score', 'f_score', 'm_score'],
        hard_deletes='invalidate',
    ) }}

    select
        store_id,
        customer_id,
        as_of_date,
        r_score,
        f_score,
        m_score,
        rfm_cell,
        segment
    from {{ ref('fct_customer_rfm') }}

{% endsnapshot %}

{#- Nothing is silently lost: per store, the raw files, the judged lines (int_order_lines), and
    the kept plus rejected lines all hold the same number of lines. Fails with the stores where
    they differ. -#}
with

raw_counts as (

    select
        'online_retail' as store_id,
        count(*) as raw_lines
    from {{ source('online_retail', 'order_lines') }}
    union all
    select
        'ecommerce' as store_id,
        count(*) as raw_lines
    from {{ source('ecommerce', 'order_lines') }}

),

judged_counts as (

    select
        store_id,
        count(*) as judged_lines
    from {{ ref('int_order_lines') }}
    group by store_id

),

kept_counts as (

    select
        store_id,
        count(*) as kept_lines
    from {{ ref('int_order_lines_cleaned') }}
    group by store_id

),

rejected_counts as (

    select
        store_id,
        count(*) as rejected_lines
    from {{ ref('int_order_lines_rejected') }}
    group by store_id

),

compared as (

    select
        raw_counts.store_id,
        raw_counts.raw_lines,
        coalesce(judged_counts.judged_lines, 0) as judged_lines,
        coalesce(kept_counts.kept_lines, 0) as kept_lines,
        coalesce(rejected_counts.rejected_lines, 0) as rejected_lines
    from raw_counts
    left join judged_counts on raw_counts.store_id = judged_counts.store_id
    left join kept_counts on raw_counts.store_id = kept_counts.store_id
    left join rejected_counts on raw_counts.store_id = rejected_counts.store_id

)

select * from compared
where
    raw_lines <> judged_lines
    or raw_lines <> kept_lines + rejected_lines

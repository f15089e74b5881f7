{#- Per store, raw file and month: the file's lines dated in that month, and how many files of
    the store have lines in it (more than one: the files overlap, see var
    allow_overlapping_files). -#}
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

file_months as (

    select
        store_id,
        source_file,
        cast({{ dbt.date_trunc('month', 'ordered_at') }} as date) as order_month,
        count(*) as lines,
        count(case when rejection_reason is null then 1 end) as kept_lines
    from order_lines
    where ordered_at is not null
    group by 1, 2, 3

),

month_files as (

    select
        *,
        count(*) over (partition by store_id, order_month) as files_in_month
    from file_months

)

select * from month_files

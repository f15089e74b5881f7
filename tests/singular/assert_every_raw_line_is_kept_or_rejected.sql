{#- Nothing is silently lost or doubled: the raw view numbers each file's rows 1..n as it reads
    them, so per store and file int_order_lines must hold every number from 1 to the highest
    once. (Counting the raw files again would parse every line a second time.) The kept and
    rejected lines are views that split int_order_lines on rejection_reason. Fails with the
    files where the numbers do not add up. -#}
with

judged_lines as (

    select * from {{ ref('int_order_lines') }}

),

file_counts as (

    select
        store_id,
        source_file,
        count(*) as judged_lines,
        count(distinct source_row_number) as distinct_row_numbers,
        min(source_row_number) as first_row_number,
        max(source_row_number) as raw_lines
    from judged_lines
    group by store_id, source_file

)

select * from file_counts
where
    judged_lines <> raw_lines
    or distinct_row_numbers <> raw_lines
    or first_row_number <> 1

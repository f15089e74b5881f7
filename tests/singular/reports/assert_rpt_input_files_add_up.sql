{#- The input profile accounts for every judged line: per store and file, the lines of
    rpt_input_files equal int_order_lines', its rejected lines the sum of the file's reasons in
    rpt_input_file_rejections, and its dated lines the sum of its months. Fails with the files
    where a figure differs. -#}
with

order_lines as (

    select
        store_id,
        source_file,
        count(*) as lines,
        count(ordered_at) as dated_lines
    from {{ ref('int_order_lines') }}
    group by store_id, source_file

),

input_files as (

    select * from {{ ref('rpt_input_files') }}

),

rejections as (

    select
        store_id,
        source_file,
        sum(lines) as rejected_lines
    from {{ ref('rpt_input_file_rejections') }}
    group by store_id, source_file

),

months as (

    select
        store_id,
        source_file,
        sum(lines) as dated_lines
    from {{ ref('rpt_input_file_months') }}
    group by store_id, source_file

),

compared as (

    select
        order_lines.store_id,
        order_lines.source_file,
        order_lines.lines,
        input_files.lines as profiled_lines,
        input_files.rejected_lines,
        coalesce(rejections.rejected_lines, 0) as reason_lines,
        order_lines.dated_lines,
        coalesce(months.dated_lines, 0) as month_lines
    from order_lines
    left join input_files
        on
            order_lines.store_id = input_files.store_id
            and order_lines.source_file = input_files.source_file
    left join rejections
        on
            order_lines.store_id = rejections.store_id
            and order_lines.source_file = rejections.source_file
    left join months
        on
            order_lines.store_id = months.store_id
            and order_lines.source_file = months.source_file

)

select * from compared
where
    profiled_lines is distinct from lines
    or rejected_lines <> reason_lines
    or dated_lines <> month_lines

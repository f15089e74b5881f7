{#- Per store and raw file, what the file holds and what the rules make of it: lines kept and
    rejected, the dates it covers, the lines each check flags, the values that could not be
    read (with an example of each), the control characters taken out, how its timestamps are
    read (raw.raw_files) and its largest rejection reason. -#}
with

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

raw_files as (

    select * from {{ source('raw_inputs', 'raw_files') }}

),

rejections as (

    select * from {{ ref('rpt_input_file_rejections') }}

),

file_figures as (

    select
        store_id,
        source_file,
        count(*) as lines,
        count(case when rejection_reason is null then 1 end) as kept_lines,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at,
        count(distinct {{ dbt.date_trunc('month', 'ordered_at') }}) as months,
        count(case when has_wrong_field_count then 1 end) as malformed_lines,
        count(case when has_missing_value then 1 end) as missing_value_lines,
        count(case when has_future_timestamp then 1 end) as future_lines,
        count(case when is_duplicate then 1 end) as duplicate_lines,
        count(case when is_non_product then 1 end) as non_product_lines,
        count(case when control_characters > 0 then 1 end) as control_character_lines,
        cast(sum(control_characters) as bigint) as control_characters,
        count(quantity_text) as unreadable_quantities,
        min(quantity_text) as example_unreadable_quantity,
        count(unit_price_text) as unreadable_unit_prices,
        min(unit_price_text) as example_unreadable_unit_price,
        count(ordered_at_text) as unreadable_timestamps,
        min(ordered_at_text) as example_unreadable_timestamp
    from order_lines
    group by store_id, source_file

),

top_reasons as (

    select
        store_id,
        source_file,
        rejection_reason as top_rejection_reason,
        lines as top_rejection_reason_lines
    from (
        select
            *,
            row_number() over (
                partition by store_id, source_file order by lines desc, rejection_reason asc
            ) as reason_rank
        from rejections
    ) as ranked
    where reason_rank = 1

),

profiled as (

    select
        file_figures.store_id,
        file_figures.source_file,
        file_figures.lines,
        file_figures.kept_lines,
        file_figures.lines - file_figures.kept_lines as rejected_lines,
        cast(file_figures.lines - file_figures.kept_lines as double)
        / file_figures.lines as rejected_share,
        top_reasons.top_rejection_reason,
        coalesce(top_reasons.top_rejection_reason_lines, 0) as top_rejection_reason_lines,
        file_figures.first_ordered_at,
        file_figures.last_ordered_at,
        file_figures.months,
        file_figures.malformed_lines,
        file_figures.missing_value_lines,
        file_figures.future_lines,
        file_figures.duplicate_lines,
        file_figures.non_product_lines,
        file_figures.control_character_lines,
        file_figures.control_characters,
        file_figures.unreadable_quantities,
        file_figures.example_unreadable_quantity,
        file_figures.unreadable_unit_prices,
        file_figures.example_unreadable_unit_price,
        file_figures.unreadable_timestamps,
        file_figures.example_unreadable_timestamp,
        raw_files.encoding,
        raw_files.timestamp_format,
        raw_files.timestamp_format_origin,
        raw_files.repeated_lines
    from file_figures
    left join top_reasons
        on
            file_figures.store_id = top_reasons.store_id
            and file_figures.source_file = top_reasons.source_file
    left join raw_files
        on
            file_figures.store_id = raw_files.source_name
            and file_figures.source_file = raw_files.source_file

)

select * from profiled

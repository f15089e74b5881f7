{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ hold_loaded_lines_summary() }}",
    post_hook="{{ check_judged_lines() }}",
) }}

{#- Every store's lines, judged once by the rules all stores share: each line's flags and the
    first reason, in the documented order, that keeps it out of the analysis (null when it is fit
    for it). Incremental on the raw file (macros/incremental_loads.sql): a run judges only the
    lines of files it does not hold yet, and a repeat of an earlier file's line is still a
    duplicate. After the lines are judged, the post-hook checks them per store and file and stops
    the run (rolling the load back) on too many rejected lines, overlapping files or lines of
    months already scored (macros/input_checks.sql). -#}
{%- set line_values = [
    'store_id', 'order_id', 'customer_id', 'item_id', 'item_name', 'country', 'quantity',
    'unit_price', 'ordered_at', 'quantity_text', 'unit_price_text', 'ordered_at_text',
] -%}
{%- set staged_columns = ['source_file', 'source_row_number'] + line_values + [
    'is_cancellation', 'is_adjustment', 'control_characters', 'has_wrong_field_count',
    'repeated_lines_are_purchases',
] -%}

with

staged_lines as (

    {% for staging_model in order_line_staging_models() %}
        select * from {{ ref(staging_model) }}
        {{ where_source_file_not_loaded() }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

non_product_stock_codes as (

    select * from {{ ref('non_product_stock_codes') }}

),

non_product_items as (

    select distinct
        items.store_id,
        items.item_id
    from (
        select distinct
            store_id,
            item_id
        from staged_lines
    ) as items
    inner join non_product_stock_codes as codes
        on
            items.store_id = codes.store_id
            and (
                items.item_id = codes.stock_code
                or (
                    codes.match_type = 'prefix'
                    and substring(items.item_id, 1, length(codes.stock_code)) = codes.stock_code
                )
            )

),

-- Duplicates: a hash of every value finds the few lines that may repeat another (a hash
-- aggregate, not a window over every line); among those, the values themselves decide.
hashed_lines as (

    select
        *,
        {{ row_hash(line_values) }} as line_hash
    from staged_lines

),

{% if is_incremental_load() %}
    -- The first occurrences of lines already held, where a new line may repeat one.
    loaded_lines as (

        select
            {% for column in line_values %}{{ column }},
            {% endfor %}{{ row_hash(line_values) }} as line_hash
        from {{ this }}
        where not is_duplicate

    ),
{% endif %}

repeated_hashes as (

    select line_hash
    from hashed_lines
    group by line_hash
    having count(*) > 1
    {% if is_incremental_load() %}
        union
        select loaded_lines.line_hash
        from loaded_lines
        inner join (select distinct line_hash from hashed_lines) as new_hashes
            on loaded_lines.line_hash = new_hashes.line_hash
    {% endif %}

),

repeated_lines as (

    select
        candidates.store_id,
        candidates.source_file,
        candidates.source_row_number,
        (
            row_number() over (
                partition by {{ 'candidates.' ~ line_values | join(', candidates.') }}
                order by candidates.source_file, candidates.source_row_number
            ) > 1
            {%- if is_incremental_load() %}
                or max(loaded.line_hash) over (
                    partition by {{ 'candidates.' ~ line_values | join(', candidates.') }}
                ) is not null
            {%- endif %}
        ) as is_duplicate
    from (
        select hashed_lines.*
        from hashed_lines
        inner join repeated_hashes
            on hashed_lines.line_hash = repeated_hashes.line_hash
    ) as candidates
    {% if is_incremental_load() %}
        left join loaded_lines as loaded
            on
                candidates.line_hash = loaded.line_hash
                {%- for column in line_values %}
                and {{ null_safe_equal('candidates.' ~ column, 'loaded.' ~ column) }}
                {%- endfor %}
    {% endif %}

),

line_checks as (

    select
        {% for column in staged_columns %}hashed_lines.{{ column }},
        {% endfor %}
        -- The same values as an earlier line (in file order); the first one is kept. Where
        -- the store's repeat lines are purchases (a day-level feed), none is a duplicate.
        (
            coalesce(repeated_lines.is_duplicate, false)
            and not coalesce(hashed_lines.repeated_lines_are_purchases, false)
        ) as is_duplicate
    from hashed_lines
    left join repeated_lines
        on
            hashed_lines.store_id = repeated_lines.store_id
            and hashed_lines.source_file = repeated_lines.source_file
            and hashed_lines.source_row_number = repeated_lines.source_row_number

),

flagged as (

    select
        line_checks.*,
        line_checks.customer_id is not null as has_customer,
        coalesce(line_checks.ordered_at >= {{ first_future_timestamp() }}, false)
            as has_future_timestamp,
        non_product_items.item_id is not null as is_non_product,
        coalesce(line_checks.quantity <= 0, false) as has_non_positive_quantity,
        coalesce(line_checks.unit_price <= 0, false) as has_non_positive_price,
        (
            -- An order id the line cannot do without: a line with no customer has no order id
            -- where orders are a customer's lines at one time, and is rejected for that.
            (line_checks.order_id is null and line_checks.customer_id is not null)
            or line_checks.item_id is null
            or {{ is_missing('line_checks.quantity', 'line_checks.quantity_text') }}
            or {{ is_missing('line_checks.unit_price', 'line_checks.unit_price_text') }}
            or {{ is_missing('line_checks.ordered_at', 'line_checks.ordered_at_text') }}
        ) as has_missing_value,
        (
            line_checks.quantity_text is not null
            or line_checks.unit_price_text is not null
            or line_checks.ordered_at_text is not null
        ) as has_unparseable_value
    from line_checks
    left join non_product_items
        on
            line_checks.store_id = non_product_items.store_id
            and line_checks.item_id = non_product_items.item_id

),

classified as (

    select
        store_id,
        source_file,
        source_row_number,
        order_id,
        customer_id,
        item_id,
        item_name,
        country,
        quantity,
        unit_price,
        ordered_at,
        quantity_text,
        unit_price_text,
        ordered_at_text,
        is_cancellation,
        is_adjustment,
        control_characters,
        has_wrong_field_count,
        has_future_timestamp,
        has_customer,
        is_non_product,
        has_non_positive_quantity,
        has_non_positive_price,
        is_duplicate,
        has_missing_value,
        has_unparseable_value,
        case
            when has_wrong_field_count then 'malformed_row'
            when has_missing_value then 'missing_value'
            when has_unparseable_value then 'unparseable_value'
            when has_future_timestamp then 'future_timestamp'
            when is_duplicate then 'duplicate'
            when is_adjustment then 'adjustment'
            when not has_customer then 'missing_customer'
            when is_non_product then 'non_product'
            when has_non_positive_price then 'non_positive_price'
            -- A sale must add units and a return take them back; zero does neither.
            when not is_cancellation and quantity <= 0 then 'non_positive_quantity'
            when is_cancellation and quantity >= 0 then 'return_without_negative_quantity'
        end as rejection_reason
    from flagged

)

select * from classified

{#- The checks on every store's judged lines, run by int_order_lines' post-hook inside the
    model's transaction: a failure stops the run before anything reads the lines, and on
    DuckDB rolls the load back, so the files stay unloaded until the input is fixed. All
    problems are reported at once, each naming the store, the file, the figures and the setting
    or command that changes the outcome (docs/sources-and-cleaning.md, Input checks):

    - a file or a store with more than var rejected_share_error of its lines rejected (a
      warning above rejected_share_warn), with its top reasons and the first line of each;
    - a store with lines of which none is kept;
    - two files of one store with lines in the same month (var allow_overlapping_files);
    - on a monthly load, kept lines of a new file dated before the latest month already
      loaded: the customer values and the segment history score a month once, so such lines
      need a build from every file.

    With var stop_on_input_errors false (make profile) every problem is a warning. -#}

{#- Pre-hook: what the model held before this run, per store and file (a monthly load only). -#}
{% macro hold_loaded_lines_summary() %}
    {% if is_incremental_load() %}
        {{ return(adapter.dispatch('hold_loaded_lines_summary')()) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{% macro loaded_lines_summary_sql() %}
    select
        store_id,
        source_file,
        max(case when rejection_reason is null then ordered_at end) as latest_kept_at
    from {{ this }}
    group by store_id, source_file
{% endmacro %}

{% macro duckdb__hold_loaded_lines_summary() %}
    {{ return('create or replace temporary table int_order_lines__loaded_before as '
        ~ loaded_lines_summary_sql()) }}
{% endmacro %}

{#- Spark: an eagerly cached view, so it keeps the lines as they were before the insert. -#}
{% macro spark__hold_loaded_lines_summary() %}
    {{ return('cache table int_order_lines__loaded_before as ' ~ loaded_lines_summary_sql()) }}
{% endmacro %}


{% macro check_judged_lines() %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set errors, warnings = [], [] %}
    {% set counts = judged_line_counts() %}
    {% do check_rejected_shares(counts, errors, warnings) %}
    {% do check_overlapping_files(counts, errors) %}
    {% if is_incremental_load() %}
        {% do check_lines_of_scored_months(errors) %}
    {% endif %}
    {% for message in warnings %}
        {% do exceptions.warn("Input check: " ~ message) %}
    {% endfor %}
    {% if errors and var('stop_on_input_errors') %}
        {% do exceptions.raise_compiler_error(
            "Input check: " ~ errors | length ~ " problem(s) with the judged lines; the load is"
            ~ " rolled back and nothing after int_order_lines is built.\n- " ~ errors | join("\n- ")
            ~ "\n(Run `make profile` for every file's figures; docs/sources-and-cleaning.md, Input checks.)"
        ) %}
    {% endif %}
    {% for message in errors %}
        {% do exceptions.warn("Input check (var stop_on_input_errors is false): " ~ message) %}
    {% endfor %}
    {{ return('') }}
{% endmacro %}


{#- Lines per store, file, reason and month: the one pass the checks make over the lines. -#}
{% macro judged_line_counts() %}
    {% set query %}
        select
            store_id,
            source_file,
            coalesce(rejection_reason, '') as rejection_reason,
            {{ dbt.date_trunc('month', 'ordered_at') }} as order_month,
            count(*) as lines,
            min(source_row_number) as first_row
        from {{ this }}
        group by 1, 2, 3, 4
    {% endset %}
    {{ return(run_query(query).rows) }}
{% endmacro %}


{% macro check_rejected_shares(counts, errors, warnings) %}
    {#- One total per file and one per store (its file ''), keyed 'store|file'. -#}
    {% set totals = {} %}
    {% for row in counts %}
        {% for file in [row['source_file'], ''] %}
            {% set total = totals.setdefault(row['store_id'] ~ '|' ~ file, {
                'store': row['store_id'], 'file': file, 'lines': 0, 'kept': 0, 'reasons': {},
            }) %}
            {% do total.update({'lines': total.lines + row['lines']}) %}
            {% if row['rejection_reason'] == '' %}
                {% do total.update({'kept': total.kept + row['lines']}) %}
            {% else %}
                {#- The example is the reason's first line in the first file that has it. -#}
                {% set reason = total.reasons.setdefault(row['rejection_reason'], {
                    'lines': 0, 'file': row['source_file'], 'row': row['first_row'],
                }) %}
                {% if [row['source_file'], row['first_row']] < [reason.file, reason.row] %}
                    {% do reason.update({'file': row['source_file'], 'row': row['first_row']}) %}
                {% endif %}
                {% do reason.update({'lines': reason.lines + row['lines']}) %}
            {% endif %}
        {% endfor %}
    {% endfor %}
    {% set error_share, warn_share = var('rejected_share_error') | float, var('rejected_share_warn') | float %}
    {% set files_per_store = {} %}
    {% for key, total in totals.items() if total.file %}
        {% do files_per_store.update({total.store: files_per_store.get(total.store, 0) + 1}) %}
    {% endfor %}
    {% set flagged = [] %}
    {#- A store of one file is checked as that file. -#}
    {% for key in totals.keys() | sort if totals[key].file or files_per_store[totals[key].store] > 1 %}
        {% set total = totals[key] %}
        {% set share = (total.lines - total.kept) / total.lines %}
        {% set what = "store '" ~ total.store ~ "'" ~ (": file '" ~ total.file ~ "'" if total.file else " (all its files)") %}
        {% set whole_store = not total.file or files_per_store[total.store] == 1 %}
        {% if whole_store and total.kept == 0 %}
            {% do flagged.append((errors, what ~ ": none of its " ~ '{:,}'.format(total.lines)
                ~ " lines is kept, so the store would vanish from every mart.", total)) %}
        {% elif share > error_share %}
            {% do flagged.append((errors, what ~ ": " ~ rejected_share_text(total)
                ~ ", above var rejected_share_error (" ~ percent_text(error_share) ~ ").", total)) %}
        {% elif share > warn_share %}
            {% do flagged.append((warnings, what ~ ": " ~ rejected_share_text(total)
                ~ ", above var rejected_share_warn (" ~ percent_text(warn_share) ~ ").", total)) %}
        {% endif %}
    {% endfor %}
    {% set examples = example_lines(flagged) %}
    {% for messages, text, total in flagged %}
        {% set reasons = [] %}
        {% for name, reason in total.reasons.items() | sort(attribute='1.lines', reverse=true) %}
            {% if loop.index <= 3 %}
                {% do reasons.append(name ~ " " ~ '{:,}'.format(reason.lines) ~ " ("
                    ~ percent_text(reason.lines / total.lines) ~ "), e.g. "
                    ~ examples.get((reason.file, reason.row), 'row ' ~ reason.row)
                    ~ (" of '" ~ reason.file ~ "'" if not total.file else "")) %}
            {% endif %}
        {% endfor %}
        {% set source = raw_sources().get(total.store, {}) %}
        {% do messages.append(text ~ " Top reasons: " ~ reasons | join('; ')
            ~ ". Fix the file, or the setting the reason points to (timestamp_format, encoding,"
            ~ " delimiter in var " ~ source.get('options_var', total.store ~ '_options')
            ~ "; the seed non_product_stock_codes; var latest_order_date), or change the"
            ~ " thresholds (vars rejected_share_warn, rejected_share_error).") %}
    {% endfor %}
{% endmacro %}

{% macro rejected_share_text(total) %}
    {{ return('{:,}'.format(total.lines - total.kept) ~ " of " ~ '{:,}'.format(total.lines)
        ~ " lines (" ~ percent_text((total.lines - total.kept) / total.lines) ~ ") are rejected") }}
{% endmacro %}

{% macro percent_text(share) %}
    {{ return('%.1f' | format(share * 100) ~ '%') }}
{% endmacro %}


{#- The first line of each top reason of the flagged files, as one readable text per
    (file, row): one query over the few rows named. -#}
{% macro example_lines(flagged) %}
    {% set wanted = [] %}
    {% for messages, text, total in flagged %}
        {% for name, reason in total.reasons.items() %}
            {% do wanted.append((reason.file, reason.row)) %}
        {% endfor %}
    {% endfor %}
    {% set examples = {} %}
    {% if wanted | length == 0 %}
        {{ return(examples) }}
    {% endif %}
    {% set query %}
        select
            source_file,
            source_row_number,
            order_id,
            customer_id,
            item_id,
            coalesce(cast(quantity as {{ dbt.type_string() }}), quantity_text) as quantity,
            coalesce(cast(unit_price as {{ dbt.type_string() }}), unit_price_text) as unit_price,
            coalesce(cast(ordered_at as {{ dbt.type_string() }}), ordered_at_text) as ordered_at
        from {{ this }}
        where
            {% for file, row in wanted | unique %}
                (source_file = {{ sql_string(file) }} and source_row_number = {{ row }})
                {{ 'or' if not loop.last }}
            {% endfor %}
    {% endset %}
    {% for line in run_query(query).rows %}
        {% do examples.update({(line['source_file'], line['source_row_number']): "row "
            ~ line['source_row_number'] ~ " (order " ~ (line['order_id'] or '-') ~ ", customer "
            ~ (line['customer_id'] or '-') ~ ", item " ~ (line['item_id'] or '-') ~ ", quantity "
            ~ (line['quantity'] or '-') ~ ", price " ~ (line['unit_price'] or '-') ~ ", at "
            ~ (line['ordered_at'] or '-') ~ ")"}) %}
    {% endfor %}
    {{ return(examples) }}
{% endmacro %}


{#- Months with lines in two or more files of one store (lines whose time was read and is
    not in the future). -#}
{% macro check_overlapping_files(counts, errors) %}
    {% if var('allow_overlapping_files') %}
        {{ return(none) }}
    {% endif %}
    {% set months = {} %}
    {% for row in counts if row['order_month'] is not none and row['rejection_reason'] not in ('future_timestamp', 'malformed_row') %}
        {% set key = (row['store_id'], row['order_month'] | string) %}
        {% set files = months.setdefault(key, {}) %}
        {% do files.update({row['source_file']: files.get(row['source_file'], 0) + row['lines']}) %}
    {% endfor %}
    {% set overlaps = {} %}
    {% for key, files in months.items() | sort(attribute='0') if files | length > 1 %}
        {% set pair = (key[0], files.keys() | sort | join("', '")) %}
        {% set entry = overlaps.setdefault(pair, []) %}
        {% set parts = [] %}
        {% for file, lines in files.items() | sort %}
            {% do parts.append('{:,}'.format(lines)) %}
        {% endfor %}
        {% do entry.append(key[1][:7] ~ " (" ~ parts | join(' / ') ~ " lines)") %}
    {% endfor %}
    {% for pair, entries in overlaps.items() %}
        {% do errors.append("store '" ~ pair[0] ~ "': files '" ~ pair[1] ~ "' have lines in the"
            ~ " same month: " ~ entries | join(', ') ~ ". A month delivered twice (a corrected"
            ~ " file under another name, say) counts its sales twice except where its lines"
            ~ " repeat exactly; remove the file that is replaced, or set var"
            ~ " allow_overlapping_files: true if the files are meant to share months.") %}
    {% endfor %}
{% endmacro %}


{#- On a monthly load: the new files' kept lines dated before the first day of the latest
    month their store held before this run. -#}
{% macro check_lines_of_scored_months(errors) %}
    {% set query %}
        select
            judged.store_id,
            judged.source_file,
            count(*) as lines,
            min(judged.ordered_at) as first_ordered_at,
            max(held.first_open_day) as first_open_day
        from {{ this }} as judged
        inner join (
            select
                store_id,
                {{ dbt.date_trunc('month', 'max(latest_kept_at)') }} as first_open_day
            from int_order_lines__loaded_before
            group by store_id
        ) as held
            on judged.store_id = held.store_id
        left join int_order_lines__loaded_before as before
            on
                judged.store_id = before.store_id
                and judged.source_file = before.source_file
        where
            before.source_file is null
            and judged.rejection_reason is null
            and judged.ordered_at < held.first_open_day
        group by judged.store_id, judged.source_file
        order by judged.store_id, judged.source_file
    {% endset %}
    {% for row in run_query(query).rows %}
        {% do errors.append("store '" ~ row['store_id'] ~ "': the new file '" ~ row['source_file']
            ~ "' has " ~ '{:,}'.format(row['lines']) ~ " kept lines dated before "
            ~ (row['first_open_day'] | string)[:10] ~ " (the first from "
            ~ (row['first_ordered_at'] | string)[:10] ~ "), in months that earlier loads have"
            ~ " scored: a monthly load scores only the latest month again (int_customer_values,"
            ~ " the segment history), so adding them in place would leave those months wrong."
            ~ " Build from every file instead: `make build`, or `dbt build --full-refresh`.") %}
    {% endfor %}
{% endmacro %}

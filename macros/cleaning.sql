{#- Small cleaning rules shared by the staging models and int_order_lines. Each is plain portable SQL; a dialect
    that needs something else gets a dispatched version. -#}

{#- Trimmed text, with an empty field read as missing, and control characters out: a tab or
    line break (a quoted one is valid CSV) becomes a space, NUL and the other C0 and C1
    controls and DEL are removed. Staging computes `has_control_characters` for the line first
    (has_control_characters below), so the removal runs only on the few lines that have any. -#}
{% macro clean_text(column) -%}
    case
        when has_control_characters
            then nullif(trim({{ replace_pattern(
                replace_pattern(column, control_character_pattern('space'), "' '"),
                control_character_pattern('removed'), "''"
            ) }}), '')
        else nullif({{ trim_spaces(column) }}, '')
    end
{%- endmacro %}

{#- trim(), called only where a value starts or ends with a space: trim copies every value it
    is given, and most raw values need none (on the generated feed the cleaning of six columns
    cost 2.5 times as much CPU with trim on every value). -#}
{% macro trim_spaces(column) -%}
    case when {{ column }} like ' %' or {{ column }} like '% ' then trim({{ column }}) else {{ column }} end
{%- endmacro %}

{#- Whether any of the line's raw fields holds a control character: one match per line, on the
    lines of the files where the raw-file check found any (raw.raw_files), none elsewhere. -#}
{% macro has_control_characters(columns, source_name) -%}
    {%- set rows = raw_file_settings(source_name) -%}
    {%- set files = rows | selectattr('has_control_characters') | map(attribute='source_file') | list -%}
    {%- if rows and files | length == 0 -%}
        false
    {%- elif files | length == rows | length -%}
        {{ matches_pattern(raw_line_text(columns), control_character_pattern('any')) }}
    {%- else -%}
        (
            source_file in ({% for file in files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor %})
            and {{ matches_pattern(raw_line_text(columns), control_character_pattern('any')) }}
        )
    {%- endif -%}
{%- endmacro %}

{#- How many control characters clean_text takes out of (or turns into spaces in) the line. -#}
{% macro control_character_count(columns) -%}
    case
        when has_control_characters
            then length({{ raw_line_text(columns) }}) - length({{ replace_pattern(
                raw_line_text(columns), control_character_pattern('any'), "''"
            ) }})
        else 0
    end
{%- endmacro %}

{% macro raw_line_text(columns) -%}
    concat_ws('', {{ columns | join(', ') }})
{%- endmacro %}


{#- Ids that spreadsheets and dataframes write for "no value" are missing ids: `nan`, `null`,
    `none`, `n/a`, `#n/a`, in any case (empty after trimming already is). The length test
    first keeps lower() off every real id. -#}
{% macro null_like_as_null(column) -%}
    case
        when length({{ column }}) <= 4 and lower({{ column }}) in ('nan', 'null', 'none', 'n/a', '#n/a')
            then null
        else {{ column }}
    end
{%- endmacro %}


{#- Customer ids arrive as `17850` (Online Retail) or float-style `104233.0` (e-commerce feed):
    both become `17850` / `104233`. The column is clean_text's (trimmed, never empty). A
    bracket instead of a backslash keeps the pattern the same in every dialect's string
    literals. -#}
{% macro normalize_customer_id(column) -%}
    nullif(regexp_replace({{ column }}, '[.]0+$', ''), '')
{%- endmacro %}


{#- A raw line whose number of fields is not the header's: the last expected field is absent
    (null, where an empty field is '') or a field follows it (the raw view's extra_field). -#}
{% macro has_wrong_field_count(last_column) -%}
    ({{ last_column }} is null or extra_field is not null)
{%- endmacro %}


{#- Exact decimal for money: sums of prices must not drift between engines. -#}
{% macro money_type() -%}
    decimal(18, 4)
{%- endmacro %}


{#- Staging keeps a value's text only where it could not be read as its type: the text when
    it is present and the typed value is null, else null. -#}
{% macro unparsed_text(text_column, typed_column) -%}
    case when {{ typed_column }} is null then {{ text_column }} end
{%- endmacro %}


{#- A value the file leaves empty: neither read nor kept as unreadable text. -#}
{% macro is_missing(typed_column, unparsed_text_column) -%}
    ({{ typed_column }} is null and {{ unparsed_text_column }} is null)
{%- endmacro %}


{#- The staging models whose lines int_order_lines judges: one per source, each in the shared
    vocabulary (docs/sources-and-cleaning.md, Adding a source). -#}
{% macro order_line_staging_models() %}
    {{ return(['stg_online_retail__order_lines', 'stg_ecommerce__order_lines']) }}
{% endmacro %}


{#- Whole numbers only: a plain cast would round `1.5` to 2 without a word. -#}
{% macro parse_integer(column) -%}
    {{ return(adapter.dispatch('parse_integer')(column)) }}
{%- endmacro %}

{% macro default__parse_integer(column) -%}
    case
        when trim({{ column }}) similar to '-?[0-9]+'
            then {{ dbt.safe_cast('trim(' ~ column ~ ')', api.Column.translate_type('integer')) }}
    end
{%- endmacro %}

{% macro duckdb__parse_integer(column) -%}
    case
        when regexp_full_match(trim({{ column }}), '-?[0-9]+')
            then try_cast(trim({{ column }}) as integer)
    end
{%- endmacro %}


{#- Spark has no `similar to`; rlike is a Java regex, anchored here. A value out of the integer
    range casts to null (dbt-spark runs with spark.sql.ansi.enabled=false). -#}
{% macro spark__parse_integer(column) -%}
    case
        when trim({{ column }}) rlike '^-?[0-9]+$'
            then cast(trim({{ column }}) as integer)
    end
{%- endmacro %}


{#- dbt-duckdb has no safe_cast of its own, so dbt.safe_cast would fall back to a plain cast and
    fail the whole model on one bad value. This implementation is picked up by dbt's dispatch. -#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}


{#- Regular expressions. Patterns are written once, as the engine's string literal wants them:
    DuckDB passes backslashes through to RE2, Spark's literals unescape them first. -#}
{% macro control_character_pattern(kind) -%}
    {%- set classes = {
        'any': '[\\x00-\\x1f\\x7f-\\x9f]',
        'space': '[\\t\\n\\r]',
        'removed': '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]',
    } -%}
    {{ return(adapter.dispatch('regex_literal')(classes[kind])) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    {{ return("'" ~ pattern ~ "'") }}
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
    {{ return("'" ~ pattern | replace('\\', '\\\\') ~ "'") }}
{%- endmacro %}

{% macro matches_pattern(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(expression, pattern) -%}
    regexp_matches({{ expression }}, {{ pattern }})
{%- endmacro %}

{% macro spark__matches_pattern(expression, pattern) -%}
    ({{ expression }} rlike {{ pattern }})
{%- endmacro %}

{% macro replace_pattern(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('replace_pattern')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__replace_pattern(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__replace_pattern(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}


{#- Timestamps. A format is `iso` (YYYY-MM-DD with an optional time, read by a cast) or a
    strptime format (`%m/%d/%Y %H:%M`); per file, raw.raw_files says which (macros/raw_sources.sql
    detects it or takes var <source>_options.timestamp_format). These are the formats tried. -#}
{% macro timestamp_format_candidates() %}
    {{ return([
        'iso',
        '%m/%d/%Y %H:%M', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y',
        '%d/%m/%Y %H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y',
        '%m/%d/%y %H:%M', '%m/%d/%y', '%d/%m/%y %H:%M', '%d/%m/%y',
        '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y',
        '%d-%m-%Y %H:%M:%S', '%d-%m-%Y', '%d-%b-%Y %H:%M', '%Y%m%d',
    ]) }}
{% endmacro %}

{% macro parse_timestamp_text(column, format) -%}
    {{ return(adapter.dispatch('parse_timestamp_text')(column, format)) }}
{%- endmacro %}

{% macro default__parse_timestamp_text(column, format) -%}
    {%- if format == 'iso' -%}
        {{ dbt.safe_cast(column, api.Column.translate_type('timestamp')) }}
    {%- else -%}
        try_strptime({{ column }}, {{ sql_string(format) }})
    {%- endif -%}
{%- endmacro %}

{#- Spark reads a strptime format translated to its own pattern letters. -#}
{% macro spark__parse_timestamp_text(column, format) -%}
    {%- if format == 'iso' -%}
        {{ dbt.safe_cast(column, 'timestamp') }}
    {%- else -%}
        try_to_timestamp({{ column }}, {{ sql_string(strptime_to_java(format)) }})
    {%- endif -%}
{%- endmacro %}

{% macro strptime_to_java(format) %}
    {%- set tokens = {'Y': 'yyyy', 'y': 'yy', 'm': 'M', 'd': 'd', 'H': 'H', 'I': 'h', 'M': 'mm',
        'S': 'ss', 'f': 'SSSSSS', 'p': 'a', 'b': 'MMM', 'B': 'MMMM', '%': "'%'"} -%}
    {%- set parts = [] -%}
    {%- for piece in modules.re.split('(%.)', format) if piece -%}
        {%- if piece.startswith('%') -%}
            {%- do parts.append(tokens.get(piece[1], piece)) -%}
        {%- elif modules.re.search('[A-Za-z]', piece) -%}
            {%- do parts.append("'" ~ piece ~ "'") -%}
        {%- else -%}
            {%- do parts.append(piece) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(parts | join('')) }}
{% endmacro %}

{% macro timestamp_in_sane_years(expression) -%}
    {{ expression }} >= cast('1900-01-01' as timestamp) and {{ expression }} < cast('2200-01-01' as timestamp)
{%- endmacro %}

{% macro timestamp_has_time_of_day(expression) -%}
    {{ expression }} <> cast({{ dbt.date_trunc('day', expression) }} as timestamp)
{%- endmacro %}

{#- A source's timestamp column read with each file's format (raw.raw_files, read when the
    model compiles): one expression when every file has the same format, else one branch per
    format. Before the raw files are registered (a compile without the on-run-start hook), ISO. -#}
{% macro parse_ordered_at(column, source_name) -%}
    {%- set formats = {} -%}
    {%- for row in raw_file_settings(source_name) -%}
        {%- do formats.setdefault(row['timestamp_format'], []).append(row['source_file']) -%}
    {%- endfor -%}
    {%- if formats | length <= 1 -%}
        {{ parse_timestamp_text(column, (formats.keys() | list | first) or 'iso') }}
    {%- else -%}
        case
            {%- for format, files in formats.items() %}
            when source_file in ({% for file in files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor %})
                then {{ parse_timestamp_text(column, format) }}
            {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{#- Whether the source's exact repeat lines are purchases (a day-level feed) rather than
    duplicates: a constant, from raw.raw_files. -#}
{% macro repeated_lines_are_purchases(source_name) -%}
    {%- set rows = raw_file_settings(source_name) -%}
    {{ 'true' if rows and rows[0]['repeated_lines'] == 'purchase' else 'false' }}
{%- endmacro %}

{% macro raw_file_settings(source_name) %}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set relation = adapter.get_relation(
        database=target.database, schema=var('raw_schema'), identifier='raw_files'
    ) %}
    {% if relation is none %}
        {{ return([]) }}
    {% endif %}
    {% set result = run_query(
        "select source_file, timestamp_format, repeated_lines, has_control_characters from "
        ~ relation
        ~ " where source_name = " ~ sql_string(source_name) ~ " order by source_file"
    ) %}
    {{ return(result.rows) }}
{% endmacro %}


{#- Lines dated after var latest_order_date (YYYY-MM-DD), or when it is null after the day
    after the run's date (UTC; the day's slack keeps a store east of UTC out of the future),
    are future_timestamp: this is the first moment they start. -#}
{% macro first_future_timestamp() -%}
    {%- set given = var('latest_order_date') -%}
    {%- if given is none -%}
        {%- set last_day = run_started_at.date() + modules.datetime.timedelta(days=1) -%}
    {%- elif modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', given | string | trim) -%}
        {%- set last_day = modules.datetime.date.fromisoformat(given | string | trim) -%}
    {%- else -%}
        {%- do exceptions.raise_compiler_error(
            "var latest_order_date must be null or a date written YYYY-MM-DD; got '" ~ given ~ "'."
        ) -%}
    {%- endif -%}
    cast('{{ last_day + modules.datetime.timedelta(days=1) }} 00:00:00' as timestamp)
{%- endmacro %}

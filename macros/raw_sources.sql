{#- The raw inputs: for each source, where its files are (a var) and the header they must have.
    Every raw value is read as text so that bad values reach staging instead of failing the read. -#}
{% macro raw_sources() %}
    {{ return({
        'online_retail': {
            'table': 'order_lines',
            'path_var': 'online_retail_path',
            'env_var': 'ONLINE_RETAIL_PATH',
            'columns': ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate',
                        'UnitPrice', 'CustomerID', 'Country'],
        },
        'ecommerce': {
            'table': 'order_lines',
            'path_var': 'ecommerce_path',
            'env_var': 'ECOMMERCE_PATH',
            'columns': ['customer_id', 'item_id', 'item_name', 'unit_price', 'item_count',
                        'purchase_time'],
        },
    }) }}
{% endmacro %}


{#- on-run-start hook: checks every raw file, then (re)creates one view per source in the raw
    schema with two extra columns, source_file and source_row_number (1 = first data row).
    Skipped when the warehouse is opened read-only (make docs, make metrics): nothing there reads
    the raw files. -#}
{% macro register_raw_sources() %}
    {% if execute and not warehouse_is_read_only() %}
        {% do run_query('create schema if not exists ' ~ var('raw_schema')) %}
        {% for source_name, spec in raw_sources().items() %}
            {% set path = var(spec.path_var) %}
            {% set listing = raw_file_listing(source_name, path) %}
            {% set files = checked_raw_files(source_name, spec, path, listing) %}
            {% do check_raw_headers(source_name, spec, raw_file_first_lines(files)) %}
            {% do run_query(raw_source_view_sql(source_name, spec, files)) %}
        {% endfor %}
    {% endif %}
{% endmacro %}


{% macro warehouse_is_read_only() %}
    {{ return(adapter.dispatch('warehouse_is_read_only')()) }}
{% endmacro %}

{% macro default__warehouse_is_read_only() %}
    {{ return(false) }}
{% endmacro %}

{#- WAREHOUSE_ACCESS_MODE=read_only (profiles/profiles.yml). -#}
{% macro duckdb__warehouse_is_read_only() %}
    {% set mode = run_query("select current_setting('access_mode')").columns[0].values()[0] %}
    {{ return(mode | lower == 'read_only') }}
{% endmacro %}


{#- on-run-end hook: drops the raw views again where they only work inside dbt (dispatched).
    Nothing needs them after the run: staging holds every raw line, and the next run creates
    them again. Skipped read-only, as the creation is. -#}
{% macro drop_raw_sources() %}
    {% if execute and not warehouse_is_read_only() %}
        {% do adapter.dispatch('drop_raw_sources')() %}
    {% endif %}
{% endmacro %}

{#- Spark's raw views read absolute paths, so they work anywhere and stay. -#}
{% macro default__drop_raw_sources() %}
{% endmacro %}

{#- DuckDB's raw views read the files by paths relative to the directory dbt runs in, so in a BI
    tool (another directory) they fail: they are dropped, and so is the raw schema when nothing
    else is in it. -#}
{% macro duckdb__drop_raw_sources() %}
    {% set schema = var('raw_schema') %}
    {% for source_name, spec in raw_sources().items() %}
        {% do run_query('drop view if exists ' ~ schema ~ '.' ~ source_name ~ '__' ~ spec.table) %}
    {% endfor %}
    {% set in_schema = "database_name = current_database() and schema_name = " ~ sql_string(schema) %}
    {% set left = run_query(
        "select (select count(*) from duckdb_tables() where " ~ in_schema ~ ")"
        ~ " + (select count(*) from duckdb_views() where " ~ in_schema ~ ")"
    ) %}
    {% if left.rows[0][0] == 0 and schema != 'main' %}
        {% do run_query('drop schema if exists ' ~ schema) %}
    {% endif %}
{% endmacro %}


{#- The checks, the same on every engine: at least one file, none empty. Returns the names. -#}
{% macro checked_raw_files(source_name, spec, path, listing) %}
    {% if listing | length == 0 %}
        {% do exceptions.raise_compiler_error(
            "Input for source '" ~ source_name ~ "': no file matches '" ~ path ~ "' (set by var "
            ~ spec.path_var ~ " or env var " ~ spec.env_var ~ "; a relative path is resolved from"
            ~ " the directory dbt runs in). Expected one or more files: CSV with header "
            ~ spec.columns | join(',') ~ "."
        ) %}
    {% endif %}
    {% for file, size in listing %}
        {% if size == 0 %}
            {% do exceptions.raise_compiler_error(
                "Input for source '" ~ source_name ~ "': file '" ~ file ~ "' is empty (0 bytes)."
                ~ " Expected at least a header line: " ~ spec.columns | join(',')
                ~ " (a month with no sales is a file with the header and no rows)."
            ) %}
        {% endif %}
    {% endfor %}
    {{ return(listing | map(attribute=0) | list) }}
{% endmacro %}

{#- Compares each file's first line with the expected header (a byte-order mark, quotes and
    case aside). -#}
{% macro check_raw_headers(source_name, spec, first_lines) %}
    {% set expected = spec.columns | join(',') %}
    {% for file, header_line in first_lines %}
        {% set found = header_line | replace('\ufeff', '') | replace('"', '') | trim %}
        {% if found | lower != expected | lower %}
            {% do exceptions.raise_compiler_error(
                "Input for source '" ~ source_name ~ "': file '" ~ file ~ "' has the header '"
                ~ found ~ "'. Expected: " ~ expected ~ " (var " ~ spec.path_var ~ ")."
            ) %}
        {% endif %}
    {% endfor %}
{% endmacro %}


{#- (file, size in bytes) for every file the path (a glob) matches, sorted; empty when none. -#}
{% macro raw_file_listing(source_name, path) %}
    {{ return(adapter.dispatch('raw_file_listing')(source_name, path)) }}
{% endmacro %}

{% macro duckdb__raw_file_listing(source_name, path) %}
    {#- read_blob fails on a glob without matches, so count them first; it reads no content
        when only the name and size are selected. -#}
    {% set matches = run_query("select count(*) from glob(" ~ sql_string(path) ~ ")") %}
    {% if matches.rows[0][0] == 0 %}
        {{ return([]) }}
    {% endif %}
    {% set listing = run_query(
        "select filename, size from read_blob(" ~ sql_string(path) ~ ") order by filename"
    ) %}
    {{ return(listing.rows | map('list') | list) }}
{% endmacro %}


{#- (file, first line) for every file. -#}
{% macro raw_file_first_lines(files) %}
    {{ return(adapter.dispatch('raw_file_first_lines')(files)) }}
{% endmacro %}

{#- Reads only the first line of each file, as one text column (the delimiter is a control
    character that never occurs). -#}
{% macro duckdb__raw_file_first_lines(files) %}
    {% set first_lines %}
        {% for file in files %}
            select {{ sql_string(file) }} as filename, header_line
            from (
                select header_line
                from read_csv({{ sql_string(file) }}, header = false, auto_detect = false,
                    columns = {'header_line': 'varchar'}, delim = chr(31), quote = '', escape = '')
                limit 1
            )
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endset %}
    {{ return(run_query(first_lines).rows | map('list') | list) }}
{% endmacro %}


{% macro raw_source_view_sql(source_name, spec, files) %}
    {{ return(adapter.dispatch('raw_source_view_sql')(source_name, spec, files)) }}
{% endmacro %}

{#- One scan per file, so that row_number() over () numbers each file's rows in file order
    (DuckDB keeps scan order for it). Short rows are padded with nulls (null_padding) so that a
    line with a missing field is kept and rejected downstream with a reason, instead of failing
    the whole read. -#}
{% macro duckdb__raw_source_view_sql(source_name, spec, files) %}
    create or replace view {{ var('raw_schema') }}.{{ source_name }}__{{ spec.table }} as
    {% for file in files %}
        select
            {% for column in spec.columns %}{{ column }},
            {% endfor %}{{ sql_string(file) }} as source_file,
            cast(row_number() over () as bigint) as source_row_number
        from read_csv(
            {{ sql_string(file) }},
            header = true,
            auto_detect = false,
            columns = { {%- for column in spec.columns -%}
                '{{ column }}': 'varchar'{% if not loop.last %}, {% endif %}
            {%- endfor -%} },
            delim = ',',
            quote = '"',
            escape = '"',
            null_padding = true
        )
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{#- Spark (dbt-spark, `--target spark`): the same checks and the same view, with Spark's file
    sources. The glob's folder is listed with the binaryFile source (names and sizes only; the
    content column is never read), its last part is the file-name filter (pathGlobFilter). -#}
{% macro spark_path_parts(path) %}
    {% set parts = path.rsplit('/', 1) if '/' in path else ['.', path] %}
    {{ return({'folder': parts[0] or '/', 'pattern': parts[1]}) }}
{% endmacro %}

{% macro spark__raw_file_listing(source_name, path) %}
    {% set parts = spark_path_parts(path) %}
    {% do run_query(
        "create or replace temporary view " ~ source_name ~ "__raw_files using binaryFile"
        ~ " options (path " ~ sql_string(parts.folder) ~ ", pathGlobFilter "
        ~ sql_string(parts.pattern) ~ ")"
    ) %}
    {% set listing = run_query(
        "select path, length from " ~ source_name ~ "__raw_files order by path"
    ) %}
    {{ return(listing.rows | map('list') | list) }}
{% endmacro %}

{#- The first line of each file, read with the text source (one line per row, no parsing). -#}
{% macro spark__raw_file_first_lines(files) %}
    {% set first_lines %}
        {% for file in files %}
            (select {{ sql_string(file) }} as filename, value as header_line
            from text.`{{ file }}` limit 1)
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endset %}
    {{ return(run_query(first_lines).rows | map('list') | list) }}
{% endmacro %}

{#- An external CSV table over the checked files (every column text; short rows padded with
    nulls, Spark's PERMISSIVE mode), then the view with the two extra columns. A gzip file is
    read whole by one task, so the ids of monotonically_increasing_id() follow its lines and
    row_number() numbers each file's rows in file order, as on DuckDB. -#}
{% macro spark__raw_source_view_sql(source_name, spec, files) %}
    {#- The folder as Spark listed it (absolute): a relative table path would be read from the
        warehouse folder instead of the directory dbt runs in. -#}
    {% set folder = files[0].rsplit('/', 1)[0] %}
    {% set parts = spark_path_parts(var(spec.path_var)) %}
    {% set files_table = var('raw_schema') ~ '.' ~ source_name ~ '__' ~ spec.table ~ '__files' %}
    {% do run_query('drop view if exists ' ~ var('raw_schema') ~ '.' ~ source_name ~ '__' ~ spec.table) %}
    {% do run_query('drop table if exists ' ~ files_table) %}
    {% do run_query(
        'create table ' ~ files_table ~ ' ('
        ~ spec.columns | map('string') | join(' string, ') ~ ' string)'
        ~ ' using csv options (path ' ~ sql_string(folder) ~ ', pathGlobFilter '
        ~ sql_string(parts.pattern) ~ ", header 'true', quote '\"', escape '\"',"
        ~ " mode 'PERMISSIVE', multiLine 'false')"
    ) %}
    create view {{ var('raw_schema') }}.{{ source_name }}__{{ spec.table }} as
    select
        {% for column in spec.columns %}{{ column }},
        {% endfor %}source_file,
        cast(row_number() over (
            partition by source_file order by scan_order
        ) as bigint) as source_row_number
    from (
        select
            *,
            input_file_name() as source_file,
            monotonically_increasing_id() as scan_order
        from {{ files_table }}
    ) as scanned
{% endmacro %}

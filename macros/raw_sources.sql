{#- The raw inputs: for each source, where its files are (a var), the headers they may have and
    the var of its read options. Every raw value is read as text so that bad values reach
    staging instead of failing the read (docs/sources-and-cleaning.md). -#}
{% macro raw_sources() %}
    {{ return({
        'online_retail': {
            'table': 'order_lines',
            'path_var': 'online_retail_path',
            'env_var': 'ONLINE_RETAIL_PATH',
            'options_var': 'online_retail_options',
            'columns': ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate',
                        'UnitPrice', 'CustomerID', 'Country'],
            'header_aliases': [
                ['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price',
                 'Customer ID', 'Country'],
            ],
            'timestamp_column': 'InvoiceDate',
        },
        'ecommerce': {
            'table': 'order_lines',
            'path_var': 'ecommerce_path',
            'env_var': 'ECOMMERCE_PATH',
            'options_var': 'ecommerce_options',
            'columns': ['customer_id', 'item_id', 'item_name', 'unit_price', 'item_count',
                        'purchase_time'],
            'header_aliases': [],
            'timestamp_column': 'purchase_time',
        },
    }) }}
{% endmacro %}


{#- A source's read options: var <source>_options over these defaults. An unknown key or value
    is a problem that names the var. -#}
{% macro raw_read_option_defaults() %}
    {{ return({
        'encoding': 'utf-8',
        'delimiter': ',',
        'quote': '"',
        'escape': '"',
        'max_line_size': 2097152,
        'timestamp_format': none,
        'repeated_lines': 'auto',
    }) }}
{% endmacro %}

{% macro raw_read_options(source_name, spec, problems) %}
    {% set options = raw_read_option_defaults() %}
    {% set given = var(spec.options_var, {}) or {} %}
    {% if given is not mapping %}
        {% do problems.append("var " ~ spec.options_var ~ " must be a mapping of read options"
            ~ " (e.g. {encoding: cp1252}); got '" ~ given ~ "'.") %}
        {{ return(options) }}
    {% endif %}
    {% for key, value in given.items() %}
        {% if key not in options %}
            {% do problems.append("var " ~ spec.options_var ~ " has the unknown key '" ~ key
                ~ "'. Known keys: " ~ options.keys() | sort | join(', ') ~ ".") %}
        {% elif value is not none %}
            {% do options.update({key: value}) %}
        {% endif %}
    {% endfor %}
    {% if options.repeated_lines not in ('auto', 'duplicate', 'purchase') %}
        {% do problems.append("var " ~ spec.options_var ~ ": repeated_lines must be auto,"
            ~ " duplicate or purchase; got '" ~ options.repeated_lines ~ "'.") %}
    {% endif %}
    {% for key in ('delimiter', 'quote', 'escape') %}
        {% if options[key] | string | length != 1 %}
            {% do problems.append("var " ~ spec.options_var ~ ": " ~ key ~ " must be one"
                ~ " character; got '" ~ options[key] ~ "'.") %}
        {% endif %}
    {% endfor %}
    {{ return(options) }}
{% endmacro %}


{#- on-run-start hook: checks every raw file of every source and collects what is wrong; any
    problem stops the run with all of them listed, each naming its file and what to change.
    Then one view per source in the raw schema (with source_file and source_row_number, 1 =
    the first data row), and raw.raw_files: one row per file with how it is read. Skipped when
    the warehouse is opened read-only (make docs, make metrics): nothing there reads the raw
    files. -#}
{% macro register_raw_sources() %}
    {% if execute and not warehouse_is_read_only() %}
        {% do run_query('create schema if not exists ' ~ var('raw_schema')) %}
        {% set problems = [] %}
        {% set registered = [] %}
        {% for source_name, spec in raw_sources().items() %}
            {% set source_problems = [] %}
            {% set options = raw_read_options(source_name, spec, source_problems) %}
            {% set path = var(spec.path_var) %}
            {% set listing = raw_file_listing(source_name, path) %}
            {% set files = checked_raw_files(source_name, spec, path, listing, source_problems) %}
            {% set readable = prepared_raw_files(source_name, spec, options, files, source_problems) %}
            {% do check_raw_headers(
                source_name, spec, options, raw_file_first_lines(readable, options), source_problems
            ) %}
            {% for problem in source_problems %}
                {% do problems.append("source '" ~ source_name ~ "': " ~ problem) %}
            {% endfor %}
            {% do registered.append({
                'name': source_name, 'spec': spec, 'options': options, 'files': readable,
            }) %}
        {% endfor %}
        {% if problems %}
            {% do exceptions.raise_compiler_error(
                "Input check: " ~ problems | length ~ " problem(s) with the raw files; nothing"
                ~ " was built.\n- " ~ problems | join("\n- ")
            ) %}
        {% endif %}
        {% set file_rows = [] %}
        {% for source in registered %}
            {% do run_query(raw_source_view_sql(source.name, source.spec, source.options, source.files)) %}
            {% do file_rows.extend(detected_raw_formats(source.name, source.spec, source.options, source.files)) %}
        {% endfor %}
        {% do run_query(raw_files_view_sql(file_rows)) %}
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
    else is in it. raw.raw_files goes with them: rpt_input_files holds what it says. -#}
{% macro duckdb__drop_raw_sources() %}
    {% set schema = var('raw_schema') %}
    {% for source_name, spec in raw_sources().items() %}
        {% do run_query('drop view if exists ' ~ schema ~ '.' ~ source_name ~ '__' ~ spec.table) %}
    {% endfor %}
    {% do run_query('drop view if exists ' ~ schema ~ '.raw_files') %}
    {% set in_schema = "database_name = current_database() and schema_name = " ~ sql_string(schema) %}
    {% set left = run_query(
        "select (select count(*) from duckdb_tables() where " ~ in_schema ~ ")"
        ~ " + (select count(*) from duckdb_views() where " ~ in_schema ~ ")"
    ) %}
    {% if left.rows[0][0] == 0 and schema != 'main' %}
        {% do run_query('drop schema if exists ' ~ schema) %}
    {% endif %}
{% endmacro %}


{#- The checks, the same on every engine: at least one file, none empty. Returns the names of
    the files that pass. -#}
{% macro checked_raw_files(source_name, spec, path, listing, problems) %}
    {% if listing | length == 0 %}
        {% do problems.append(
            "no file matches '" ~ path ~ "' (set by var " ~ spec.path_var ~ " or env var "
            ~ spec.env_var ~ "; a relative path is resolved from the directory dbt runs in)."
            ~ " Expected one or more files: CSV (plain or .gz) or Excel workbooks with header "
            ~ spec.columns | join(',') ~ "."
        ) %}
    {% endif %}
    {% set files = [] %}
    {% for file, size in listing %}
        {% if size == 0 %}
            {% do problems.append(
                "file '" ~ file ~ "' is empty (0 bytes). Expected at least a header line: "
                ~ spec.columns | join(',') ~ " (a month with no sales is a file with the header"
                ~ " and no rows)."
            ) %}
        {% else %}
            {% do files.append(file) %}
        {% endif %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}


{#- What each file is read as (list of {source_file, read_path, converted}): on DuckDB the
    plugin's prepare_raw_files checks gzip files to their end, decodes other encodings and
    converts workbooks (retail_warehouse/inputs/raw_files.py). -#}
{% macro prepared_raw_files(source_name, spec, options, files, problems) %}
    {{ return(adapter.dispatch('prepared_raw_files')(source_name, spec, options, files, problems)) }}
{% endmacro %}

{% macro duckdb__prepared_raw_files(source_name, spec, options, files, problems) %}
    {% if files | length == 0 %}
        {{ return([]) }}
    {% endif %}
    {% set plugin = run_query(
        "select count(*) from duckdb_functions() where function_name = 'prepare_raw_files'"
    ) %}
    {% if plugin.rows[0][0] == 0 %}
        {% do exceptions.raise_compiler_error(
            "Input check: the DuckDB function prepare_raw_files is missing: the profile must"
            ~ " load the project's plugin (plugins: [{module: retail_warehouse.inputs.duckdb_plugin}],"
            ~ " as profiles/profiles.yml does) and the project directory must be in module_paths."
        ) %}
    {% endif %}
    {% set request = tojson({
        'files': files, 'encoding': options.encoding, 'max_line_size': options.max_line_size,
        'quote': options.quote, 'cache_dir': var('raw_cache_dir'),
    }) %}
    {% set answer = fromjson(run_query("select prepare_raw_files(" ~ sql_string(request) ~ ")").rows[0][0]) %}
    {% set readable = [] %}
    {% for prepared in answer %}
        {% if prepared.error %}
            {% do problems.append(
                "file '" ~ prepared.path ~ "' cannot be read: " ~ prepared.error ~ "."
                ~ raw_file_remedy(prepared.error_kind, spec)
            ) %}
        {% else %}
            {% for file in prepared.files %}
                {% do readable.append(file) %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(readable) }}
{% endmacro %}

{#- What to do about a file that cannot be prepared: the setting, or the file itself. -#}
{% macro raw_file_remedy(error_kind, spec) %}
    {% if error_kind == 'encoding' %}
        {{ return(" Set the file's encoding in var " ~ spec.options_var
            ~ " (e.g. {encoding: cp1252}; any Python codec name).") }}
    {% elif error_kind == 'max_line_size' %}
        {{ return(" Raise max_line_size in var " ~ spec.options_var
            ~ " (e.g. {max_line_size: 10000000}).") }}
    {% endif %}
    {{ return(" Replace it with an intact copy (download or export it again), or leave it out of var "
        ~ spec.path_var ~ ".") }}
{% endmacro %}


{#- Compares each file's first line with the expected header or one of its aliases (fields
    split on the delimiter; a byte-order mark, quotes, spaces around names and case aside).
    When another delimiter would make it match, says so. -#}
{% macro check_raw_headers(source_name, spec, options, first_lines, problems) %}
    {% set expected = spec.columns | join(',') %}
    {% set accepted = [spec.columns] + spec.header_aliases %}
    {% for file, header_line, converted in first_lines %}
        {% set found = (header_line or '') | replace('\ufeff', '') | trim %}
        {% set delimiter = ',' if converted else options.delimiter %}
        {% if not raw_header_matches(found, delimiter, accepted) %}
            {% set hint = [] %}
            {% for other in [',', ';', '\t', '|'] if other != delimiter and raw_header_matches(found, other, accepted) %}
                {% do hint.append(" Its fields are separated by '" ~ other ~ "': set var "
                    ~ spec.options_var ~ " to {delimiter: '" ~ other ~ "'}.") %}
            {% endfor %}
            {% do problems.append(
                "file '" ~ file ~ "' has the header '" ~ found | replace('"', '') ~ "'. Expected: "
                ~ expected
                ~ ((" (or " ~ spec.header_aliases | map('join', ',') | join(' or ') ~ ")") if spec.header_aliases else "")
                ~ " (var " ~ spec.path_var ~ ")." ~ hint | join('')
            ) %}
        {% endif %}
    {% endfor %}
{% endmacro %}

{% macro raw_header_matches(line, delimiter, accepted) %}
    {% set names = [] %}
    {% for name in line.split(delimiter) %}
        {% do names.append(name | replace('"', '') | trim | lower) %}
    {% endfor %}
    {% for columns in accepted %}
        {% if names == columns | map('lower') | list %}
            {{ return(true) }}
        {% endif %}
    {% endfor %}
    {{ return(false) }}
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


{#- (source file, first line, converted) for every readable file. -#}
{% macro raw_file_first_lines(files, options) %}
    {% if files | length == 0 %}
        {{ return([]) }}
    {% endif %}
    {{ return(adapter.dispatch('raw_file_first_lines')(files, options)) }}
{% endmacro %}

{#- Reads only the first line of each file, as one text column (the delimiter is a control
    character that never occurs). -#}
{% macro duckdb__raw_file_first_lines(files, options) %}
    {% set first_lines %}
        {% for file in files %}
            select {{ sql_string(file.source_file) }} as filename, header_line,
                {{ file.converted }} as converted
            from (
                select header_line
                from read_csv({{ sql_string(file.read_path) }}, header = false, auto_detect = false,
                    columns = {'header_line': 'varchar'}, delim = chr(31), quote = '', escape = '',
                    max_line_size = {{ options.max_line_size | int }})
                limit 1
            )
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endset %}
    {{ return(run_query(first_lines).rows | map('list') | list) }}
{% endmacro %}


{% macro raw_source_view_sql(source_name, spec, options, files) %}
    {{ return(adapter.dispatch('raw_source_view_sql')(source_name, spec, options, files)) }}
{% endmacro %}

{#- The text of a field that is never in a file: read as null, so that a field the line does
    not have (null) differs from an empty one (''). -#}
{% macro raw_absent_field_marker() -%}
    chr(30)
{%- endmacro %}

{#- One scan per file, so that row_number() over () numbers each file's rows in file order
    (DuckDB keeps scan order for it). A line's fields beyond the expected ones: the first lands
    in extra_field, the rest are dropped (strict_mode off); fields it lacks are null
    (null_padding), an empty field is ''. Staging rejects both kinds of line as malformed_row.
    The parallel reader cannot pad lines and read quoted line breaks at once; reading each file
    on one thread costs nothing measurable here, since the row numbering already does
    (docs/sources-and-cleaning.md). -#}
{% macro duckdb__raw_source_view_sql(source_name, spec, options, files) %}
    create or replace view {{ var('raw_schema') }}.{{ source_name }}__{{ spec.table }} as
    {% for file in files %}
        select
            {% for column in spec.columns %}{{ column }},
            {% endfor %}extra_field,
            {{ sql_string(file.source_file) }} as source_file,
            cast(row_number() over () as bigint) as source_row_number
        from {{ duckdb_raw_read_csv(file, spec, options) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if files | length == 0 %}
        {#- Every file of the source was left out by a check: the run stops before this. -#}
        select
            {% for column in spec.columns %}cast(null as varchar) as {{ column }},
            {% endfor %}cast(null as varchar) as extra_field,
            cast(null as varchar) as source_file,
            cast(null as bigint) as source_row_number
        where false
    {% endif %}
{% endmacro %}


{% macro duckdb_raw_read_csv(file, spec, options) -%}
    read_csv(
        {{ sql_string(file.read_path) }},
        header = true,
        auto_detect = false,
        columns = { {%- for column in spec.columns -%}
            '{{ column }}': 'varchar', {% endfor -%} 'extra_field': 'varchar' },
        delim = {{ sql_string(',' if file.converted else options.delimiter) }},
        quote = {{ sql_string('"' if file.converted else options.quote) }},
        escape = {{ sql_string('"' if file.converted else options.escape) }},
        max_line_size = {{ options.max_line_size | int }},
        null_padding = true,
        strict_mode = false,
        parallel = false,
        nullstr = {{ raw_absent_field_marker() }}
    )
{%- endmacro %}


{#- How each file's timestamps are read: the format of var <source>_options.timestamp_format,
    or the one detected on the first lines of the file. Of the known formats
    (timestamp_format_candidates), the one that reads the most sampled values as dates from
    1900 to 2199 wins; among equals, the one whose values span the fewest days (a file's first
    lines are close in time, so `12/1/2010` is 1 December, not 12 January), then the list
    order. Also: whether the file carries times of day, and so whether its store's exact
    repeat lines are duplicates (a time of day) or purchases (dates only), unless
    repeated_lines is set. Logs one line per source; returns raw.raw_files' rows. -#}
{% macro timestamp_sample_lines() %}
    {{ return(1000) }}
{% endmacro %}

{% macro detected_raw_formats(source_name, spec, options, files) %}
    {% set candidates = [options.timestamp_format] if options.timestamp_format else timestamp_format_candidates() %}
    {% set measured = {} %}
    {% if files | length > 0 %}
        {% set samples = adapter.dispatch('raw_timestamp_samples')(source_name, spec, options, files) %}
        {% set query %}
            with

            samples as (

                {{ samples }}

            ),

            parsed as (

                select
                    source_file,
                    {% for candidate in candidates %}
                        {{ parse_timestamp_text('sampled', candidate) }} as parsed_{{ loop.index }},
                    {% endfor %}
                    sampled
                from samples
                where sampled is not null

            )

            select
                source_file,
                {% for candidate in candidates %}
                    count(case when {{ timestamp_in_sane_years('parsed_' ~ loop.index) }} then 1 end) as read_{{ loop.index }},
                    {{ dbt.datediff('min(parsed_' ~ loop.index ~ ')', 'max(parsed_' ~ loop.index ~ ')', 'day') }} as span_{{ loop.index }},
                    max(case when {{ timestamp_has_time_of_day('parsed_' ~ loop.index) }} then 1 else 0 end) as timed_{{ loop.index }},
                {% endfor %}
                count(*) as sampled
            from parsed
            group by source_file
        {% endset %}
        {% for row in run_query(query).rows %}
            {% do measured.update({row['source_file']: row}) %}
        {% endfor %}
    {% endif %}
    {% set rows = [] %}
    {% set summary, partial = [], [] %}
    {% set timed = namespace(any=false) %}
    {% for file in files %}
        {% set row = measured.get(file.source_file) or measured.get('*') %}
        {% set best = namespace(index=1, read=-1, span=none) %}
        {% if row %}
            {% for candidate in candidates %}
                {% set read = row['read_' ~ loop.index] %}
                {% set span = row['span_' ~ loop.index] %}
                {% if read > best.read or (read == best.read and read > 0 and span < best.span) %}
                    {% set best.index, best.read, best.span = loop.index, read, span %}
                {% endif %}
            {% endfor %}
        {% endif %}
        {% set has_time = (row['timed_' ~ best.index] == 1) if row else false %}
        {% set timed.any = timed.any or has_time %}
        {% set chosen = candidates[best.index - 1] if row and best.read > 0 else (options.timestamp_format or 'iso') %}
        {% do rows.append({
            'source_name': source_name, 'source_file': file.source_file,
            'read_path': file.read_path, 'encoding': 'utf-8' if file.converted else options.encoding,
            'timestamp_format': chosen,
            'timestamp_format_origin': 'var' if options.timestamp_format else ('detected' if row and best.read > 0 else 'default'),
            'sampled_timestamps': row['sampled'] if row else 0,
            'read_timestamps': best.read if row else 0,
            'has_time_of_day': has_time,
            'has_control_characters': file.has_control_characters,
        }) %}
        {% do summary.append(chosen) %}
        {% if row and best.read < row['sampled'] %}
            {% do partial.append(file.source_file ~ ": " ~ best.read ~ " of " ~ row['sampled']
                ~ " sampled values read") %}
        {% endif %}
    {% endfor %}
    {% set repeated = options.repeated_lines if options.repeated_lines != 'auto' else ('duplicate' if timed.any or files | length == 0 else 'purchase') %}
    {% for row in rows %}
        {% do row.update({'repeated_lines': repeated, 'repeated_lines_origin': 'var' if options.repeated_lines != 'auto' else 'detected'}) %}
    {% endfor %}
    {% set formats = [] %}
    {% for format in summary | unique %}
        {% set count = summary | select('equalto', format) | list | length %}
        {% do formats.append(format ~ ' in ' ~ count ~ (' file' if count == 1 else ' files')) %}
    {% endfor %}
    {% do log(
        "Inputs: " ~ source_name ~ ": timestamps read as " ~ (formats | join(', ') or 'iso (no lines)')
        ~ (" (var " ~ spec.options_var ~ ".timestamp_format)" if options.timestamp_format else
           " (detected on the first " ~ timestamp_sample_lines() ~ " lines of each file; set"
           ~ " var " ~ spec.options_var ~ ".timestamp_format to choose)")
        ~ ("; " ~ partial | join('; ') if partial else "")
        ~ "; " ~ ("times of day present" if timed.any else "no times of day") ~ ", so exact repeat lines are "
        ~ ("duplicates" if repeated == 'duplicate' else "purchases")
        ~ (" (var " ~ spec.options_var ~ ".repeated_lines)" if options.repeated_lines != 'auto' else
           " (set var " ~ spec.options_var ~ ".repeated_lines: duplicate or purchase to choose)") ~ ".",
        info=true
    ) %}
    {{ return(rows) }}
{% endmacro %}

{#- The first lines of each file's timestamp column: source_file and sampled (trimmed text). -#}
{% macro duckdb__raw_timestamp_samples(source_name, spec, options, files) %}
    {% for file in files %}
        select
            {{ sql_string(file.source_file) }} as source_file,
            nullif(trim({{ spec.timestamp_column }}), '') as sampled
        from (
            select {{ spec.timestamp_column }}
            from {{ duckdb_raw_read_csv(file, spec, options) }}
            limit {{ timestamp_sample_lines() }}
        ) as first_lines
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}

{#- On Spark the first lines of the source's table, one format for all its files ('*'). -#}
{% macro spark__raw_timestamp_samples(source_name, spec, options, files) %}
    select
        '*' as source_file,
        nullif(trim({{ spec.timestamp_column }}), '') as sampled
    from (
        select {{ spec.timestamp_column }}
        from {{ var('raw_schema') }}.{{ source_name }}__{{ spec.table }}__files
        limit {{ timestamp_sample_lines() }}
    ) as first_lines
{% endmacro %}


{#- raw.raw_files: one row per file read (a workbook's sheets apart), with how its timestamps
    are read and whether exact repeat lines of its store are duplicates. Staging reads it when
    it compiles (raw_timestamp_formats, raw_repeated_lines_are_purchases); the input profile
    shows it. -#}
{% macro raw_files_view_sql(rows) %}
    create or replace view {{ var('raw_schema') }}.raw_files as
    {% for row in rows %}
        select
            {{ sql_string(row.source_name) }} as source_name,
            {{ sql_string(row.source_file) }} as source_file,
            {{ sql_string(row.read_path) }} as read_path,
            {{ sql_string(row.encoding) }} as encoding,
            {{ sql_string(row.timestamp_format) }} as timestamp_format,
            {{ sql_string(row.timestamp_format_origin) }} as timestamp_format_origin,
            cast({{ row.sampled_timestamps }} as bigint) as sampled_timestamps,
            cast({{ row.read_timestamps }} as bigint) as read_timestamps,
            {{ row.has_time_of_day }} as has_time_of_day,
            {{ row.has_control_characters }} as has_control_characters,
            {{ sql_string(row.repeated_lines) }} as repeated_lines,
            {{ sql_string(row.repeated_lines_origin) }} as repeated_lines_origin
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% endmacro %}


{% macro sql_string(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}


{#- Spark (dbt-spark, `--target spark`): the same checks and the same view, with Spark's file
    sources. The glob's folder is listed with the binaryFile source (names and sizes only; the
    content column is never read), its last part is the file-name filter (pathGlobFilter).
    Spark reads gzip with a CRC check and decodes any Java encoding itself, so files are read
    as they are; a workbook must be converted first (retail_warehouse/inputs/workbooks.py). -#}
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

{% macro spark__prepared_raw_files(source_name, spec, options, files, problems) %}
    {% set readable = [] %}
    {% for file in files %}
        {% if file.lower().endswith(('.xlsx', '.xlsm', '.xlsb', '.xls', '.ods')) %}
            {% do problems.append("file '" ~ file ~ "' is a workbook, which the Spark target"
                ~ " does not read: convert it with `python -m retail_warehouse.inputs.workbooks "
                ~ file ~ " <folder>` and point var " ~ spec.path_var ~ " at the CSV files.") %}
        {% else %}
            {% do readable.append({
                'source_file': file, 'read_path': file, 'converted': false,
                'has_control_characters': true,
            }) %}
        {% endif %}
    {% endfor %}
    {{ return(readable) }}
{% endmacro %}

{#- The first line of each file, read with the text source (one line per row, no parsing). -#}
{% macro spark__raw_file_first_lines(files, options) %}
    {% set first_lines %}
        {% for file in files %}
            (select {{ sql_string(file.source_file) }} as filename, value as header_line,
                false as converted
            from text.`{{ file.read_path }}` limit 1)
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {% endset %}
    {{ return(run_query(first_lines).rows | map('list') | list) }}
{% endmacro %}

{#- An external CSV table over the checked files (every column text, plus extra_field; lines
    with too few fields padded with nulls, Spark's PERMISSIVE mode, an empty field ''), then
    the view with the two extra columns. A gzip file is read whole by one task, so the ids of
    monotonically_increasing_id() follow its lines and row_number() numbers each file's rows in
    file order, as on DuckDB. -#}
{% macro spark__raw_source_view_sql(source_name, spec, options, files) %}
    {#- The folder as Spark listed it (absolute): a relative table path would be read from the
        warehouse folder instead of the directory dbt runs in. -#}
    {% set folder = files[0].source_file.rsplit('/', 1)[0] %}
    {% set parts = spark_path_parts(var(spec.path_var)) %}
    {% set files_table = var('raw_schema') ~ '.' ~ source_name ~ '__' ~ spec.table ~ '__files' %}
    {% do run_query('drop view if exists ' ~ var('raw_schema') ~ '.' ~ source_name ~ '__' ~ spec.table) %}
    {% do run_query('drop table if exists ' ~ files_table) %}
    {% do run_query(
        'create table ' ~ files_table ~ ' ('
        ~ (spec.columns + ['extra_field']) | map('string') | join(' string, ') ~ ' string)'
        ~ ' using csv options (path ' ~ sql_string(folder) ~ ', pathGlobFilter '
        ~ sql_string(parts.pattern) ~ ", header 'true', sep " ~ spark_literal(options.delimiter)
        ~ ", quote " ~ spark_literal(options.quote) ~ ", escape " ~ spark_literal(options.escape)
        ~ ", encoding " ~ spark_literal(options.encoding)
        ~ ", nullValue '\\u001e', mode 'PERMISSIVE', multiLine 'true')"
    ) %}
    create view {{ var('raw_schema') }}.{{ source_name }}__{{ spec.table }} as
    select
        {% for column in spec.columns %}{{ column }},
        {% endfor %}extra_field,
        source_file,
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


{#- Monthly loads: int_order_lines and fct_orders are incremental on the raw file. A run reads
    only the files that the model does not hold yet, and `--full-refresh` reads them all again.
    Both give the same rows (tests/pytest/test_incremental_loads.py). -#}

{#- is_incremental(), except in a unit test, where the model has no relation of its own (`this`)
    and runs as a first load. -#}
{% macro is_incremental_load() %}
    {{ return(this is not none and is_incremental()) }}
{% endmacro %}


{#- A filter that keeps only the lines of files the model does not hold yet, on incremental runs:
    the files named in the model's own `loaded_files_column`. The loaded files are written into
    the SQL as a list of names, not as a subquery: with names, the engine drops each loaded
    file's scan from the raw view. A subquery would still parse every file. -#}
{% macro where_source_file_not_loaded(loaded_files_column='source_file') %}
    {% if is_incremental_load() %}
        {% set loaded_files = run_query(
            'select distinct ' ~ loaded_files_column ~ ' from ' ~ this ~ ' order by 1'
        ).columns[0].values() %}
        {% if loaded_files | length > 0 %}
            where source_file not in (
                {%- for file in loaded_files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor -%}
            )
        {% endif %}
    {% endif %}
{% endmacro %}


{#- A 64-bit hash of a row's values (nulls included), to find the few rows that may equal
    another with a hash aggregate instead of comparing every value of every row; equal hashes
    are then checked on the values themselves. -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_hash(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}


{#- Equality that treats two nulls as equal (a guest line has no customer on either side). -#}
{% macro null_safe_equal(left, right) -%}
    {{ return(adapter.dispatch('null_safe_equal')(left, right)) }}
{%- endmacro %}

{% macro default__null_safe_equal(left, right) -%}
    {{ left }} is not distinct from {{ right }}
{%- endmacro %}

{% macro spark__null_safe_equal(left, right) -%}
    {{ left }} <=> {{ right }}
{%- endmacro %}

{#- Monthly loads: the staging models are incremental on the raw file. A run reads only the files
    that the model does not hold yet, and `--full-refresh` reads them all again. Both give the
    same rows (tests/pytest/test_incremental_loads.py). -#}

{#- is_incremental(), except in a unit test, where the model has no relation of its own (`this`)
    and runs as a first load. -#}
{% macro is_incremental_load() %}
    {{ return(this is not none and is_incremental()) }}
{% endmacro %}


{#- A filter that keeps only the lines of files the model does not hold yet, on incremental runs.
    The loaded files are written into the SQL as a list of names, not as a subquery: with names,
    the engine drops each loaded file's scan from the raw view. A subquery would still parse
    every file. -#}
{% macro where_source_file_not_loaded() %}
    {% if is_incremental_load() %}
        {% set loaded_files = run_query(
            'select distinct source_file from ' ~ this ~ ' order by source_file'
        ).columns[0].values() %}
        {% if loaded_files | length > 0 %}
            where source_file not in (
                {%- for file in loaded_files %}{{ sql_string(file) }}{{ ', ' if not loop.last }}{% endfor -%}
            )
        {% endif %}
    {% endif %}
{% endmacro %}


{#- is_duplicate: the line repeats every value (after cleaning) of an earlier line, in file
    order. On an incremental run the earlier line may be in a file loaded before, so the new lines
    are also matched with the first occurrences already held (`previously_loaded`, joined by
    join_previously_loaded_lines). -#}
{% macro is_repeated_line(line_values, relation_alias) -%}
    (
        row_number() over (
            partition by {% for column in line_values %}{{ relation_alias }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
            order by {{ relation_alias }}.source_file, {{ relation_alias }}.source_row_number
        ) > 1
        {%- if is_incremental_load() %}
            or previously_loaded.is_loaded is not null
        {%- endif %}
    )
{%- endmacro %}

{% macro join_previously_loaded_lines(line_values, relation_alias) %}
    {% if is_incremental_load() %}
        left join (
            select
                {% for column in line_values %}{{ column }}, {% endfor %}true as is_loaded
            from {{ this }}
            where not is_duplicate
        ) as previously_loaded
            on
            {%- for column in line_values %}
                {{ null_safe_equal(relation_alias ~ '.' ~ column, 'previously_loaded.' ~ column) }}
                {{- ' and' if not loop.last }}
            {%- endfor %}
    {% endif %}
{% endmacro %}


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

{#- Type names. The project writes DuckDB's names wherever a type is declared in YAML (contract
    `data_type` of the marts, seed `column_types`): varchar, bigint, integer, double, boolean,
    date, timestamp, decimal(p, s). Every one of them is also a Spark type name except varchar,
    which Spark accepts only with a length. On Spark, these two macros translate the declared
    names, so the YAML stays written once for both engines. -#}

{% macro spark_type_name(type) -%}
    {%- set name = type | string | trim -%}
    {%- if name | lower in ('varchar', 'text', 'char', 'bpchar') -%}
        {{ return('string') }}
    {%- endif -%}
    {{ return(name) }}
{%- endmacro %}


{#- dbt.cast: a contract's YAML types become a query (`select cast(null as <data_type>) ...`)
    whose column types are compared with the model's; this is where they are translated. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}


{#- Seeds: the seed's `column_types` translated, then dbt-spark's own seed table DDL. -#}
{% macro spark__create_csv_table(model, agate_table) %}
    {%- set translated = {} -%}
    {%- for column, type in model['config'].get('column_types', {}).items() -%}
        {%- do translated.update({column: spark_type_name(type)}) -%}
    {%- endfor -%}
    {%- do model['config'].update({'column_types': translated}) -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{% endmacro %}


{#- Seed rows: with the `session` method dbt-spark 1.11 pastes each bound value between quotes
    without escaping it, so a quote inside a value (`Can't Lose` in rfm_segment_map) breaks the
    insert. The rows are written as escaped string literals instead (no bindings), which every
    Spark connection method accepts. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {% set column_override = model['config'].get('column_types', {}) %}
    {% set statements = [] %}
    {% for chunk in agate_table.rows | batch(get_batch_size()) %}
        {% set sql %}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(
                        col_name, adapter.convert_type(agate_table, loop.index0)
                    ) -%}
                    {%- set value = row[loop.index0] -%}
                    cast({{ spark_literal(value) }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {% endset %}
        {% do adapter.add_query(sql, abridge_sql_log=True) %}
        {% if loop.index0 == 0 %}
            {% do statements.append(sql) %}
        {% endif %}
    {% endfor %}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- Contract constraints on Spark. dbt-spark can declare NOT NULL only on Delta tables (ALTER
    COLUMN ... SET NOT NULL); the Spark target here writes Parquet, where the ALTER fails
    ("ALTER COLUMN with v1 tables cannot specify NOT NULL"). So on any other file format the
    not_null constraints of a contracted model are checked right after the table is written:
    a column with nulls fails the model, naming the column and the count, as DuckDB's
    constraint would fail the insert. Delta tables keep dbt-spark's own ALTER statements. -#}
{% macro spark__persist_constraints(relation, model) %}
    {%- set contract_config = config.get('contract') -%}
    {% if not contract_config.enforced %}
        {{ return('') }}
    {% endif %}
    {% if config.get('file_format') == 'delta' %}
        {{ return(dbt.spark__persist_constraints(relation, model)) }}
    {% endif %}
    {% set not_null_columns = [] %}
    {% for column_name, column in model.columns.items() %}
        {% if column.constraints | selectattr('type', 'equalto', 'not_null') | list | length > 0 %}
            {% do not_null_columns.append(column_name) %}
        {% endif %}
    {% endfor %}
    {% if not_null_columns | length == 0 %}
        {{ return('') }}
    {% endif %}
    {% set null_counts %}
        select
        {% for column_name in not_null_columns -%}
            count(case when {{ column_name }} is null then 1 end) as {{ column_name }}
            {{- ',' if not loop.last }}
        {% endfor %}
        from {{ relation }}
    {% endset %}
    {% set counts = run_query(null_counts).rows[0] %}
    {% set violations = [] %}
    {% for column_name in not_null_columns %}
        {% if counts[loop.index0] > 0 %}
            {% do violations.append(column_name ~ ' (' ~ counts[loop.index0] ~ ' nulls)') %}
        {% endif %}
    {% endfor %}
    {% if violations %}
        {% do exceptions.raise_compiler_error(
            "Contract of " ~ model.name ~ ": not_null column(s) with nulls: "
            ~ violations | join(', ') ~ ". Spark cannot declare NOT NULL on a "
            ~ config.get('file_format', 'parquet') ~ " table, so the build checks it here; "
            ~ relation ~ " was written and holds the rows."
        ) %}
    {% endif %}
{% endmacro %}

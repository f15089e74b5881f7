{#- Written between a CTE's `as` and its query, where two parts of the query read the CTE and
    it is cheaper for each to compute it than to store it: DuckDB stores (materializes) such a
    CTE whole, every column of every row, before either reads it, and spills it to disk when it
    is large; each reader computing it keeps only the columns it needs. Measured on the
    segment history in docs/performance.md. Dispatched: nothing elsewhere (Spark inlines CTEs). -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

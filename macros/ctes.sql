{#- Written between a CTE's `as` and its query, where two parts of the query read the CTE and
    it is cheaper for each to compute it than to store it: DuckDB stores (materializes) such a
    CTE whole, every column of every row, before either reads it. At 16.1M lines the history's
    earlier values (18M rows with their text ids) spilled 10 GB to disk that way, and the model
    took 36-42 s; computed by each reader, which keep only the columns they need, 13 s and
    no spill (docs/performance.md). Dispatched: nothing elsewhere (Spark inlines CTEs). -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{#- Aggregates whose spelling differs between engines. -#}

{#- The exact median. -#}
{% macro median(column) -%}
    {{ return(adapter.dispatch('median')(column)) }}
{%- endmacro %}

{% macro default__median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__median(column) -%}
    median({{ column }})
{%- endmacro %}

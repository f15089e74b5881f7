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


{#- The continuous quantile (linear interpolation between neighbours, R's default type 7). -#}
{% macro quantile(column, fraction) -%}
    {{ return(adapter.dispatch('quantile')(column, fraction)) }}
{%- endmacro %}

{% macro default__quantile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__quantile(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

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


{#- The continuous quantile (linear interpolation between neighbours, R's default type 7).
    `fractions`: every fraction the query takes of this column, `fraction` among them. DuckDB
    then reads them all from one list-valued aggregate (it computes identical aggregates once),
    which holds the column's values once instead of once per fraction: the segment history's
    twelve single quantiles at 16.1M lines ran out of a 4 GB memory limit. -#}
{% macro quantile(column, fraction, fractions=none) -%}
    {{ return(adapter.dispatch('quantile')(column, fraction, fractions)) }}
{%- endmacro %}

{% macro default__quantile(column, fraction, fractions=none) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__quantile(column, fraction, fractions=none) -%}
    {%- if fractions -%}
        quantile_cont({{ column }}, [{{ fractions | join(', ') }}])[{{ fractions.index(fraction) + 1 }}]
    {%- else -%}
        quantile_cont({{ column }}, {{ fraction }})
    {%- endif -%}
{%- endmacro %}


{#- The mean of a decimal column, as a double. DuckDB's avg of a decimal is already a double
    (the exact sum divided by the count); Spark's is a decimal rounded to 8 places
    (16.66666667), which a double then keeps. Spark gets the same value as DuckDB from the
    exact decimal sum divided by the count in double precision. -#}
{% macro decimal_mean(column) -%}
    {{ return(adapter.dispatch('decimal_mean')(column)) }}
{%- endmacro %}

{% macro default__decimal_mean(column) -%}
    avg({{ column }})
{%- endmacro %}

{% macro spark__decimal_mean(column) -%}
    cast(sum({{ column }}) as double) / count({{ column }})
{%- endmacro %}

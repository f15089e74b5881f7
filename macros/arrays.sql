{#- List (array) functions whose spelling differs between engines, for the tests on the ml
    tables, which run on DuckDB and on Spark. A list's length is `cardinality(list)` on both. -#}

{#- The sum of a list of numbers, as a double. -#}
{% macro array_sum(list) -%}
    {{ return(adapter.dispatch('array_sum')(list)) }}
{%- endmacro %}

{% macro default__array_sum(list) -%}
    aggregate({{ list }}, cast(0 as double), (total, value) -> total + value)
{%- endmacro %}

{% macro duckdb__array_sum(list) -%}
    list_sum({{ list }})
{%- endmacro %}


{#- The largest value of a list. -#}
{% macro array_max(list) -%}
    {{ return(adapter.dispatch('array_max')(list)) }}
{%- endmacro %}

{% macro default__array_max(list) -%}
    array_max({{ list }})
{%- endmacro %}

{% macro duckdb__array_max(list) -%}
    list_max({{ list }})
{%- endmacro %}


{#- The element of a list at a position counted from 1. -#}
{% macro array_element(list, position) -%}
    {{ return(adapter.dispatch('array_element')(list, position)) }}
{%- endmacro %}

{% macro default__array_element(list, position) -%}
    element_at({{ list }}, {{ position }})
{%- endmacro %}

{% macro duckdb__array_element(list, position) -%}
    {{ list }}[{{ position }}]
{%- endmacro %}

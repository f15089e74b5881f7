{#- dbt.generate_series on Spark. dbt's default adds powers of two with power(), which is a
    double on Spark, so the series was 1.0, 2.0, ... and a score cast to text became `1.0`
    (rpt_rfm_cells' rfm_cell read `1.01.01.0`). Spark's own sequence gives integers 1..n. -#}
{% macro spark__generate_series(upper_bound) %}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{% endmacro %}


{#- One row per whole number from `start` up to `stop` (exclusive) for each input row: a select
    expression that unnests the range (Spark: explode of a sequence, which is inclusive). Used
    to expand a row that holds over a run of as-of dates into one row per date, an equi-join
    instead of a range join. -#}
{% macro unnest_index_range(start, stop) %}
    {{ return(adapter.dispatch('unnest_index_range')(start, stop)) }}
{% endmacro %}

{% macro default__unnest_index_range(start, stop) -%}
    unnest(range({{ start }}, {{ stop }}))
{%- endmacro %}

{% macro spark__unnest_index_range(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }} - 1))
{%- endmacro %}

{#- dbt.generate_series on Spark. dbt's default adds powers of two with power(), which is a
    double on Spark, so the series was 1.0, 2.0, ... and a score cast to text became `1.0`
    (rpt_rfm_cells' rfm_cell read `1.01.01.0`). Spark's own sequence gives integers 1..n. -#}
{% macro spark__generate_series(upper_bound) %}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{% endmacro %}

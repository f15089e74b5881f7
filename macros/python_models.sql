{#- on-run-start hook: the dbt Python models (models/ml/clustering and
    models/ml/recommendations, the `ml` schema) run on DuckDB only. dbt-spark runs Python
    models only on Databricks clusters (all-purpose or job clusters, or serverless), which a
    local PySpark session is not, so dbt_project.yml disables them, and the tests on them, on
    every other target. This says so at the start of every run, so the missing ml_ tables are
    never a surprise. -#}
{% macro report_disabled_python_models() %}
    {% if execute and target.type != 'duckdb' %}
        {% do log(
            "NOTE: the dbt Python models (models/ml/clustering, models/ml/recommendations;"
            ~ " schema ml) are disabled on target '" ~ target.name ~ "' (type " ~ target.type
            ~ "): they run on DuckDB only, and dbt-spark runs Python models only on Databricks"
            ~ " clusters; so are the views that read them (models/reports/recommendations)."
            ~ " The SQL layers (staging, intermediate, marts) and their tests run here."
            ~ " README, Running at scale on Spark or Databricks, has the route for clustering and"
            ~ " recommendations at scale (Spark MLlib KMeans and ALS).",
            info=true
        ) %}
    {% endif %}
{% endmacro %}

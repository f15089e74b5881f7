{#- on-run-start hook: the dbt Python models (models/ml, the `ml` schema) are built on DuckDB.
    dbt-spark runs Python models only on Databricks clusters (all-purpose or job clusters, or
    serverless), which a local PySpark session or a Thrift server is not, so dbt_project.yml
    disables them on every other target. On the spark target the clustering and recommendation
    tables come from the Spark ML command instead (python -m retail_warehouse.spark_ml, `make
    spark-ml`: MLlib K-Means and ALS), which then runs their dbt tests with var
    spark_ml_tables, the one case in which the models are enabled there (their tests run against
    the tables; the models are never run). This says which case a run is in, so missing ml_
    tables are never a surprise. -#}
{% macro report_disabled_python_models() %}
    {% if execute and target.type != 'duckdb' %}
        {% if var('spark_ml_tables', false) %}
            {% do log(
                "NOTE: testing the ml tables the Spark ML command wrote (var spark_ml_tables):"
                ~ " the dbt Python models of models/ml are enabled for their tests, never run.",
                info=true
            ) %}
        {% else %}
            {% do log(
                "NOTE: the dbt Python models (models/ml; schema ml) are disabled on target '"
                ~ target.name ~ "' (type " ~ target.type ~ "): dbt-spark runs Python models only"
                ~ " on Databricks clusters. The SQL layers (staging, intermediate, marts) and their"
                ~ " tests run here. On Spark, `python -m retail_warehouse.spark_ml` (make spark-ml)"
                ~ " writes the clustering and recommendation tables with Spark MLlib and tests"
                ~ " them (docs/spark.md). The reports that read the ml tables (rpt_cluster_feature_means,"
                ~ " models/reports/recommendations) are DuckDB-only.",
                info=true
            ) %}
        {% endif %}
    {% endif %}
{% endmacro %}

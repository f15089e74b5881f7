{#- on-run-start hook: snapshots update rows in place, which dbt-spark does only on Delta, Hudi
    or Iceberg tables; the project's Spark target writes Parquet, so dbt_project.yml disables
    them there. This says so at the start of every Spark run. -#}
{% macro report_disabled_snapshots() %}
    {% if execute and target.type == 'spark' %}
        {% do log(
            "NOTE: the snapshot snap_customer_segments (schema snapshots) is disabled on target '"
            ~ target.name ~ "' (type spark): dbt-spark snapshots need Delta, Hudi or Iceberg"
            ~ " tables and this target writes Parquet. fct_customer_segment_history and the"
            ~ " transition reports run here. docs/history.md has why.",
            info=true
        ) %}
    {% endif %}
{% endmacro %}

"""The clustering and recommendation tables on Spark (the `spark` target), for open-source
Spark, where dbt-spark cannot run dbt Python models (it runs them on Databricks only).

    python -m retail_warehouse.spark_ml [--vars YAML]      (make spark-ml)

reads the marts dbt-spark built from the Spark catalogue, writes every table of
models/ml/clustering and models/ml/recommendations (and ml_cluster_k_holdout, which the
k-selection reads) to the catalogue's `ml` schema with the columns of the DuckDB build, then
runs the same dbt data tests on them. Spark MLlib does the work that grows with the data:
K-Means and its silhouette over k on the customer features, ALS with implicit preferences on
the customer-item interactions; the customer-level steps are the clustering and
recommendations packages' own code, called as the dbt models call them. docs/spark.md has the
comparison with DuckDB and the timings.
"""

from retail_warehouse.spark_ml._recommendations import MLlibFactorModel
from retail_warehouse.spark_ml._session import spark_config, spark_session

__all__ = ["MLlibFactorModel", "spark_config", "spark_session"]

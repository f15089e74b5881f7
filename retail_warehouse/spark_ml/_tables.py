"""Tables in and out of the Spark catalogue.

Reading: a Spark SQL query over the catalogue's tables (the marts dbt-spark built), collected
to the driver as Arrow, which the package's functions take; whatever grows with the lines is
reduced in Spark first (the driver's results are capped by spark.driver.maxResultSize).
Writing: the package's Arrow result goes to Parquet files in a scratch folder first and Spark
saves it from there as a managed Parquet table `ml.<name>` (what dbt-spark's table
materialisation makes): a 28.5M-row result then streams from disk instead of passing through
the driver JVM's heap.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

LOG = logging.getLogger("retail_warehouse.spark_ml")
ML_SCHEMA = "ml"  # the schema dbt gives models/ml (generate_schema_name: schemas as written)


def plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded: Spark tables hold plain strings."""
    columns = [
        column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.Table.from_arrays(columns, names=table.column_names)


def collect(frame: DataFrame) -> pa.Table:
    """A Spark DataFrame's rows on the driver as an Arrow table (timestamps in the session's
    time zone, as toPandas gives them)."""
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def read(spark: SparkSession, sql: str) -> pa.Table:
    """The rows of a Spark SQL query as an Arrow table."""
    return collect(spark.sql(sql))


def with_spark_types(frame: DataFrame, schema: pa.Schema) -> DataFrame:
    """Timestamps as Spark's `timestamp`, the type dbt-spark's models have: Parquet written
    without a time zone reads back as `timestamp_ntz`."""
    from pyspark.sql import functions as F

    for field in schema:
        if pa.types.is_timestamp(field.type):
            frame = frame.withColumn(field.name, F.col(field.name).cast("timestamp"))
    return frame


class Writer:
    """Saves Arrow tables as `ml.<name>` tables of the catalogue, and times each step."""

    def __init__(self, spark: SparkSession, scratch: Path):
        self.spark = spark
        self.scratch = scratch
        self.timings: dict[str, float] = {}
        spark.sql(f"create database if not exists {ML_SCHEMA}")

    def write(self, name: str, table: pa.Table, started: float) -> pa.Table:
        """Saves `table` as ml.`name`; `started` is when its step began (for the timing)."""
        folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.scratch))
        try:
            plain_table = plain(table)
            pq.write_table(plain_table, folder / "part-0.parquet")
            frame = with_spark_types(self.spark.read.parquet(str(folder)), plain_table.schema)
            frame.write.mode("overwrite").format("parquet").saveAsTable(f"{ML_SCHEMA}.{name}")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.timings[name] = time.perf_counter() - started
        LOG.info("%s.%s: %d rows in %.1f s", ML_SCHEMA, name, table.num_rows, self.timings[name])
        return table

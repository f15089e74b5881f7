"""The Spark session of the Spark ML path: the one the `spark` target of profiles/profiles.yml
describes, so the tables land in the same warehouse and catalogue as dbt's, and the driver
listens on 127.0.0.1 only (the profile says so once, for both).

The profile's values are Jinja with `env_var`, as dbt renders them; this renders them the same
way. The embedded Derby metastore takes one Spark process at a time: the session is stopped
before dbt runs the tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import yaml

from retail_warehouse.settings import PROJECT_DIR

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TARGET = "spark"
# Arrow between the JVM and pandas (reading tables, the ALS ratings): without it, rows are
# pickled one by one.
SESSION_CONFIG = {"spark.sql.execution.arrow.pyspark.enabled": "true"}


def profiles_dir() -> Path:
    """Where dbt finds profiles.yml: DBT_PROFILES_DIR (make sets it), else the project's."""
    return Path(os.environ.get("DBT_PROFILES_DIR", PROJECT_DIR / "profiles"))


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ValueError(f"profiles.yml needs the env var {name}, which is not set")
    return value


def spark_config(directory: Path | None = None, target: str = TARGET) -> dict[str, str]:
    """The `server_side_parameters` of the profile's `target` output, rendered."""
    path = (directory or profiles_dir()) / "profiles.yml"
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    profiles = yaml.safe_load(path.read_text())
    try:
        output = profiles[project["profile"]]["outputs"][target]
    except KeyError as error:
        raise ValueError(
            f"{path} has no output `{target}` in profile `{project['profile']}`"
        ) from error
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return {
        key: environment.from_string(str(value)).render(env_var=_env_var)
        for key, value in (output.get("server_side_parameters") or {}).items()
    }


@contextmanager
def spark_session(config: dict[str, str] | None = None) -> Iterator[SparkSession]:
    """A Hive-enabled session (the catalogue is the metastore dbt-spark writes), stopped at the
    end so that the metastore is free for the next Spark process."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("retail_warehouse.spark_ml").enableHiveSupport()
    for key, value in {
        **(config if config is not None else spark_config()),
        **SESSION_CONFIG,
    }.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    try:
        yield session
    finally:
        session.stop()

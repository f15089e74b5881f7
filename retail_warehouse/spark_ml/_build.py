"""The build step: one Spark session writes every `ml` table, clustering first.

Settings are the dbt vars, read by the project's one parser: the defaults declared in
dbt_project.yml with the command's `--vars` on top, into the same dataclasses the dbt Python
models fill from their config.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from retail_warehouse.clustering import ClusteringSettings
from retail_warehouse.recommendations import RecommendationSettings
from retail_warehouse.settings import settings_from_project
from retail_warehouse.spark_ml import _clustering, _recommendations
from retail_warehouse.spark_ml._session import spark_config, spark_session
from retail_warehouse.spark_ml._tables import Writer


def _descendants(pid: int) -> list[int]:
    """The processes started under `pid` (the JVM PySpark launches, and its children)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        children = parents.get(queue.pop(), [])
        found += children
        queue += children
    return found


def cpu_seconds() -> float:
    """CPU time of this process and of the processes it started that still run (the JVM)."""
    ticks = os.sysconf("SC_CLK_TCK")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    for pid in _descendants(os.getpid()):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def build(variables: dict) -> dict:
    """Writes the ml tables; returns the wall and CPU seconds, per table and in total."""
    clustering = settings_from_project(ClusteringSettings, **variables)
    recommendations = settings_from_project(RecommendationSettings, **variables)
    config = spark_config()
    started = time.perf_counter()
    scratch_parent = Path(config.get("spark.sql.warehouse.dir", tempfile.gettempdir())).parent
    scratch_parent.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="spark-ml-", dir=scratch_parent) as scratch,
        spark_session(config) as spark,
    ):
        writer = Writer(spark, Path(scratch))
        session_seconds = time.perf_counter() - started
        _clustering.build(spark, writer, clustering)
        clustering_done = time.perf_counter()
        _recommendations.build(spark, writer, recommendations)
        finished = time.perf_counter()
        cpu = cpu_seconds()
    return {
        "spark_master": config.get("spark.master"),
        "session_start_seconds": round(session_seconds, 1),
        "clustering_seconds": round(clustering_done - started - session_seconds, 1),
        "recommendations_seconds": round(finished - clustering_done, 1),
        "wall_seconds": round(finished - started, 1),
        "cpu_seconds": round(cpu, 1),
        "tables": {name: round(seconds, 1) for name, seconds in writer.timings.items()},
    }

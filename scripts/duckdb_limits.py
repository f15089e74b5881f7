"""Errors about DuckDB's memory and spill directory that name the project's settings.

DuckDB's own messages name DuckDB settings ("SET memory_limit='...GB'"), which the project sets
from env vars in profiles/profiles.yml. build_swap checks the spill directory before dbt starts
(DuckDB would only fail once a step spills, mid-build) and, when dbt fails for lack of memory or
of spill space, says which env var to change and to what.
"""

import re
import tempfile
from pathlib import Path

MEMORY_VAR = "WAREHOUSE_MEMORY_LIMIT"
SPILL_VAR = "WAREHOUSE_TEMP_DIR"
THREADS_VAR = "WAREHOUSE_THREADS"
# The bundled data builds with 500MB and stops in staging with 450MB (measured 2026-12-01,
# docs/bi-access-and-safe-builds.md); the suggestion leaves room above that.
SMALLEST_SUGGESTION_MB = 1000
UNITS_MB = {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3, "TB": 1e6}
UNITS_MB |= {"KIB": 1024 / 1e6, "MIB": 1024**2 / 1e6, "GIB": 1024**3 / 1e6, "TIB": 1024**4 / 1e6}
# Names of the files DuckDB spills into.
SPILL_FILE_MARK = "duckdb_temp"


def check_spill_directory(config: dict) -> None:
    """Stops with a message naming WAREHOUSE_TEMP_DIR when DuckDB could not spill there."""
    directory = config.get("temp_directory")
    if not directory:
        return
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        raise SystemExit(
            f"build_swap: {SPILL_VAR}={directory} cannot be DuckDB's spill directory "
            f"({error.strerror}). Set {SPILL_VAR} to a writable directory on a disk with free "
            f"space, e.g. {SPILL_VAR}=/tmp/duckdb_spill (the default is target/duckdb_spill): "
            f"DuckDB writes there when a step needs more memory than {MEMORY_VAR}."
        ) from None


def _megabytes(limit: str) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", limit, re.IGNORECASE)
    if not match or match.group(2).upper() not in UNITS_MB:
        return None
    return float(match.group(1)) * UNITS_MB[match.group(2).upper()]


def suggested_memory_limit(limit: str) -> str:
    """Twice the limit, and at least SMALLEST_SUGGESTION_MB."""
    megabytes = max(2 * (_megabytes(limit) or 0), SMALLEST_SUGGESTION_MB)
    if megabytes >= 1000:
        return f"{-(-megabytes // 1000):.0f}GB"
    return f"{megabytes:.0f}MB"


def failure_hints(output_lines: list[str], config: dict) -> list[str]:
    """What to change, for the memory and spill errors in dbt's output."""
    hints = []
    limit = str(config.get("memory_limit", "DuckDB's default"))
    spill = str(config.get("temp_directory", ""))
    if any("Out of Memory Error" in line for line in output_lines):
        hints.append(
            f"build_swap: DuckDB ran out of memory: {MEMORY_VAR} is {limit} (memory_limit in "
            f"profiles/profiles.yml; DuckDB's hint 'SET memory_limit' means {MEMORY_VAR}, "
            f"'SET threads' means {THREADS_VAR}). Run again with {MEMORY_VAR}="
            f"{suggested_memory_limit(limit)} or more: the bundled data needs 500MB, the default "
            f"is 4GB, and a step that needs more than the limit spills to {SPILL_VAR} ({spill})."
        )
    spill_errors = [
        line.strip()
        for line in output_lines
        if "Error" in line and (SPILL_FILE_MARK in line or (spill and spill in line))
    ]
    if spill_errors:
        hints.append(
            f"build_swap: DuckDB could not spill to {SPILL_VAR} ({spill}): {spill_errors[0]} "
            f"Point {SPILL_VAR} at a writable directory with free space, or give DuckDB more "
            f"memory with {MEMORY_VAR} (now {limit})."
        )
    return hints

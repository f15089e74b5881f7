"""The project's DuckDB target as dbt renders it from profiles/profiles.yml: the warehouse path
and the config_options that DuckDB opens it with.

build_swap opens the files it makes itself (the copy of the warehouse, the carried snapshots)
with the same options as dbt, so that each setting (memory limit, spill directory, storage
format) is declared once, in the profile.
"""

import os
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml


@dataclass(frozen=True)
class DuckDBTarget:
    path: Path
    config: dict


def _env_var(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise SystemExit(f"env var {name} is used by profiles/profiles.yml and is not set.")
    return value


def _render(value):
    if not isinstance(value, str):
        return value
    return (
        jinja2.Environment(undefined=jinja2.StrictUndefined)
        .from_string(value)
        .render(env_var=_env_var)
    )


def duckdb_target(
    project_dir: Path, profiles_dir: Path | None, target_name: str | None
) -> DuckDBTarget | None:
    """The target dbt would use (target_name, or the profile's default); None when it is not
    DuckDB (e.g. `--target spark`)."""
    profile_name = yaml.safe_load((project_dir / "dbt_project.yml").read_text())["profile"]
    if profiles_dir is None:
        profiles_dir = Path(os.environ.get("DBT_PROFILES_DIR", project_dir / "profiles"))
    profile = yaml.safe_load((profiles_dir / "profiles.yml").read_text())[profile_name]
    output = profile["outputs"][target_name or _render(profile["target"])]
    if _render(output["type"]) != "duckdb":
        return None
    config = {key: _render(value) for key, value in (output.get("config_options") or {}).items()}
    return DuckDBTarget(Path(_render(output["path"])), config)

"""Settings in one place: one parser builds each settings dataclass from the dbt config by field
type; the defaults are the vars of dbt_project.yml alone; the models' config passes every var
the dataclass reads; docs/settings.md states each default as dbt_project.yml declares it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

import pytest
import yaml
from dbt_project_runner import PROJECT_DIR

from retail_warehouse.clustering import ClusteringSettings
from retail_warehouse.predictions import PredictionSettings
from retail_warehouse.recommendations import RecommendationSettings
from retail_warehouse.settings import from_config, read_project_vars

# Each area's settings and the model YAML whose config anchor passes its vars.
AREAS = {
    ClusteringSettings: ("models/ml/clustering/_clustering__models.yml", "clustering"),
    PredictionSettings: ("models/ml/predictions/_predictions__models.yml", "predictions"),
    RecommendationSettings: (
        "models/ml/recommendations/_recommendations__models.yml",
        "recommendations",
    ),
}


@dataclass(frozen=True)
class Example:
    count: int
    share: float
    word: str
    mode: Literal["fast", "exact"]
    k: int | Literal["auto"]
    limit: int | None
    names: tuple[Literal["a", "b"], ...]


RENDERED = {  # as dbt renders vars into a model's config: text
    "count": "5",
    "share": "0.5",
    "word": " x ",
    "mode": "EXACT",
    "k": "auto",
    "limit": "None",
    "names": "['a', 'b']",
}


def test_the_parser_converts_rendered_text_and_yaml_values_by_field_type():
    assert from_config(Example, RENDERED, "here") == Example(
        5, 0.5, "x", "exact", "auto", None, ("a", "b")
    )
    values = {**RENDERED, "count": 5.0, "share": 1, "k": "7", "limit": 10, "names": ["b"]}
    assert from_config(Example, values, "here") == Example(5, 1.0, "x", "exact", 7, 10, ("b",))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("count", "5.5", "var count must be an integer, got 5.5"),
        ("count", "True", "var count must be an integer, got True"),
        ("share", "half", "var share must be a number, got 'half'"),
        ("mode", "slow", "var mode must be one of `fast`, `exact`, got 'slow'"),
        ("k", "some", "var k must be an integer or `auto`, got 'some'"),
        ("limit", "many", "var limit must be an integer or null, got 'many'"),
        ("names", "['c']", r"var names must be a list of one of `a`, `b`, got \['c'\]"),
    ],
)
def test_a_value_of_the_wrong_type_is_named_with_what_was_expected(name, value, message):
    with pytest.raises(ValueError, match=message):
        from_config(Example, {**RENDERED, name: value}, "here")


def test_a_missing_var_is_an_error_not_a_default():
    with pytest.raises(ValueError, match=r"^the model's config lacks the var\(s\) share, names$"):
        config = {name: value for name, value in RENDERED.items() if name not in ("share", "names")}
        from_config(Example, config, "the model's config")


@pytest.mark.parametrize("settings", list(AREAS), ids=lambda cls: cls.__name__)
def test_defaults_are_the_vars_of_dbt_project_yml_and_the_models_pass_them(settings):
    fields = [field.name for field in dataclasses.fields(settings)]
    for field in dataclasses.fields(settings):
        assert field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    declared = read_project_vars(PROJECT_DIR)
    assert set(fields) <= set(declared)
    assert settings.from_config(declared)  # the declared defaults parse and validate
    _, key = AREAS[settings]
    readers = [
        (model, yml)
        for yml in sorted((PROJECT_DIR / "models" / "ml").glob("*/_*__models.yml"))
        for model in yaml.safe_load(yml.read_text())["models"]
        if yml.with_name(f"{model['name']}.py").exists()
        and f"{settings.__name__}.from_config(" in yml.with_name(f"{model['name']}.py").read_text()
    ]
    assert readers
    for model, _ in readers:
        config = model.get("config", {}).get(key)
        assert config == {name: f"{{{{ var('{name}') }}}}" for name in fields}, model["name"]


def documented_defaults() -> dict[str, str]:
    """The var tables of docs/settings.md: each var of a row with its default cell."""
    defaults = {}
    text = (PROJECT_DIR / "docs" / "settings.md").read_text()
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3:
            continue
        names = re.findall(r"`([a-z_0-9]+)`", cells[0])
        values = cells[1].split(", ") if len(names) > 1 else [cells[1]]
        if names and len(values) == len(names):
            defaults.update(zip(names, values, strict=True))
    return defaults


def as_documented(value) -> str:
    if isinstance(value, list):
        return "`[" + ", ".join(map(str, value)) + "]`"
    if isinstance(value, str):
        return f"`{value}`"
    return "null" if value is None else str(value)


@pytest.mark.parametrize("settings", list(AREAS), ids=lambda cls: cls.__name__)
def test_the_settings_page_states_each_default_of_dbt_project_yml(settings):
    declared = read_project_vars(PROJECT_DIR)
    documented = documented_defaults()
    for field in dataclasses.fields(settings):
        assert documented.get(field.name) == as_documented(declared[field.name]), field.name

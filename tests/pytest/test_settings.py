"""Settings in one place: one parser builds each settings dataclass from the dbt config by field
type, with no defaults of its own (they are the vars of dbt_project.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from retail_warehouse.settings import from_config


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

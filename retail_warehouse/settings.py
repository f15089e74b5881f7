"""Settings: one parser from a dbt model's config to a frozen settings dataclass.

Every setting is a dbt var, declared once with its default in ``dbt_project.yml``. A dbt
Python model sees the vars of its area through one config entry (a YAML anchor in the area's
``_<area>__models.yml`` that renders each var), and hands that mapping to ``from_config``,
which fills each field of the area's dataclass from the var of the same name, parsed by the
field's type. The dataclasses declare no defaults: a var missing from the config is an error
that names it, so a default can never drift from ``dbt_project.yml``.

Types the parser knows: ``int``, ``float``, ``str``, ``Literal[...]`` (one of fixed words),
``tuple[X, ...]`` (a list), ``None`` (null), and unions of them (``int | Literal["auto"]``).
Values may come as rendered text (``"5"``, ``"None"``, ``"['als', 'bpr']"``) or as YAML
values; a value that fits none of the field's types stops with the var and what was expected.
"""

from __future__ import annotations

import ast
import dataclasses
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

T = TypeVar("T")
PROJECT_DIR = Path(__file__).resolve().parents[1]  # the dbt project this package belongs to

NULL_WORDS = ("", "none", "null")


def from_config(cls: type[T], config: Mapping[str, Any] | None, source: str) -> T:
    """`cls` with every field read from the var of its name in `config`.

    `source` names where the config comes from, for the error when a var is missing.
    """
    config = config or {}
    hints = typing.get_type_hints(cls)
    names = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    missing = [name for name in names if name not in config]
    if missing:
        raise ValueError(f"{source} lacks the var(s) {', '.join(missing)}")
    return cls(**{name: parse(config[name], hints[name], name) for name in names})


def parse(value: Any, kind: Any, name: str) -> Any:
    """`value` as the type `kind`; a clear error names the var `name`."""
    value = _literal(value)
    for option in _options(kind):
        try:
            return _convert(value, option)
        except (TypeError, ValueError):
            continue
    raise ValueError(f"var {name} must be {describe(kind)}, got {value!r}")


def describe(kind: Any) -> str:
    """What a value of type `kind` looks like, for error messages."""
    return " or ".join(_describe_option(option) for option in _options(kind))


def read_project_vars(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """The vars of `project_dir`/dbt_project.yml as declared there (their defaults)."""
    document = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())
    return dict(document.get("vars") or {})


def _literal(value: Any) -> Any:
    """Rendered text back to the value it renders (dbt renders vars into config as text)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in NULL_WORDS:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _options(kind: Any) -> tuple[Any, ...]:
    """The members of a union (`int | None` -> int, None), or the type itself."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return typing.get_args(kind)
    return (kind,)


def _convert(value: Any, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind is type(None) and value is None:
        return None
    if origin is Literal and isinstance(value, str):
        for allowed in typing.get_args(kind):
            if value.strip().lower() == str(allowed).lower():
                return allowed
    if origin is tuple and isinstance(value, str | list | tuple):
        item_kind = typing.get_args(kind)[0]
        items = [value] if isinstance(value, str) else value
        return tuple(_convert(_literal(item), item_kind) for item in items)
    if kind is int and number and float(value).is_integer():
        return int(value)
    if kind is float and number:
        return float(value)
    if kind is str and isinstance(value, str):
        return value.strip()
    raise ValueError(f"{value!r} is not {_describe_option(kind)}")


def _describe_option(kind: Any) -> str:
    origin = typing.get_origin(kind)
    if kind is type(None):
        return "null"
    if origin is Literal:
        words = [f"`{allowed}`" for allowed in typing.get_args(kind)]
        return words[0] if len(words) == 1 else "one of " + ", ".join(words)
    if origin is tuple:
        return f"a list of {describe(typing.get_args(kind)[0])}"
    return {int: "an integer", float: "a number", str: "text"}.get(kind, str(kind))


def settings_from_project(cls: type[T], project_dir: Path = PROJECT_DIR, **overrides: Any) -> T:
    """`cls` with the defaults of dbt_project.yml and `overrides` (var name -> value), for
    code that runs without dbt: tests and benchmarks."""
    path = Path(project_dir) / "dbt_project.yml"
    return from_config(cls, {**read_project_vars(project_dir), **overrides}, str(path))

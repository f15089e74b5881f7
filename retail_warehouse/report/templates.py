"""The report's Jinja2 templates (templates/) and static files (static/), read as package
resources so that `python -m retail_warehouse.report` finds them from any directory."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from retail_warehouse.report.formatting import number, pct

PACKAGE = "retail_warehouse.report"


def _script_json(text: str) -> Markup:
    """JSON to put inside a script element: "</" would end the element early, and "<\\/" is
    the same JSON string."""
    return Markup(text.replace("</", "<\\/"))


def figure_json(figure: go.Figure) -> Markup:
    return _script_json(figure.to_json())


def variants_json(variants: list) -> Markup:
    """A chart's variants (label, reading, figure) as one JSON array for report.js."""
    return _script_json(
        json.dumps(
            [
                {"label": v.label, "reading": v.reading, "figure": json.loads(v.figure.to_json())}
                for v in variants
            ],
            separators=(",", ":"),
        )
    )


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader(PACKAGE, "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["figure_json"] = figure_json
    env.filters["variants_json"] = variants_json
    env.filters["pct"] = pct
    env.filters["number"] = number
    return env


def render_block(name: str, **context) -> Markup:
    """A piece of a section (a table, a note) from templates/blocks/."""
    return Markup(environment().get_template(f"blocks/{name}").render(**context))


def render_page(**context) -> str:
    return environment().get_template("report.html.j2").render(**context)


def static_text(name: str) -> Markup:
    """A file of static/ (the page's CSS and JavaScript), to inline into the page."""
    return Markup(files(PACKAGE).joinpath("static", name).read_text(encoding="utf-8"))

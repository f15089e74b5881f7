"""The whole page: every store of the warehouse, its header and sections, in one HTML file."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup
from plotly.offline import get_plotlyjs

from retail_warehouse.report import header
from retail_warehouse.report.section import Section, StoreContext, report_template
from retail_warehouse.report.sections import SECTIONS
from retail_warehouse.report.store import Store
from retail_warehouse.report.templates import render_page, static_text
from retail_warehouse.report.warehouse import Warehouse

# The stores' order on the page: Online Retail (the public data set) first, then by id.
STORES_SQL = (
    "select store_id, store_name, currency, currency_symbol from marts.rpt_stores"
    " order by store_id <> 'online_retail', store_id"
)
Progress = Callable[[str], None]


def required_tables() -> tuple[str, ...]:
    """What every report needs: the header's tables and those of the SQL-only sections."""
    tables = [*header.TABLES, "marts.rpt_segment_summary"]
    for section in SECTIONS:
        if not section.optional:
            tables += section.tables
    return tuple(dict.fromkeys(tables))


def tables_read() -> tuple[str, ...]:
    """Every table the report reads (the exposure `html_report` declares them)."""
    tables = list(required_tables())
    for section in SECTIONS:
        tables += section.tables
    return tuple(dict.fromkeys(tables))


@dataclass
class StorePage:
    store: Store
    header: Markup
    sections: list[Section]


def build_report(warehouse_path: Path, progress: Progress | None = None) -> str:
    """The whole page as one string; `progress` gets a line per store and section built."""
    say = progress or (lambda _: None)
    warehouse = Warehouse(warehouse_path)
    try:
        missing = warehouse.missing(*required_tables())
        if missing:
            raise SystemExit(
                f"report: {warehouse_path} has no {', '.join(missing)}; run `make build` first."
            )
        stores = [
            Store(row["store_id"], row["store_name"], row["currency"], row["currency_symbol"])
            for row in warehouse.rows(STORES_SQL)
        ]
        if not stores:
            raise SystemExit(f"report: {warehouse_path} has no store with orders.")
        with report_template():
            pages = [_store_page(warehouse, store, say) for store in stores]
    finally:
        warehouse.close()
    return render_page(
        pages=pages,
        warehouse_name=warehouse_path.name,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        css=static_text("report.css"),
        report_js=static_text("report.js"),
        plotly_js=Markup(get_plotlyjs()),
    )


def _store_page(warehouse: Warehouse, store: Store, say: Progress) -> StorePage:
    context = StoreContext.load(warehouse, store)
    sections = []
    for builder in SECTIONS:
        started = time.perf_counter()
        section = builder(context).build()
        say(f"report: {store.store_id}: {section.title} {time.perf_counter() - started:.1f} s")
        sections.append(section)
    return StorePage(store, header.header(context), sections)


def write_report(warehouse_path: Path, out: Path, progress: Progress | None = None) -> Path:
    """Writes the page next to `out` and renames it into place, so a reader never sees half."""
    page = build_report(warehouse_path, progress)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, out)
    return out

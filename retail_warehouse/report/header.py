"""A store's header: its headline figures and what its amounts are in."""

from __future__ import annotations

from markupsafe import Markup

from retail_warehouse.report.formatting import pct
from retail_warehouse.report.section import StoreContext
from retail_warehouse.report.templates import render_block

TABLES = ("marts.rpt_store_summary", "marts.rpt_stores")


def header(context: StoreContext) -> Markup:
    (s,) = context.rows(
        "select summary.customers, summary.orders, summary.revenue::double as revenue,"
        " summary.median_revenue_per_customer::double as median_revenue_per_customer,"
        " summary.share_of_one_time_buyers, summary.first_order_at, summary.last_order_at,"
        " stores.rfm_as_of_date"
        " from marts.rpt_store_summary as summary inner join marts.rpt_stores as stores"
        " on summary.store_id = stores.store_id where summary.store_id = ?",
    )
    store = context.store
    figures = [
        ("customers", f"{s['customers']:,}"),
        ("orders", f"{s['orders']:,}"),
        ("net revenue", store.money(s["revenue"])),
        ("median revenue per customer", store.money(s["median_revenue_per_customer"])),
        ("bought once", pct(s["share_of_one_time_buyers"])),
        ("orders from", f"{s['first_order_at']:%Y-%m-%d} to {s['last_order_at']:%Y-%m-%d}"),
        ("RFM as of", f"{s['rfm_as_of_date']:%Y-%m-%d}" if s["rfm_as_of_date"] else "not scored"),
    ]
    return render_block("header.html.j2", figures=figures, notes=[store.money_note])

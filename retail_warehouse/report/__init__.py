"""The HTML report: a built warehouse's report (rpt_) and ml tables as one self-contained page.

    python -m retail_warehouse.report [--warehouse warehouse.duckdb] [--out target/report.html]

writes one HTML file with plotly.js inlined, so it opens in a browser without a network. A
selector at the top switches between the stores; each store has the same sections (segments,
the R x F grid and the 125 cells, the playbook, clusters, sales, segment history,
recommendations), and every chart has a title, axis titles with units and a one-line reading.

The report selects, it does not compute: every figure it shows is a column of a tested rpt_ or
ml_ model (docs/report.md). The page is a Jinja2 template (templates/) with its CSS and
JavaScript beside it (static/); each section is one module of sections/, on the base of
section.py. A section whose tables are not in the warehouse (the Python models or the segment
history not built) says so instead of a chart. browser.py drives Chromium for the browser test
and the docs' screenshot.
"""

from retail_warehouse.report.page import build_report, required_tables, tables_read, write_report

__all__ = ["build_report", "required_tables", "tables_read", "write_report"]

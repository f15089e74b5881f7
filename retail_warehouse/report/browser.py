"""Headless Chromium for the HTML report: its browser test and the docs' screenshot.

    python -m retail_warehouse.report.browser target/report.html docs/report_screenshot.png

Drives the machine's Chromium (Debian's package `chromium`, /usr/bin/chromium; env
CHROMIUM_PATH for another) through Playwright, which is never asked to download a browser of
its own. Each launch gets a fresh profile and the flags that keep Chromium off the network
(background updates, component downloads, sync), so it works on a machine without one.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


@contextmanager
def chromium_page(viewport: dict | None = None) -> Iterator:
    """A Playwright page in a fresh headless Chromium; closed (and its profile deleted) after."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not executable.exists():
        raise FileNotFoundError(
            f"Chromium not found at {executable}: install Debian's package (apt-get install "
            "chromium) or set CHROMIUM_PATH."
        )
    with (
        tempfile.TemporaryDirectory(prefix="report-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(executable),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport=viewport or VIEWPORT,
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def wait_for_charts(page, store_id: str, timeout_ms: int = 30_000) -> None:
    """Waits until plotly has drawn every chart of the store's section."""
    page.wait_for_function(
        """store => {
            const charts = document.querySelectorAll(`section.store[data-store="${store}"] .chart`);
            return charts.length > 0 && Array.from(charts).every(
                chart => chart._fullLayout && chart.querySelector('svg.main-svg'));
        }""",
        arg=store_id,
        timeout=timeout_ms,
    )


def screenshot(report: Path, out: Path, store_id: str, height: int) -> Path:
    """The top `height` pixels of the store's page, as a PNG."""
    with chromium_page() as page:
        page.goto(report.resolve().as_uri() + "#" + store_id)
        wait_for_charts(page, store_id)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(out),
            full_page=True,
            clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height},
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Saves a screenshot of the HTML report.")
    parser.add_argument("report", type=Path, help="the report file (make report)")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--store", default="online_retail", help="the store to show")
    parser.add_argument("--height", type=int, default=1600, help="pixels from the top")
    args = parser.parse_args(argv)
    print(screenshot(args.report, args.out, args.store, args.height))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

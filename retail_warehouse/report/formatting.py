"""How numbers, shares and dates are written in the report's readings and tables."""

from __future__ import annotations

import datetime as dt

TIMES = "\N{MULTIPLICATION SIGN}"


def pct(share: float, decimals: int = 1) -> str:
    return f"{share * 100:.{decimals}f}%"


def month_name(value: dt.date) -> str:
    return value.strftime("%B %Y")


def number(value: float | None) -> str:
    """A whole number without decimals, anything else with one; nothing for a missing value."""
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"

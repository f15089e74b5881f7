"""A store as the report presents it: its name and its currency, read from rpt_stores (the var
`stores` of dbt_project.yml)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Store:
    store_id: str
    # Null in rpt_stores for a store the var `stores` leaves out (its not_null tests fail).
    name: str | None
    currency: str | None
    symbol: str | None

    @property
    def title(self) -> str:
        return self.name or self.store_id

    @property
    def unit(self) -> str:
        """What an axis or a column header says amounts are in: the currency code."""
        return self.currency or "no currency declared"

    def money(self, value: float, decimals: int = 0) -> str:
        return self._with_unit(f"{value:,.{decimals}f}")

    def money_format(self, field: str) -> str:
        """A plotly template for an amount, e.g. `£%{y:,.0f}`."""
        return self._with_unit(f"%{{{field}:,.0f}}")

    def _with_unit(self, amount: str) -> str:
        if self.symbol:
            return f"{self.symbol}{amount}"
        return f"{amount} {self.currency}" if self.currency else amount

    def axis(self, what: str) -> str:
        return f"{what} ({self.unit})"

    @property
    def money_note(self) -> str:
        if self.currency:
            return f"Amounts are in {self.currency} ({self.symbol})."
        return (
            "No currency is declared for this store (var `stores` in dbt_project.yml): amounts"
            " are shown without one."
        )

"""What every section of the report shares: the charts and blocks it holds, the store it is
built for, and the base class that checks its tables are there before it reads them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup
from plotly.colors import qualitative

from retail_warehouse.report.store import Store
from retail_warehouse.report.templates import render_block
from retail_warehouse.report.warehouse import Warehouse

CHART_HEIGHT = 440
TEMPLATE = "plotly_white"
# Segment colours follow the seed's segment_order, so a segment has one colour everywhere.
SEGMENT_PALETTE = qualitative.T10
NO_SEGMENT_COLOUR = "#bbbbbb"
PYTHON_MODELS_HOW = "Build the Python models and the reports over them: make build."


@dataclass
class Variant:
    """One of the figures a chart can switch to (a month of the transitions, say)."""

    label: str
    figure: go.Figure
    reading: str


@dataclass
class Chart:
    """One plotly figure and the sentence that says what it shows; with variants, a selector
    above it switches between them (the figure shown first is `variants[selected]`)."""

    chart_id: str
    figure: go.Figure
    reading: str
    # Spans both columns of a paired section.
    wide: bool = False
    variants: list[Variant] = field(default_factory=list)
    selected: int = 0
    selector_label: str = ""

    @classmethod
    def with_variants(
        cls, chart_id: str, variants: list[Variant], selected: int, label: str, wide: bool
    ) -> Chart:
        shown = variants[selected]
        return cls(chart_id, shown.figure, shown.reading, wide, variants, selected, label)


@dataclass
class Section:
    section_id: str
    title: str
    intro: str
    # Pairs of charts sit side by side; the blocks (tables, notes) come after the charts.
    paired: bool = False
    charts: list[Chart] = field(default_factory=list)
    blocks: list[Markup] = field(default_factory=list)


@dataclass
class StoreContext:
    """The warehouse and the store a section is built for, and the store's segment order."""

    warehouse: Warehouse
    store: Store
    segment_order: dict[str, int]

    @classmethod
    def load(cls, warehouse: Warehouse, store: Store) -> StoreContext:
        rows = warehouse.rows(
            "select segment, segment_order from marts.rpt_segment_summary"
            " where store_id = ? and segmentation = 'rfm_segment'",
            [store.store_id],
        )
        return cls(warehouse, store, {row["segment"]: row["segment_order"] for row in rows})

    def rows(self, sql: str, *params) -> list[dict]:
        """Rows of a query whose first parameter is the store id."""
        return self.warehouse.rows(sql, [self.store.store_id, *params])

    def chart_id(self, name: str) -> str:
        return f"{self.store.store_id}-{name}"

    def segment_colour(self, segment: str) -> str:
        order = self.segment_order.get(segment)
        if order is None:
            return NO_SEGMENT_COLOUR
        return SEGMENT_PALETTE[(order - 1) % len(SEGMENT_PALETTE)]

    def sorted_segments(self, segments: Iterable[str]) -> list[str]:
        return sorted(set(segments), key=lambda s: (self.segment_order.get(s, 999), s))


class SectionBuilder(ABC):
    """A section of a store's page. Subclasses name the tables they read (`tables`). Those of
    an optional section (the Python models, the history) may be missing: the section then
    holds a note saying so instead of its charts. The others must be there (page.py)."""

    section_id: ClassVar[str]
    title: ClassVar[str]
    intro: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    optional: ClassVar[bool] = False
    paired: ClassVar[bool] = False
    missing_how: ClassVar[str] = PYTHON_MODELS_HOW

    def __init__(self, context: StoreContext):
        self.context = context
        self.store = context.store

    def build(self) -> Section:
        section = Section(self.section_id, self.title, self.intro, self.paired)
        missing = self.context.warehouse.missing(*self.tables)
        if missing:
            section.blocks.append(self.missing_note(missing))
        else:
            self.fill(section)
        return section

    def missing_note(self, tables: list[str]) -> Markup:
        return render_block("missing.html.j2", tables=tables, how=self.missing_how)

    @abstractmethod
    def fill(self, section: Section) -> None:
        """Adds the section's charts and blocks, read from its tables."""


@contextmanager
def report_template() -> Iterator[None]:
    """Figures made inside get the report's plotly template. As plotly's default it is shared,
    where `template=` on each figure would copy it: a third of the report's time."""
    previous = pio.templates.default
    pio.templates.default = TEMPLATE
    try:
        yield
    finally:
        pio.templates.default = previous


def layout(fig: go.Figure, title: str, height: int = CHART_HEIGHT, **settings) -> go.Figure:
    """The report's look for every chart: title at the left, legend below (the template is
    report_template's)."""
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=height,
        margin={"l": 70, "r": 30, "t": 70, "b": 100},
        font={"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
        **settings,
    )
    return fig

"""The sections of a store's page, one module each, in the order the page shows them."""

from retail_warehouse.report.sections.clusters import ClustersSection
from retail_warehouse.report.sections.history import HistorySection
from retail_warehouse.report.sections.inputs import InputsSection
from retail_warehouse.report.sections.playbook import PlaybookSection
from retail_warehouse.report.sections.predictions import PredictionsSection
from retail_warehouse.report.sections.recommendations import RecommendationsSection
from retail_warehouse.report.sections.rfm import RfmSection
from retail_warehouse.report.sections.sales import SalesSection
from retail_warehouse.report.sections.segments import SegmentsSection

SECTIONS = (
    SegmentsSection,
    RfmSection,
    PlaybookSection,
    ClustersSection,
    PredictionsSection,
    SalesSection,
    HistorySection,
    RecommendationsSection,
    InputsSection,
)

__all__ = [
    "SECTIONS",
    "ClustersSection",
    "HistorySection",
    "InputsSection",
    "PlaybookSection",
    "PredictionsSection",
    "RecommendationsSection",
    "RfmSection",
    "SalesSection",
    "SegmentsSection",
]

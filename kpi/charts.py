"""The KPI pages' charts: drawn by `core.charts` (shared with the reviews page)."""

from core.charts import (
    Bar,
    StackedRow,
    bar_chart,
    hbar_chart,
    percent,
    spread_chart,
    stacked_bands,
    stacked_hbar_chart,
)

__all__ = [
    "Bar",
    "StackedRow",
    "bar_chart",
    "hbar_chart",
    "percent",
    "spread_chart",
    "stacked_bands",
    "stacked_hbar_chart",
]

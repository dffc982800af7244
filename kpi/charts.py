"""The KPI pages' charts: drawn by `core.charts` (shared with the reviews page)."""

from core.charts import (
    BLUE,
    PURPLE,
    Bar,
    StackedRow,
    bar_chart,
    hbar_chart,
    percent,
    spread_chart,
    stacked_bands,
    stacked_columns,
    stacked_hbar_chart,
)

__all__ = [
    "BLUE",
    "PURPLE",
    "Bar",
    "StackedRow",
    "bar_chart",
    "hbar_chart",
    "percent",
    "spread_chart",
    "stacked_bands",
    "stacked_columns",
    "stacked_hbar_chart",
]

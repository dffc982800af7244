"""The dashboard's charts drawn at a national market's figures (K8, issue 13), measured in
Chromium: every word stays inside its chart and no two labels of bars run into each other.

At the bench market's sizes (25M offers, 100,000 packages) the commissioned hours reached six
figures, whose axis labels were cut off at the chart's left edge, and twelve months of new
packages labelled "689+689" ran into each other. Demo data is too small to show either."""

from __future__ import annotations

import pytest

from core.charts import BLUE, PURPLE, Bar, bar_chart, stacked_bands, stacked_columns

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

MONTHS = ["Dec", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]

# Each chart's texts in the SVG's own units: those past its left or right edge, and the pairs of
# labels on one line (their baselines within a pixel) whose boxes overlap.
MEASURE = """svg => {
    const width = svg.viewBox.baseVal.width;
    const boxes = [...svg.querySelectorAll('text')].map(t => {
        const b = t.getBBox();
        return {text: t.textContent, x: b.x, right: b.x + b.width, y: t.getAttribute('y')};
    });
    const outside = boxes.filter(b => b.x < 0 || b.right > width).map(b => b.text);
    const touching = [];
    boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
        if (Math.abs(a.y - b.y) < 1 && a.x < b.right && b.x < a.right) {
            touching.push(a.text + ' / ' + b.text);
        }
    }));
    return {outside, touching, texts: boxes.length};
}"""


def national_charts() -> dict[str, str]:
    """The dashboard's bar charts with figures as large as a national market gives."""
    return {
        "hours": bar_chart(
            "Commissioned hours per week, a year ago and now",
            [Bar("30 Nov 2025", 39_342.0, colour="#b1b4b6"), Bar("Now", 214_551.0)],
            fmt=lambda v: f"{v:,.0f}",
        ),
        "per_month": stacked_columns(
            "New packages per month, long-term beneath and short-term above",
            [(m, [4_167 + i, 4_166 - i]) for i, m in enumerate(MONTHS)],
            [("Long-term", BLUE), ("Short-term (Short Term Care at Home)", PURPLE)],
        ),
        "per_month_labelled": bar_chart(  # a bar chart given long labels of its own
            "New packages per month",
            [Bar(m, 1_378, text=f"{689 + i}+{689 - i}") for i, m in enumerate(MONTHS)],
            fmt=lambda v: f"{v:.0f}",
        ),
        "spend": bar_chart(
            "Weekly spend",
            [Bar(f"2026-27-Q{q}", 5_041_948.5 * q) for q in range(1, 5)],
            fmt=lambda v: f"£{v:,.0f}",
        ),
        "bands": stacked_bands(
            "Share of providers in each risk band, by quarter",
            [(f"2026-27-Q{q}", {"low": 2000, "medium": 7, "high": 1000}) for q in range(1, 5)],
        ),
    }


def test_K8_charts_keep_national_figures_inside_and_apart(page):
    charts = national_charts()
    page.set_content("<!doctype html><body>" + "".join(charts.values()) + "</body>")
    svgs = page.locator("svg")
    assert svgs.count() == len(charts)
    SCREENSHOTS.mkdir(exist_ok=True)
    for n, name in enumerate(charts):
        measured = svgs.nth(n).evaluate(MEASURE)
        svgs.nth(n).screenshot(path=str(SCREENSHOTS / f"chart-national-{name}.png"))
        assert measured["texts"] > 5, name
        assert measured["outside"] == [], f"{name}: cut off at the chart's edge"
        assert measured["touching"] == [], f"{name}: labels run into each other"


def test_K8_the_months_chart_gives_each_total_and_both_parts(page):
    """Long-term beneath, short-term above, each month's total written above its column, and
    the legend naming both colours; the table beside the chart gives each part."""
    chart = national_charts()["per_month"]
    page.set_content("<!doctype html><body>" + chart + "</body>")
    texts = page.locator("svg text").all_text_contents()
    assert "8,333" in texts and texts.count("8,333") == 12  # each month's long + short
    assert {"Long-term", "Short-term (Short Term Care at Home)"} <= set(texts)
    fills = page.locator("svg rect").evaluate_all("rs => rs.map(r => r.getAttribute('fill'))")
    assert fills.count(BLUE) == 13 and fills.count(PURPLE) == 13  # 12 columns and the legend

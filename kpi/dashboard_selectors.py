"""K8 shaped for the contract-management dashboard: its charts (drawn by `charts`) and each figure
as CSV rows, from the one `figures.dashboard()` read; and the response rates as CSV rows. Shaped
here so the views only render (issue 9.6)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from brokerage.models import DeclineReason

from .charts import (
    BLUE,
    PURPLE,
    Bar,
    StackedRow,
    bar_chart,
    hbar_chart,
    percent,
    stacked_bands,
    stacked_columns,
    stacked_hbar_chart,
)
from .figures import QuarterFigures
from .market_gaps import GAP_LABELS, GapRow, gap_totals, market_gaps
from .quarters import Quarter
from .response_times import hours_words
from .selectors import RateRow, pct

# Chart labels short enough to sit beside their bars; the table beside gives the full names.
SHORT_LEVEL_NAMES = {
    "homecare_single": "Homecare, single carer",
    "homecare_two": "Homecare, two carer",
    "homecare_variable": "Homecare, variable carer",
    "stcah_single": "STCAH, single carer",
    "stcah_two": "STCAH, two carer",
    "short_breaks_rolling": "Short breaks, rolling",
    "homecare_single_with_short_breaks": "Single carer + short breaks",
}
Table = tuple[list[str], list[list]]


def dashboard_charts(data: dict) -> dict:
    """The dashboard's SVG charts by name, from `figures.dashboard()`."""
    figures = data["figures"]
    target = float(data["rules"].response_rate_target)
    return {
        "rates": bar_chart(
            "Market response rate by quarter, with the 95% target",
            [Bar(str(f.quarter), f.market.rate) for f in figures],
            top_value=1,
            target=target,
            target_label=f"target {pct(target)}",
        ),
        "bands": stacked_bands(
            "Share of providers in each risk band, by quarter",
            [(str(f.quarter), f.market.bands) for f in figures],
        ),
        "response_times": bar_chart(
            "Market median hours from an offer being sent to its first answer, by quarter",
            [
                Bar(
                    str(f.quarter),
                    f.market.median_hours,
                    colour="#003078",
                    text="no answers" if f.market.median_hours is None else "",
                )
                for f in figures
            ],
            fmt=lambda v: f"{v:.1f} h",
        ),
        "offer_rates": bar_chart(
            "Market offer (acceptance) rate by quarter",
            [Bar(str(f.quarter), f.offer_rate, colour="#003078") for f in figures],
            top_value=1,
        ),
        "service_levels": hbar_chart(
            "Packages by service level, last three months",
            [
                Bar(SHORT_LEVEL_NAMES.get(r["code"], r["level"]), r["count"])
                for r in data["service_levels"]["rows"]
            ],
        ),
        "per_month": stacked_columns(
            "New packages per month, long-term beneath and short-term above",
            [(f"{m['month']:%b}", [m["long"], m["short"]]) for m in data["per_month"]],
            [("Long-term", BLUE), ("Short-term (Short Term Care at Home)", PURPLE)],
        ),
        "hours": _hours_chart(data["hours"]),
    }


BAND_TAGS = {"low": "govuk-tag--green", "medium": "govuk-tag--orange", "high": "govuk-tag--red"}


def band_tag(band: str | None) -> str:
    """The GOV.UK tag colour for a risk band (K2); grey with no band."""
    return BAND_TAGS.get(band, "govuk-tag--grey")


def matrix_rows(entries: Iterable[dict]) -> list[dict]:
    """The provider table's rows of one page, each with its link, its name and its cells made
    ready in one pass (issue 13: 50 providers by six quarters took the template most of the
    page's rendering, four filters a cell), as the template wrote them."""
    return [
        {
            "link": reverse("kpi:risk-detail", args=[e["provider"].ref]),
            "name": e["provider"].name,
            "cells": [_matrix_cell(c) for c in e["cells"]],
        }
        for e in entries
    ]


def _matrix_cell(row: RateRow | None) -> SafeString:
    """One provider's quarter: the rate in its band's tag, the median time to answer, the offer
    rate and the offers excluded after a challenge (K1, K2, K10, K11); '–' for no offers."""
    if row is None:
        return mark_safe("–")  # noqa: S308 - a constant
    answers = (
        "no answers" if row.median_hours is None else f"answers in {hours_words(row.median_hours)}"
    )
    html = (
        f'<strong class="govuk-tag {band_tag(row.band)}">'
        f"{escape(pct(row.rate))}</strong><br>"
        f'<span class="govuk-body-s kpi-nowrap">{escape(answers)}</span><br>'
        f'<span class="govuk-body-s">offers {escape(pct(row.offer_rate))}</span>'
    )
    if row.excluded:
        html += f'<br><span class="govuk-body-s">{row.excluded} excluded after challenge</span>'
    return mark_safe(html)  # noqa: S308 - every value escaped or a number


def _hours_chart(hours: dict):
    return bar_chart(
        "Commissioned hours per week, a year ago and now",
        [
            Bar(
                f"{hours['year_ago_date']:%-d %b %Y}",
                float(hours["hours_year_ago"]),
                colour="#b1b4b6",
            ),
            Bar("Now", float(hours["hours_now"])),
        ],
        fmt=lambda v: f"{v:,.0f}",
    )


def figure_rows(data: dict, figure: str) -> Table | None:
    """One dashboard figure as (header, rows) for its CSV download; None for no such figure."""
    shape = FIGURE_TABLES.get(figure)
    return shape(data) if shape else None


def _rate_matrix(market_rate: Callable[[QuarterFigures], float | None], cell_rate: str):
    """A provider-by-quarter table of one figure, the market's first (the same for response and
    offer rates, and the median hours to answer of K11)."""

    def table(data: dict) -> Table:
        figures = data["figures"]
        header = ["provider_ref", "provider_name"] + [str(f.quarter) for f in figures]
        rows = [["", "Market"] + [_num(market_rate(f)) for f in figures]]
        for entry in data["matrix"]:
            rows.append(
                [entry["provider"].ref, entry["provider"].name]
                + [_num(getattr(c, cell_rate) if c else None) for c in entry["cells"]]
            )
        return header, rows

    return table


def _with_exclusions(data: dict, table: Table) -> Table:
    """K10 beside K1: after each quarter's rate column, the offers left out of it after an upheld
    challenge (`<quarter> excluded_after_challenge`), the market's and each provider's."""
    header, rows = table
    figures = data["figures"]
    counts = [[f.market.excluded for f in figures]] + [
        [c.excluded if c else "" for c in entry["cells"]] for entry in data["matrix"]
    ]
    out_header = header[:2]
    for f in figures:
        out_header += [str(f.quarter), f"{f.quarter} excluded_after_challenge"]
    out_rows = []
    for row, excluded in zip(rows, counts, strict=True):
        cells = row[:2]
        for rate, n in zip(row[2:], excluded, strict=True):
            cells += [rate, n]
        out_rows.append(cells)
    return out_header, out_rows


def _bands(data: dict) -> Table:
    header = ["quarter", "providers", "low", "medium", "high"]
    rows = [
        [
            str(f.quarter),
            f.market.providers,
            *(f.market.bands[b] for b in ("low", "medium", "high")),
        ]
        for f in data["figures"]
    ]
    return header, rows


def _hours(data: dict) -> Table:
    h = data["hours"]
    return ["moment", "hours_per_week", "weekly_spend_gbp"], [
        [h["year_ago_date"].date().isoformat(), h["hours_year_ago"], h["spend_year_ago"]],
        ["now", h["hours_now"], h["spend_now"]],
    ]


FIGURE_TABLES: dict[str, Callable[[dict], Table]] = {
    "response-rates": lambda data: _with_exclusions(
        data, _rate_matrix(lambda f: f.market.rate, "rate")(data)
    ),
    "bands": _bands,
    "offer-rates": _rate_matrix(lambda f: f.offer_rate, "offer_rate"),
    "response-times": _rate_matrix(lambda f: f.market.median_hours, "median_hours"),
    "never-responded": lambda data: (
        ["provider_ref", "provider_name", "offers"],
        [[e["provider"].ref, e["provider"].name, e["offers"]] for e in data["never_responded"]],
    ),
    "triggers": lambda data: (
        ["level", "providers"],
        [[lvl, n] for lvl, n in data["triggers"]["levels"].items()],
    ),
    "service-levels": lambda data: (
        ["service_level", "packages"],
        [[r["code"], r["count"]] for r in data["service_levels"]["rows"]],
    ),
    "packages-per-month": lambda data: (
        ["month", "long_term", "short_term"],
        [[f"{m['month']:%Y-%m}", m["long"], m["short"]] for m in data["per_month"]],
    ),
    "hours": _hours,
}


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


RATES_HEADER = [
    "provider_ref",
    "provider_name",
    "offers",
    "responded",
    "no_response",
    "rate",
    "median_hours_to_respond",
    "band",
    "offer_rate",
    "award_rate",
    "excluded_after_challenge",
]


def response_rates_rows(payload: dict) -> list[list]:
    """`response_rates_payload` as CSV rows under RATES_HEADER: each provider's, then the market's."""
    rows = [
        [
            r["provider"]["ref"],
            r["provider"]["name"],
            r["offers"],
            r["responded"],
            r["no_response"],
            r["rate"],
            _num(r["median_hours_to_respond"]),
            r["band"],
            r["offer_rate"],
            r["award_rate"],
            r["excluded_after_challenge"],
        ]
        for r in payload["results"]
    ]
    m = payload["market"]
    no_response = m["offers"] - m["responded"]
    hours = _num(m["median_hours_to_respond"])
    rows.append(
        [
            "",
            "Market",
            m["offers"],
            m["responded"],
            no_response,
            m["rate"],
            hours,
            "",
            "",
            "",
            m["excluded_after_challenge"],
        ]
    )
    return rows


GAPS_CHART_ROWS = 12


def market_gaps_section(quarter: Quarter, by: str) -> dict:
    """K12 for the dashboard: the rows of `market_gaps` with their reasons in words, the total,
    and a chart of declines by reason for the (at most 12) places or levels with the most."""
    rows = market_gaps(quarter, by)
    words = dict(DeclineReason.choices)
    most = sorted(rows, key=lambda r: (-r.declined, r.label.lower()))[:GAPS_CHART_ROWS]
    title = f"Decline reasons by {GAP_LABELS[by].lower()}, {quarter}"
    if len(rows) > len(most):
        title += f": the {len(most)} with the most declines"
    chart = stacked_hbar_chart(
        title,
        [words[c] for c in DeclineReason.values],
        [_gap_bar(r, by) for r in most if r.declined],
    )
    return {
        "quarter": quarter,
        "by": by,
        "by_label": GAP_LABELS[by],
        "rows": rows,
        "total": gap_totals(rows),
        "chart": chart,
        "charted": sum(1 for r in most if r.declined),
    }


def _gap_bar(row: GapRow, by: str) -> StackedRow:
    """One bar: the declines by reason; beside it their count and the share of packages that got
    no Offer Made ('8 · 25% no offer'); a service level by its short name."""
    share = row.no_offer_made_share
    text = f"{row.declined}" + ("" if share is None else f" · {percent(share)} no offer")
    label = SHORT_LEVEL_NAMES.get(row.key, row.label) if by == "service_level" else row.label
    return StackedRow(label, [row.reasons.get(c, 0) for c in DeclineReason.values], text)

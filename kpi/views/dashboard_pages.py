"""K8: the contract-management dashboard, its figures as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.csvio import csv_response

from ..charts import Bar, bar_chart, hbar_chart, stacked_bands
from ..figures import dashboard
from ..selectors import pct, response_rates_payload
from .common import (
    SHORT_LEVEL_NAMES,
    _period,
    council_kpi,
)

# --- K8: the contract-management dashboard -----------------------------------------------------


def _dashboard_charts(data: dict) -> dict:
    rules = data["rules"]
    figures = data["figures"]
    target = float(rules.response_rate_target)
    hours = data["hours"]
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
        "per_month": bar_chart(
            "New packages per month (long-term and short-term together)",
            [
                Bar(f"{m['month']:%b}", m["long"] + m["short"], text=f"{m['long']}+{m['short']}")
                for m in data["per_month"]
            ],
            fmt=lambda v: f"{v:.0f}",
        ),
        "hours": bar_chart(
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
        ),
    }


@council_kpi
def dashboard_page(request: HttpRequest) -> HttpResponse:
    data = dashboard()
    return render(request, "kpi/dashboard.html", {**data, "charts": _dashboard_charts(data)})


def _figure_rows(data: dict, figure: str) -> tuple[list[str], list[list]]:
    figures = data["figures"]
    if figure == "response-rates":
        header = ["provider_ref", "provider_name"] + [str(f.quarter) for f in figures]
        rows = [["", "Market"] + [_num(f.market.rate) for f in figures]]
        for entry in data["matrix"]:
            rows.append(
                [entry["provider"].ref, entry["provider"].name]
                + [_num(c.rate if c else None) for c in entry["cells"]]
            )
        return header, rows
    if figure == "bands":
        return ["quarter", "providers", "low", "medium", "high"], [
            [
                str(f.quarter),
                f.market.providers,
                f.market.bands["low"],
                f.market.bands["medium"],
                f.market.bands["high"],
            ]
            for f in figures
        ]
    if figure == "offer-rates":
        header = ["provider_ref", "provider_name"] + [str(f.quarter) for f in figures]
        rows = [["", "Market"] + [_num(f.offer_rate) for f in figures]]
        for entry in data["matrix"]:
            rows.append(
                [entry["provider"].ref, entry["provider"].name]
                + [_num(c.offer_rate if c else None) for c in entry["cells"]]
            )
        return header, rows
    if figure == "never-responded":
        return ["provider_ref", "provider_name", "offers"], [
            [e["provider"].ref, e["provider"].name, e["offers"]] for e in data["never_responded"]
        ]
    if figure == "triggers":
        return ["level", "providers"], [[lvl, n] for lvl, n in data["triggers"]["levels"].items()]
    if figure == "service-levels":
        return ["service_level", "packages"], [
            [r["code"], r["count"]] for r in data["service_levels"]["rows"]
        ]
    if figure == "packages-per-month":
        return ["month", "long_term", "short_term"], [
            [f"{m['month']:%Y-%m}", m["long"], m["short"]] for m in data["per_month"]
        ]
    if figure == "hours":
        h = data["hours"]
        return ["moment", "hours_per_week", "weekly_spend_gbp"], [
            [h["year_ago_date"].date().isoformat(), h["hours_year_ago"], h["spend_year_ago"]],
            ["now", h["hours_now"], h["spend_now"]],
        ]
    raise Http404("No such figure")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


@council_kpi
def dashboard_csv(request: HttpRequest, figure: str) -> HttpResponse:
    header, rows = _figure_rows(dashboard(), figure)
    return csv_response(f"{figure}.csv", rows, header=header)


@login_required
def response_rates_csv(request: HttpRequest) -> HttpResponse:
    """The API's figures as CSV (one implementation): a provider gets its own row only (A1)."""
    payload = response_rates_payload(request.user, _period(request))
    rows = [
        [
            r["provider"]["ref"],
            r["provider"]["name"],
            r["offers"],
            r["responded"],
            r["no_response"],
            r["rate"],
            r["band"],
            r["offer_rate"],
            r["award_rate"],
        ]
        for r in payload["results"]
    ]
    m = payload["market"]
    rows.append(
        [
            "",
            "Market",
            m["offers"],
            m["responded"],
            m["offers"] - m["responded"],
            m["rate"],
            "",
            "",
            "",
        ]
    )
    return csv_response(
        f"response-rates-{payload['period']}.csv",
        rows,
        header=[
            "provider_ref",
            "provider_name",
            "offers",
            "responded",
            "no_response",
            "rate",
            "band",
            "offer_rate",
            "award_rate",
        ],
    )

"""Ward health pages (W5) for council staff: the ward table (sortable, filterable, CSV), a chart
and table per district, cleanse candidates, and each ward's branches. Provider users get 403:
another provider's rates are not theirs to see (A1)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.csvio import csv_response
from wards.models import Ward
from wards.permissions import council_only

from .ward_health import (
    CLEANSE_MAX_OFFER_RATE,
    CLEANSE_MIN_OFFERS,
    SORTS,
    Period,
    cleanse_candidates,
    coverage_summary,
    district_health,
    ward_branches,
    ward_health,
    wards_kept,
    wards_sorted_without_offers,
    with_offer_counts,
)

PAGE_SIZE = 100
CLEANSE_SHOWN = 200  # cleanse candidates listed on the page; the CSV has every one
WARD_HEALTH_IS_FOR_COUNCIL = "Ward health is for council staff."
WARD_COLUMNS = [
    ("ward_code", "code"),
    ("ward_name", "name"),
    ("district", "district"),
    ("branches", "branches"),
    ("offers_sent", "sent"),
    ("offers_counted", "counted"),
    ("responded", "responded"),
    ("offers_made", "made"),
    ("response_rate", "response_rate"),
    ("offer_rate", "offer_rate"),
]
CLEANSE_COLUMNS = [
    "provider_ref",
    "provider_name",
    "branch_ref",
    "branch_name",
    "ward_code",
    "ward_name",
    "district",
    "counted",
    "made",
    "offer_rate",
]


def _period(request: HttpRequest) -> tuple[Period, str]:
    try:
        return Period.parse(request.GET.get("from"), request.GET.get("to")), ""
    except ValueError as error:
        return Period.default(), str(error)


def _filters(request: HttpRequest) -> dict[str, str]:
    return {k: request.GET.get(k, "").strip() for k in ("q", "district", "cover")}


def _fmt(value) -> str:
    return "" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def _sort_links(request: HttpRequest, sort: str) -> dict[str, dict]:
    """For each sortable column: the query string that sorts by it (toggling the direction when it
    is the current one) and its aria-sort state."""
    links = {}
    for key in SORTS:
        params = request.GET.copy()
        params.pop("page", None)
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        params["sort"] = key if current and descending else f"-{key}" if current else key
        state = ("descending" if descending else "ascending") if current else "none"
        links[key] = {"query": params.urlencode(), "state": state}
    return links


def _chart(districts: list[dict]) -> dict:
    """Geometry for the server-drawn SVG bar chart: two bars (response, offer rate) a district."""
    bar, gap, label_width, plot_width = 14, 12, 170, 560
    rows = []
    for i, row in enumerate(districts):
        y = 30 + i * (2 * bar + gap)
        rows.append(
            {
                **row,
                "y": y,
                "text_y": y + bar + 4,
                "offer_y": y + bar,
                "response_width": round((row["response_rate"] or 0) * plot_width, 1),
                "offer_width": round((row["offer_rate"] or 0) * plot_width, 1),
            }
        )
    height = 40 + len(districts) * (2 * bar + gap)
    ticks = [
        {"x": label_width + plot_width * t / 100, "label": f"{t}%"} for t in (0, 25, 50, 75, 100)
    ]
    return {
        "rows": rows,
        "height": height,
        "width": label_width + plot_width + 60,
        "label_width": label_width,
        "plot_width": plot_width,
        "bar": bar,
        "ticks": ticks,
        "axis_bottom": height - 10,
        "target_x": label_width + plot_width * 0.95,
    }


@login_required
def ward_health_page(request: HttpRequest) -> HttpResponse:
    council_only(request.user, WARD_HEALTH_IS_FOR_COUNCIL)
    period, error = _period(request)
    filters = _filters(request)
    sort = request.GET.get("sort", "ward")
    wards = ward_health(period, sort=sort, **filters)
    if request.GET.get("format") == "csv":
        rows = wards.values_list(*(f for _, f in WARD_COLUMNS))
        return csv_response(
            f"ward-health-{period.start}-to-{period.end}.csv",
            ([_fmt(v) for v in row] for row in rows),
            header=[c for c, _ in WARD_COLUMNS],
        )
    # The pager counts the wards, not their offers; sorted by a column no offer is in, the page
    # is cut first and only its wards' offers are read (issue 13).
    plain = wards_sorted_without_offers(sort, **filters)
    paginator = Paginator(wards if plain is None else plain, PAGE_SIZE)
    paginator.count = wards_kept(**filters).count()
    page = paginator.get_page(request.GET.get("page"))
    if plain is not None:
        page.object_list = with_offer_counts(list(page.object_list), period)
    districts = district_health(period)
    # The page lists the first CLEANSE_SHOWN; the headline gives them all (counted only when the
    # list is full, so the usual page costs no extra query).
    candidates = cleanse_candidates(period, district=filters["district"])
    cleanse = list(candidates[:CLEANSE_SHOWN])
    cleanse_total = len(cleanse) if len(cleanse) < CLEANSE_SHOWN else candidates.count()
    export = request.GET.copy()
    export.pop("page", None)
    export["format"] = "csv"
    context = {
        "period": period,
        "error": error,
        "filters": filters,
        "sort": sort,
        "sort_links": _sort_links(request, sort),
        "page": page,
        "summary": coverage_summary(),
        "districts": districts,
        "district_names": [d["district"] for d in districts],
        "chart": _chart(districts),
        "cleanse": cleanse,
        "cleanse_total": cleanse_total,
        "cleanse_rate": int(CLEANSE_MAX_OFFER_RATE * 100),
        "cleanse_min": CLEANSE_MIN_OFFERS,
        "export_query": export.urlencode(),
        "period_query": f"from={period.start}&to={period.end}",
    }
    return render(request, "brokerage/ward_health/ward_health.html", context)


@login_required
def cleanse_csv(request: HttpRequest) -> HttpResponse:
    council_only(request.user, WARD_HEALTH_IS_FOR_COUNCIL)
    period, _ = _period(request)
    rows = cleanse_candidates(period, district=request.GET.get("district", "").strip())
    return csv_response(
        f"ward-cleanse-candidates-{period.start}-to-{period.end}.csv",
        ([_fmt(row[c]) for c in CLEANSE_COLUMNS] for row in rows),
        header=CLEANSE_COLUMNS,
    )


@login_required
def ward_health_detail(request: HttpRequest, code: str) -> HttpResponse:
    council_only(request.user, WARD_HEALTH_IS_FOR_COUNCIL)
    ward = get_object_or_404(Ward, code=code)
    period, error = _period(request)
    totals = ward_health(period, q=ward.code).get(pk=ward.pk)
    context = {
        "ward": ward,
        "totals": totals,
        "branches": ward_branches(ward, period),
        "period": period,
        "error": error,
        "cleanse_rate": CLEANSE_MAX_OFFER_RATE,
        "cleanse_min": CLEANSE_MIN_OFFERS,
    }
    return render(request, "brokerage/ward_health/ward_detail.html", context)

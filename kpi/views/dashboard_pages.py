"""K8: the contract-management dashboard, its figures as CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string

from core import changes
from core.csvio import csv_response
from core.errors import InvalidInput

from ..dashboard_selectors import (
    RATES_HEADER,
    dashboard_charts,
    figure_rows,
    market_gaps_section,
    matrix_rows,
    response_rates_rows,
)
from ..figures import dashboard
from ..forms import MarketGapsForm
from ..market_gaps import GAPS_HEADER, gap_csv_rows, market_gaps, parse_gap_query
from ..selectors import response_rates_payload
from .common import _period, council_kpi

MATRIX_PAGE = 50
KEEP_SECONDS = 300


@council_kpi
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The page's body is worked out once and given again while nothing it reads has changed
    (`core.changes`: every change moves the number in its key) and for at most KEEP_SECONDS of
    the clock (its windows, "the last three months", "in force now", move with the clock), per
    choice of quarter, grouping and page (issue 13, goal 2)."""
    chosen = sorted((k, tuple(v)) for k, v in request.GET.lists())
    body = changes.kept(
        f"kpi-dashboard:{urlencode(chosen, doseq=True)}",
        lambda: render_to_string(
            "kpi/includes/dashboard_body.html", _dashboard_context(request), request=request
        ),
        KEEP_SECONDS,
    )
    return render(request, "kpi/dashboard.html", {"body": body})


def _dashboard_context(request: HttpRequest) -> dict:
    data = dashboard()
    quarters = [f.quarter for f in data["figures"]]
    # K12: the quarter and grouping chosen, or the current quarter by district (also when the
    # choice is bad: the form says what is wrong above the figures drawn with the defaults).
    chosen = {k: v for k, v in request.GET.items() if k in MarketGapsForm.base_fields}
    gaps_form = MarketGapsForm(chosen or None, quarters=quarters)
    quarter, by = quarters[-1], "district"
    if gaps_form.is_bound and gaps_form.is_valid():
        quarter, by = parse_gap_query(
            gaps_form.cleaned_data["gaps_quarter"], gaps_form.cleaned_data["gaps_by"]
        )
    # A page of the provider table at a time (issue 13): thousands of providers nationally; the
    # CSV download has them all.
    matrix = Paginator(data["matrix"], MATRIX_PAGE).get_page(request.GET.get("page"))
    return {
        **data,
        "matrix": matrix,
        "matrix_rows": matrix_rows(matrix),
        "charts": dashboard_charts(data),
        "gaps": market_gaps_section(quarter, by),
        "gaps_form": gaps_form,
    }


@council_kpi
def market_gaps_csv(request: HttpRequest) -> HttpResponse:
    """K12 as CSV: `?quarter=2026-27-Q1&by=district|ward|service_level`, every reason a column."""
    try:
        quarter, by = parse_gap_query(request.GET.get("quarter"), request.GET.get("by"))
    except InvalidInput as exc:
        return HttpResponseBadRequest(exc.detail, content_type="text/plain; charset=utf-8")
    rows = gap_csv_rows(quarter, by, market_gaps(quarter, by))
    return csv_response(f"market-gaps-{quarter}-by-{by}.csv", rows, header=GAPS_HEADER)


@council_kpi
def dashboard_csv(request: HttpRequest, figure: str) -> HttpResponse:
    table = figure_rows(dashboard(), figure)
    if table is None:
        raise Http404("No such figure")
    header, rows = table
    return csv_response(f"{figure}.csv", rows, header=header)


@login_required
def response_rates_csv(request: HttpRequest) -> HttpResponse:
    """The API's figures as CSV (one implementation): a provider gets its own row only (A1)."""
    payload = response_rates_payload(request.user, _period(request))
    return csv_response(
        f"response-rates-{payload['period']}.csv", response_rates_rows(payload), header=RATES_HEADER
    )

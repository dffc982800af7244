"""K8: the contract-management dashboard, its figures as CSV."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from core.csvio import csv_response

from ..dashboard_selectors import (
    RATES_HEADER,
    dashboard_charts,
    figure_rows,
    response_rates_rows,
)
from ..figures import dashboard
from ..selectors import response_rates_payload
from .common import _period, council_kpi


@council_kpi
def dashboard_page(request: HttpRequest) -> HttpResponse:
    data = dashboard()
    return render(request, "kpi/dashboard.html", {**data, "charts": dashboard_charts(data)})


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

"""L3: the claims list for the council (every provider's) and for a provider (its own: a branch its
branch's, an organisation all its branches'), with filters and a CSV of the same rows."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from providers.models import Provider

from ..claims import claim_queryset, claim_totals, claims_csv_response
from ..filters import ClaimFilter
from .common import PAGE_SIZE


def _claim_filter(request: HttpRequest) -> ClaimFilter:
    return ClaimFilter(request.GET, queryset=claim_queryset(request.user))


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    filterset = _claim_filter(request)
    claims = filterset.qs
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    providers = (
        Provider.objects.visible_to(request.user).filter(claims__isnull=False).distinct()
        if request.user.is_council
        else Provider.objects.none()
    )
    return render(
        request,
        "brokerage/claim_list.html",
        {
            "filter": filterset,
            "page": page,
            "totals": claim_totals(claims),
            "providers": providers.order_by("name").values_list("ref", "name"),
            "query": query.urlencode(),
        },
    )


@login_required
def claim_list_csv(request: HttpRequest) -> HttpResponse:
    """The same rows as the claims page, all pages, as CSV (L3)."""
    return claims_csv_response(_claim_filter(request).qs)

"""K4: a provider's own figures, and the offers behind each number."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..selectors import BEHIND, offers_behind
from ..self_view_selectors import FIGURE_LABELS, self_view
from .common import PAGE_SIZE, _period, provider_only

# --- K4: the provider's own figures ------------------------------------------------------------


@provider_only
def my_kpis(request: HttpRequest) -> HttpResponse:
    """Own response, offer and award rates per quarter and rolling 90 days, where the provider
    stands in the anonymous market spread, and a link to the offers behind every number."""
    context = self_view(request.user, period=request.GET.get("period"), now=timezone.now())
    return render(request, "kpi/my_kpis.html", context)


@provider_only
def my_offers(request: HttpRequest) -> HttpResponse:
    """The user's own offers behind one figure (K4), the same filter the figure counts."""
    period = _period(request)
    figure = request.GET.get("figure", "offers")
    if figure not in BEHIND:
        raise Http404("No such figure")
    offers = offers_behind(request.user, period, figure).order_by("-sent_at", "-id")
    page = Paginator(offers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kpi/my_offers.html",
        {
            "period": period,
            "figure": figure,
            "figure_label": FIGURE_LABELS[figure],
            "page": page,
            "query": f"period={period.code}&figure={figure}",
        },
    )

"""K4: a provider's own figures, and the offers behind each number."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from brokerage.models import Offer
from core.models import PortalSettings

from ..charts import spread_chart
from ..quarters import recent_quarters
from ..selectors import (
    BEHIND,
    RateWindow,
    band_description,
    market_summary,
    offers_behind,
    provider_rates,
    rates_by_quarter,
    standing,
)
from .common import (
    PAGE_SIZE,
    SELF_VIEW_QUARTERS,
    _period,
    provider_only,
)

# --- K4: the provider's own figures ------------------------------------------------------------


@provider_only
def my_kpis(request: HttpRequest) -> HttpResponse:
    """Own response, offer and award rates per quarter and rolling 90 days, where the provider
    stands in the anonymous market spread, and a link to the offers behind every number."""
    now = timezone.now()
    rules = PortalSettings.load()
    quarters = recent_quarters(now, SELF_VIEW_QUARTERS)
    mine_by_q = rates_by_quarter(
        quarters, offers=Offer.objects.visible_to(request.user), rules=rules
    )
    market_by_q = rates_by_quarter(quarters, rules=rules)
    rolling = RateWindow.rolling(now)
    periods = [
        (
            rolling,
            provider_rates(rolling, offers=Offer.objects.visible_to(request.user), rules=rules),
            market_summary(provider_rates(rolling, rules=rules)),
        )
    ]
    for quarter in reversed(quarters):
        code = str(quarter)
        periods.append(
            (
                RateWindow.for_quarter(quarter),
                mine_by_q.get(code, []),
                market_summary(market_by_q.get(code, [])),
            )
        )
    rows = []
    for period, mine, market in periods:
        own = mine[0] if mine else None
        rows.append(
            {
                "period": period,
                "row": own,
                "market": market,
                "standing": standing(own.rate if own else None, market),
            }
        )
    chosen = rows[0]
    for entry in rows:
        if entry["period"].code == request.GET.get("period"):
            chosen = entry
    you = chosen["row"].rate if chosen["row"] else None
    chart = spread_chart(
        f"Response rates of {chosen['market'].providers} providers, {chosen['period'].label}, "
        "in ten-point bands, with your band marked",
        chosen["market"].rates,
        you,
    )
    you_bin = None if you is None else min(int(you * 10), 9)
    bins = [
        (round(b * 100), n, i == you_bin)
        for i, (b, n) in enumerate(_spread_table(chosen["market"].rates))
    ]
    return render(
        request,
        "kpi/my_kpis.html",
        {
            "rows": rows,
            "chosen": chosen,
            "band": band_description(chosen["row"].band if chosen["row"] else None, rules),
            "chart": chart,
            "bins": bins,
            "rules": rules,
            "you": you,
        },
    )


def _spread_table(rates: list[float]) -> list[tuple[float, int]]:
    counts = [0] * 10
    for rate in rates:
        counts[min(int(rate * 10), 9)] += 1
    return [(i / 10, n) for i, n in enumerate(counts)]


FIGURE_LABELS = {
    "offers": "Offers counted (answered or expired)",
    "responded": "Responded (Offer Made or Unable to Accept)",
    "no_response": "No Response",
    "offer_made": "Offer Made",
    "awarded": "Awarded to you",
}


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

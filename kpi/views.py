"""KPI pages: the provider's own figures (K4) and returns (K5), the council's dashboard (K8),
triggers (K7), risk profiles and action plans (K9), and the KPI settings (K6).

Provider users reach their own provider's records only, through `visible_to` (A1: 404 otherwise);
council-only pages answer 403 to them before any lookup, so nothing leaks (A2).
"""

from __future__ import annotations

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from brokerage.models import Offer
from core.models import PortalSettings
from providers.models import Provider, Role

from . import services
from .api import response_rates_payload
from .charts import Bar, bar_chart, hbar_chart, spread_chart, stacked_bands
from .dashboard import dashboard
from .forms import (
    ActionPlanForm,
    ActionPlanStatusForm,
    DiscountedQuarterForm,
    FirstDueForm,
    ResetForm,
    ReturnUploadForm,
    RiskProfileForm,
)
from .models import (
    ActionPlan,
    DiscountedQuarter,
    FirstDueQuarter,
    KpiReturn,
    KpiSettings,
    KpiTrigger,
    RiskProfile,
)
from .quarters import Quarter, recent_quarters
from .returns import ReturnRejected
from .selectors import (
    BEHIND,
    Period,
    market_summary,
    offers_behind,
    pct,
    provider_rates,
    rates_by_quarter,
    standing,
)

COUNCIL_KPI = (Role.CONTRACT_MANAGER,)
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
PAGE_SIZE = 50
SELF_VIEW_QUARTERS = 4


def council_kpi(view):
    """Contract managers (and administrators); everyone else 403 (A2)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(*COUNCIL_KPI):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def provider_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_provider_user:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _csv_response(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _period(request, default: str = "rolling-90") -> Period:
    try:
        return Period.parse(request.GET.get("period") or default)
    except ValueError as exc:
        raise Http404(str(exc)) from exc


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
    rolling = Period.rolling(now)
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
                Period.for_quarter(quarter),
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
        {"rows": rows, "chosen": chosen, "chart": chart, "bins": bins, "rules": rules, "you": you},
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
    return _csv_response(f"{figure}.csv", header, rows)


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
    return _csv_response(
        f"response-rates-{payload['period']}.csv",
        [
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
        rows,
    )


# --- K5: returns -------------------------------------------------------------------------------


def _may_make_returns(user) -> bool:
    return user.is_provider_user or user.has_role(*COUNCIL_KPI)


@login_required
def return_list(request: HttpRequest) -> HttpResponse:
    if not (_may_make_returns(request.user) or request.user.is_council):
        raise PermissionDenied
    returns = KpiReturn.objects.visible_to(request.user).select_related("provider", "submitted_by")
    page = Paginator(returns, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kpi/return_list.html",
        {"page": page, "may_upload": _may_make_returns(request.user), "rules": KpiSettings.load()},
    )


@login_required
def return_upload(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_make_returns(user):
        raise PermissionDenied
    form = ReturnUploadForm(request.POST or None, request.FILES or None, user=user)
    rejected = None
    if request.method == "POST" and form.is_valid():
        provider = user.provider if user.is_provider_user else form.cleaned_data["provider"]
        upload = form.cleaned_data["file"]
        try:
            kpi_return = services.kpi_return_submit(
                actor=user,
                provider=provider,
                quarter=form.cleaned_data["quarter"],
                file=upload,
                file_name=upload.name,
            )
        except ReturnRejected as exc:
            rejected = exc
        except services.KpiError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Return for {kpi_return.quarter} received.")
            return redirect("kpi:return", pk=kpi_return.pk)
    return render(
        request,
        "kpi/return_upload.html",
        {"form": form, "rejected": rejected, "rules": KpiSettings.load()},
    )


@login_required
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    kpi_return = get_object_or_404(
        KpiReturn.objects.visible_to(request.user).select_related("provider", "submitted_by"), pk=pk
    )
    quarter = kpi_return.quarter_obj
    rules = KpiSettings.load()
    return render(
        request,
        "kpi/return_detail.html",
        {
            "r": kpi_return,
            "quarter": quarter,
            "due": quarter.due_date(rules.return_due_days),
            "rules": rules,
        },
    )


# --- K7: triggers --------------------------------------------------------------------------------


@login_required
def trigger_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (user.is_provider_user or user.is_council):
        raise PermissionDenied
    triggers = KpiTrigger.objects.visible_to(user).select_related("provider", "reset")
    page = Paginator(triggers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "may_reset": user.has_role(*COUNCIL_KPI)}
    if user.is_council:
        from .dashboard import flagged_for_legal_advice, trigger_levels

        context.update(levels=trigger_levels(), legal=flagged_for_legal_advice())
    return render(request, "kpi/trigger_list.html", context)


@council_kpi
def trigger_reset(request: HttpRequest, ref: str) -> HttpResponse:
    provider = get_object_or_404(Provider, ref=ref)
    active = KpiTrigger.objects.filter(provider=provider, reset__isnull=True)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.kpi_triggers_reset(
                actor=request.user, provider=provider, reason=form.cleaned_data["reason"]
            )
        except services.KpiError as exc:
            form.add_error("reason", str(exc))
        else:
            messages.success(request, f"Trigger count for {provider.name} reset.")
            return redirect("kpi:triggers")
    return render(
        request, "kpi/trigger_reset.html", {"provider": provider, "active": active, "form": form}
    )


# --- K9: risk profiles and action plans (council eyes only, A2) ---------------------------------


@council_kpi
def risk_list(request: HttpRequest) -> HttpResponse:
    """Medium- and high-risk providers over the rolling 90 days and the last ended quarter."""
    now = timezone.now()
    last = Quarter.containing(now).previous()
    rows = {}
    for period in (Period.rolling(now), Period.for_quarter(last)):
        for row in provider_rates(period):
            if row.band in ("medium", "high"):
                rows.setdefault(row.provider_id, {"provider": row.provider, "rates": {}})["rates"][
                    period.code
                ] = row
    profiles = RiskProfile.objects.in_bulk(list(rows), field_name="provider_id")
    profiled = RiskProfile.objects.exclude(provider_id__in=list(rows)).select_related("provider")
    for extra in profiled:
        rows[extra.provider_id] = {"provider": extra.provider, "rates": {}}
        profiles[extra.provider_id] = extra
    entries = sorted(rows.values(), key=lambda e: e["provider"].name)
    for entry in entries:
        entry["profile"] = profiles.get(entry["provider"].pk)
        entry["rolling"] = entry["rates"].get("rolling-90")
        entry["quarter"] = entry["rates"].get(str(last))
    return render(request, "kpi/risk_list.html", {"entries": entries, "last": last})


@council_kpi
def risk_detail(request: HttpRequest, ref: str) -> HttpResponse:
    provider = get_object_or_404(Provider, ref=ref)
    profile = RiskProfile.objects.filter(provider=provider).first()
    initial = {"level": profile.level, "summary": profile.summary} if profile else None
    profile_form = RiskProfileForm(initial=initial)
    plan_form = ActionPlanForm()
    if request.method == "POST":
        kind = request.POST.get("form")
        if kind == "profile":
            profile_form = RiskProfileForm(request.POST)
            if profile_form.is_valid():
                services.risk_profile_save(
                    actor=request.user, provider=provider, **profile_form.cleaned_data
                )
                messages.success(request, "Risk profile saved.")
                return redirect("kpi:risk-detail", ref=ref)
        elif kind == "plan":
            plan_form = ActionPlanForm(request.POST)
            if plan_form.is_valid():
                services.action_plan_add(
                    actor=request.user, provider=provider, **plan_form.cleaned_data
                )
                messages.success(request, "Action added to the plan.")
                return redirect("kpi:risk-detail", ref=ref)
        elif kind == "status":
            plan = get_object_or_404(ActionPlan, pk=request.POST.get("plan"), provider=provider)
            status_form = ActionPlanStatusForm(request.POST)
            if status_form.is_valid():
                services.action_plan_set_status(
                    actor=request.user, plan=plan, status=status_form.cleaned_data["status"]
                )
                return redirect("kpi:risk-detail", ref=ref)
    now = timezone.now()
    quarters = recent_quarters(now, 4)
    own = rates_by_quarter(quarters, offers=Offer.objects.filter(provider=provider))
    history = [(q, (own.get(str(q)) or [None])[0]) for q in reversed(quarters)]
    return render(
        request,
        "kpi/risk_detail.html",
        {
            "provider": provider,
            "profile": profile,
            "profile_form": profile_form,
            "plan_form": plan_form,
            "plans": ActionPlan.objects.filter(provider=provider),
            "history": history,
            "triggers": KpiTrigger.objects.filter(provider=provider),
        },
    )


# --- K6: settings --------------------------------------------------------------------------------


@council_kpi
def kpi_settings(request: HttpRequest) -> HttpResponse:
    discount_form, first_due_form = DiscountedQuarterForm(), FirstDueForm()
    if request.method == "POST":
        kind = request.POST.get("form")
        try:
            if kind == "discount":
                discount_form = DiscountedQuarterForm(request.POST)
                if discount_form.is_valid():
                    services.discounted_quarter_add(
                        actor=request.user, **discount_form.cleaned_data
                    )
                    messages.success(request, "Quarter discounted.")
                    return redirect("kpi:settings")
            elif kind == "undiscount":
                item = get_object_or_404(DiscountedQuarter, pk=request.POST.get("item"))
                services.discounted_quarter_remove(actor=request.user, item=item)
                messages.success(request, f"{item.quarter} is counted again.")
                return redirect("kpi:settings")
            elif kind == "first_due":
                first_due_form = FirstDueForm(request.POST)
                if first_due_form.is_valid():
                    services.first_due_quarter_set(
                        actor=request.user, **first_due_form.cleaned_data
                    )
                    messages.success(request, "First due quarter saved.")
                    return redirect("kpi:settings")
        except services.KpiError as exc:
            discount_form.add_error(None, str(exc))
    return render(
        request,
        "kpi/settings.html",
        {
            "discounted": DiscountedQuarter.objects.all(),
            "overrides": FirstDueQuarter.objects.select_related("provider"),
            "discount_form": discount_form,
            "first_due_form": first_due_form,
            "rules": KpiSettings.load(),
        },
    )

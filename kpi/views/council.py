"""K7, K9, K6: triggers and their reset, risk profiles and action plans (council eyes only,
A2), and the KPI settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from brokerage.models import Offer
from providers.models import Provider

from .. import services
from ..figures import flagged_for_legal_advice, trigger_levels
from ..forms import (
    ActionPlanForm,
    ActionPlanStatusForm,
    DiscountedQuarterForm,
    FirstDueForm,
    ResetForm,
    RiskProfileForm,
)
from ..models import (
    ActionPlan,
    DiscountedQuarter,
    FirstDueQuarter,
    KpiSettings,
    KpiTrigger,
    RiskProfile,
)
from ..quarters import Quarter, recent_quarters
from ..selectors import (
    Period,
    provider_rates,
    rates_by_quarter,
)
from .common import (
    COUNCIL_KPI,
    PAGE_SIZE,
    council_kpi,
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

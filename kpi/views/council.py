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
from django.views.decorators.http import require_POST, require_safe

from core.errors import add_domain_error
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
from ..permissions import may_manage_kpi, may_read_returns_and_triggers
from ..risk_selectors import risk_entries, risk_history, with_rolling_medians
from .common import (
    PAGE_SIZE,
    council_kpi,
)

# --- K7: triggers --------------------------------------------------------------------------------


@login_required
def trigger_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not may_read_returns_and_triggers(user):
        raise PermissionDenied
    triggers = KpiTrigger.objects.visible_to(user).select_related("provider", "reset")
    page = Paginator(triggers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "may_reset": may_manage_kpi(user)}
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
    entries, last, rolling = risk_entries(timezone.now())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    with_rolling_medians(page.object_list, rolling)
    return render(request, "kpi/risk_list.html", {"page": page, "last": last})


def _risk_page(
    request: HttpRequest,
    provider: Provider,
    *,
    profile_form: RiskProfileForm | None = None,
    plan_form: ActionPlanForm | None = None,
) -> HttpResponse:
    """The risk page; a form posted with errors is shown bound, the others fresh."""
    profile = RiskProfile.objects.filter(provider=provider).first()
    if profile_form is None:
        initial = {"level": profile.level, "summary": profile.summary} if profile else None
        profile_form = RiskProfileForm(initial=initial)
    return render(
        request,
        "kpi/risk_detail.html",
        {
            "provider": provider,
            "profile": profile,
            "profile_form": profile_form,
            "plan_form": plan_form or ActionPlanForm(),
            "plans": ActionPlan.objects.filter(provider=provider),
            "history": risk_history(provider, timezone.now()),
            "triggers": KpiTrigger.objects.filter(provider=provider),
        },
    )


def _risk_form_post(
    request: HttpRequest, ref: str, *, form_class, slot: str, save, done: str
) -> HttpResponse:
    """One of the risk page's forms for provider `ref`: saved by `save` and back to the page
    saying `done`, or the page again with the form bound in its `slot` and its errors shown."""
    provider = get_object_or_404(Provider, ref=ref)
    form = form_class(request.POST)
    if not form.is_valid():
        return _risk_page(request, provider, **{slot: form})
    save(actor=request.user, provider=provider, **form.cleaned_data)
    messages.success(request, done)
    return redirect("kpi:risk-detail", ref=ref)


@council_kpi
@require_POST
def risk_profile_save(request: HttpRequest, ref: str) -> HttpResponse:
    return _risk_form_post(
        request,
        ref,
        form_class=RiskProfileForm,
        slot="profile_form",
        save=services.risk_profile_save,
        done="Risk profile saved.",
    )


@council_kpi
@require_POST
def risk_plan_add(request: HttpRequest, ref: str) -> HttpResponse:
    return _risk_form_post(
        request,
        ref,
        form_class=ActionPlanForm,
        slot="plan_form",
        save=services.action_plan_add,
        done="Action added to the plan.",
    )


@council_kpi
@require_POST
def risk_plan_status(request: HttpRequest, ref: str) -> HttpResponse:
    """Mark the posted `plan` met or not met; another provider's plan is 404."""
    plan_id = request.POST.get("plan")
    plan = get_object_or_404(
        ActionPlan, pk=plan_id if str(plan_id).isdigit() else None, provider__ref=ref
    )
    form = ActionPlanStatusForm(request.POST)
    if form.is_valid():
        services.action_plan_set_status(
            actor=request.user, plan=plan, status=form.cleaned_data["status"]
        )
    return redirect("kpi:risk-detail", ref=ref)


@council_kpi
@require_safe
def risk_detail(request: HttpRequest, ref: str) -> HttpResponse:
    """The risk page; its forms post to their own views above."""
    return _risk_page(request, get_object_or_404(Provider, ref=ref))


# --- K6: settings --------------------------------------------------------------------------------


def _settings_page(
    request: HttpRequest,
    *,
    discount_form: DiscountedQuarterForm | None = None,
    first_due_form: FirstDueForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "kpi/settings.html",
        {
            "discounted": DiscountedQuarter.objects.all(),
            "overrides": FirstDueQuarter.objects.select_related("provider"),
            "discount_form": discount_form or DiscountedQuarterForm(),
            "first_due_form": first_due_form or FirstDueForm(),
            "rules": KpiSettings.load(),
        },
    )


@council_kpi
@require_POST
def discount_add(request: HttpRequest) -> HttpResponse:
    form = DiscountedQuarterForm(request.POST)
    if form.is_valid():
        try:
            services.discounted_quarter_add(actor=request.user, **form.cleaned_data)
        except services.KpiError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "Quarter discounted.")
            return redirect("kpi:settings")
    return _settings_page(request, discount_form=form)


@council_kpi
@require_POST
def discount_remove(request: HttpRequest) -> HttpResponse:
    item_id = request.POST.get("item")
    item = get_object_or_404(DiscountedQuarter, pk=item_id if str(item_id).isdigit() else None)
    services.discounted_quarter_remove(actor=request.user, item=item)
    messages.success(request, f"{item.quarter} is counted again.")
    return redirect("kpi:settings")


@council_kpi
@require_POST
def first_due_set(request: HttpRequest) -> HttpResponse:
    form = FirstDueForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, first_due_form=form)
    services.first_due_quarter_set(actor=request.user, **form.cleaned_data)
    messages.success(request, "First due quarter saved.")
    return redirect("kpi:settings")


@council_kpi
@require_safe
def kpi_settings(request: HttpRequest) -> HttpResponse:
    """The settings page; its forms post to their own views above."""
    return _settings_page(request)

"""Reallocation batches (L4) and widening (L5) pages: the navigator picks a provider (or searches)
and ticks the awarded packages that must move, sees the batches made (one per postcode district),
sends each once and follows its per-package progress; a branch sees a batch's offers together.
Widening sends an open package on to more wards; the hard-to-place list shows packages with no
Offer Made after a day."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import PAGE_ERRORS, page_refusal
from core.listing import options_html
from providers.models import Provider
from wards.models import Ward

from .. import services
from ..batch_selectors import (
    MOVABLE_LIMIT,
    batch_offers_for,
    batch_progress,
    hard_to_place,
    movable_packages,
)
from ..models import PackageStatus, ReallocationBatch
from ..permissions import may_act_on_packages, may_read_packages
from ..selectors import branches_to_offer
from .common import _mark_deadlines, _package_or_404, navigators_only, package_readers


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    """Council: every batch; a provider user: the batches it was offered (A1)."""
    batches = (
        ReallocationBatch.objects.visible_to(request.user)
        .select_related("from_provider")
        .annotate(package_count=Count("packages", distinct=True))
        .order_by("-created_at", "-id")[:200]
    )
    return render(
        request,
        "brokerage/batch_list.html",
        {
            "batches": batches,
            "council": may_read_packages(request.user),
            "can_act": may_act_on_packages(request.user),
        },
    )


@navigators_only
def batch_create(request: HttpRequest) -> HttpResponse:
    """Pick a provider or search, tick the awarded packages that must move, give the reason."""
    providers = Provider.objects.order_by("name")
    ref = request.GET.get("provider", "").strip()
    query = request.GET.get("q", "").strip()[:100]
    provider = providers.filter(ref=ref).first() if ref else None
    searched = bool(provider or query)
    packages = (
        list(movable_packages(provider=provider, query=query)[:MOVABLE_LIMIT]) if searched else []
    )
    problem, errors = "", {}
    if request.method == "POST":
        chosen = [pk for pk in request.POST.getlist("packages") if pk.isdigit()]
        try:
            made = services.batches_create(
                actor=request.user, package_ids=chosen, reason=request.POST.get("reason", "")
            )
        except PAGE_ERRORS as exc:
            errors = getattr(exc, "errors", {}) or {}
            problem = "" if errors else page_refusal(None, exc)
        else:
            messages.success(
                request,
                f"{len(made)} batch{'es' if len(made) != 1 else ''} made, one per postcode district. Check each, then send it.",
            )
            return redirect("brokerage:batches")
    return render(
        request,
        "brokerage/batch_create.html",
        {
            # Every provider on the framework and off it (a national market has thousands),
            # written in one pass (issue 13).
            "provider_options": options_html(
                (
                    (p.ref, f"{p.name} ({p.ref}, {p.get_pdps_status_display().lower()})")
                    for p in providers.only("ref", "name", "pdps_status")
                ),
                {provider.ref} if provider else set(),
            ),
            "provider": provider,
            "query": query,
            "searched": searched,
            "packages": packages,
            "limit": MOVABLE_LIMIT,
            "problem": problem,
            "errors": errors,
            "reason": request.POST.get("reason", ""),
            "chosen": set(request.POST.getlist("packages")),
        },
    )


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Council: the batch's per-package progress and, until sent, the send button. A provider
    user: its own offers in the batch, together (L4); another provider's batch is 404 (A1)."""
    batch = get_object_or_404(
        ReallocationBatch.objects.visible_to(request.user).select_related("from_provider"), pk=pk
    )
    if may_read_packages(request.user):
        return render(
            request,
            "brokerage/batch_detail.html",
            {
                "batch": batch,
                "rows": batch_progress(batch),
                "can_act": may_act_on_packages(request.user),
            },
        )
    if request.user.is_council:
        raise PermissionDenied
    offers = _mark_deadlines(batch_offers_for(request.user, batch), timezone.now())
    return render(request, "brokerage/batch_branch.html", {"batch": batch, "offers": offers})


@require_POST
@navigators_only
def batch_send(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(ReallocationBatch.objects.visible_to(request.user), pk=pk)
    try:
        offers = services.batch_send(actor=request.user, batch=batch)
    except PAGE_ERRORS as exc:
        messages.error(request, page_refusal(None, exc))
    else:
        messages.success(
            request,
            f"Batch {batch.pk} sent: {offers} offer{'s' if offers != 1 else ''} made, a new round for each package",
        )
    return redirect("brokerage:batch", pk=batch.pk)


@navigators_only
def package_widen(request: HttpRequest, pk: int) -> HttpResponse:
    """L5: send an open package on to neighbouring wards (its district's) or a whole district."""
    package = _package_or_404(request, pk)
    districts = list(
        Ward.objects.order_by("district").values_list("district", flat=True).distinct()
    )
    neighbours = list(
        Ward.objects.filter(district=package.ward.district).exclude(pk=package.ward_id)
    )
    problem = ""
    if request.method == "POST":
        codes = request.POST.getlist("wards")
        district = request.POST.get("district", "").strip()
        if district:
            codes += list(Ward.objects.filter(district=district).values_list("code", flat=True))
        try:
            wards = services.wards_from_codes(codes)
            made = services.package_widen(actor=request.user, package=package, wards=wards)
        except PAGE_ERRORS as exc:
            problem = page_refusal(None, exc)
        else:
            messages.success(
                request,
                f"Package {package.reference} sent on to {made} more branch{'es' if made != 1 else ''}",
            )
            return redirect("brokerage:package", pk=package.pk)
    return render(
        request,
        "brokerage/package_widen.html",
        {
            "package": package,
            "open": package.status == PackageStatus.OFFERED,
            "neighbours": neighbours,
            "districts": districts,
            "problem": problem,
            "already": package.offers.filter(round=package.round).count(),
            "covering_now": len(branches_to_offer(package)),
        },
    )


@package_readers
def packages_hard_to_place(request: HttpRequest) -> HttpResponse:
    """L5: offered packages with no Offer Made more than a day after they went out."""
    packages = list(hard_to_place(timezone.now())[:500])
    return render(
        request,
        "brokerage/hard_to_place.html",
        {"packages": packages, "can_act": may_act_on_packages(request.user)},
    )

"""P12 capacity pages: a branch declares no capacity (or lifts it) on its capacity page; navigators
see every branch's declared capacity by district, contract managers also how often each provider
declares it. Every change goes through `brokerage/capacity.py`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.errors import PAGE_ERRORS, add_domain_error
from providers.models import Branch, Role

from ..capacity import (
    MAX_DAYS_AHEAD,
    OPEN,
    capacity_active,
    capacity_by_district,
    capacity_by_provider,
    capacity_declare,
    capacity_lift,
)
from ..forms import CapacityForm
from ..permissions import may_declare_capacity, may_see_capacity_page


@login_required
def branch_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the branch's capacity and the form to declare none. POST `status=open` lifts the
    declaration; any other POST declares no capacity until the date typed."""
    if not may_declare_capacity(request.user):
        raise PermissionDenied
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("provider"), pk=pk
    )
    declared = capacity_active(branch=branch)
    initial = {"until": declared.until, "note": declared.note} if declared else None
    form = CapacityForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and request.POST.get("status") == OPEN:
        capacity_lift(actor=request.user, branch=branch)
        messages.success(request, f"The {branch.name} branch is open to new packages again")
        return redirect("brokerage:branch-capacity", pk=branch.pk)
    if request.method == "POST" and form.is_valid():
        try:
            declaration = capacity_declare(
                actor=request.user,
                branch=branch,
                until=form.cleaned_data["until"],
                note=form.cleaned_data["note"],
            )
        except PAGE_ERRORS as exc:
            add_domain_error(form, exc)
        else:
            until = declaration.until
            messages.success(
                request, f"No capacity declared until {until.day} {until:%B %Y} (inclusive)"
            )
            return redirect("brokerage:branch-capacity", pk=branch.pk)
    return render(
        request,
        "brokerage/branch_capacity.html",
        {
            "branch": branch,
            "form": form,
            "declared": declared,
            "max_days": MAX_DAYS_AHEAD,
        },
    )


@login_required
def capacity_overview(request: HttpRequest) -> HttpResponse:
    """Navigators: every district's branches with no capacity declared now. Contract managers
    also see, per provider, its declarations, the days declared and the offers auto-answered."""
    if not may_see_capacity_page(request.user):
        raise PermissionDenied
    now = timezone.now()
    show_providers = request.user.has_role(Role.CONTRACT_MANAGER)
    return render(
        request,
        "brokerage/capacity.html",
        {
            "districts": capacity_by_district(at=now),
            "providers": capacity_by_provider(now=now) if show_providers else None,
        },
    )

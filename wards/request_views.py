"""Ward request pages (W3): providers' My wards, Request a change and My requests; the contract
managers' queue and request page. Every lookup goes through `visible_to` (A1): another provider's
request is 404. Every change goes through `services`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from providers.models import Branch

from .filters import WardRequestFilter
from .forms import DecisionForm, WardRequestForm
from .models import Coverage, Ward, WardRequest, WardRequestAction, WardRequestStatus
from .permissions import may_decide_ward_requests, provider_only
from .services import (
    WARD_REQUEST_REFUSALS,
    ward_request_create,
    ward_request_withdraw,
    ward_requests_approve,
    ward_requests_reject,
)

PAGE_SIZE = 50


def _districts() -> list[str]:
    return list(Ward.objects.order_by("district").values_list("district", flat=True).distinct())


@login_required
def my_wards(request: HttpRequest) -> HttpResponse:
    """The coverage in force for each branch the provider user may see, with pending requests."""
    provider_only(request.user)
    branches = list(
        Branch.objects.visible_to(request.user)
        .select_related("provider")
        .annotate(
            pending=Count("ward_requests", filter=Q(ward_requests__status="pending"), distinct=True)
        )
    )
    coverage: dict[int, list[Coverage]] = {b.pk: [] for b in branches}
    rows = (
        Coverage.objects.visible_to(request.user)
        .in_force()
        .select_related("ward")
        .order_by("ward__district", "ward__name")
    )
    for row in rows:
        coverage[row.branch_id].append(row)
    for branch in branches:
        branch.wards_in_force = coverage[branch.pk]
    return render(request, "wards/my_wards.html", {"branches": branches})


def _eligible_wards(branch: Branch | None, action: str) -> QuerySet[Ward]:
    """The wards a person may tick: to add, those the branch does not cover and has not already
    asked for; to remove, those it covers (and has not already asked to remove)."""
    if branch is None or action not in WardRequestAction.values:
        return Ward.objects.none()
    covered = Coverage.objects.in_force().filter(branch=branch).values("ward_id")
    asked = WardRequest.objects.pending().filter(branch=branch, action=action).values("ward_id")
    wards = Ward.objects.exclude(pk__in=asked)
    if action == WardRequestAction.ADD:
        return wards.exclude(pk__in=covered).order_by("district", "name")
    return wards.filter(pk__in=covered).order_by("district", "name")


def _shown_wards(eligible: QuerySet[Ward], action: str, district: str) -> QuerySet[Ward]:
    """The checkboxes to draw: the eligible wards of the chosen district. Every ward of the county
    is too long a list to add from, so adding needs a district; removing lists all."""
    if district:
        return eligible.filter(district=district)
    return eligible if action == WardRequestAction.REMOVE else eligible.none()


def _chosen_branch(branches: QuerySet[Branch], value: str | None) -> Branch | None:
    if value and value.isdigit():
        return branches.filter(pk=int(value)).first()
    return branches.first() if branches.count() == 1 else None


@login_required
def request_create(request: HttpRequest) -> HttpResponse:
    """Request a change: choose the branch, add or remove, a district, then tick wards and say why.

    Choosing (GET) narrows the list of wards to tick; sending (POST) makes one request per ward."""
    provider_only(request.user)
    branches = Branch.objects.visible_to(request.user).order_by("name")
    data = request.POST if request.method == "POST" else request.GET
    branch = _chosen_branch(branches, data.get("branch"))
    action = data.get("action", "")
    district = data.get("district", "")
    eligible = _eligible_wards(branch, action)
    initial = {"branch": branch, "action": action, "district": district}
    form = WardRequestForm(
        request.POST if request.method == "POST" else None,
        branches=branches,
        wards=eligible,
        initial=initial,
    )
    shown = _shown_wards(eligible, action, district)
    form.fields["wards"].queryset = shown if request.method == "GET" else eligible
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            created = ward_request_create(
                actor=request.user,
                branch=form.cleaned_data["branch"],
                wards=form.cleaned_data["wards"],
                action=form.cleaned_data["action"],
                reason=form.cleaned_data["reason"],
            )
        except WARD_REQUEST_REFUSALS as refused:
            problem = ". ".join(refused.messages)
        else:
            noun = "request" if len(created) == 1 else "requests"
            messages.success(
                request,
                f"{len(created)} {noun} sent to the council's contract managers. Your wards "
                "change when they approve.",
            )
            return redirect("wards:requests")
    form.fields["wards"].queryset = shown  # re-drawn after errors: the chosen district's wards
    context = {
        "form": form,
        "problem": problem,
        "branch": branch,
        "branches": branches,
        "action": action,
        "district": district,
        "districts": _districts(),
        "eligible": shown,
        "chosen": action in WardRequestAction.values and branch is not None,
    }
    return render(request, "wards/request_form.html", context)


def _requests_queryset(user) -> QuerySet[WardRequest]:
    return WardRequest.objects.visible_to(user).select_related(
        "branch__provider", "ward", "requested_by", "decided_by", "version"
    )


def _decide(request: HttpRequest, form: DecisionForm) -> str:
    """Apply a valid decision form; returns a problem for the page, or "" when done."""
    ids = [r.pk for r in form.cleaned_data["requests"]]
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["decision"] == "approve":
            version = ward_requests_approve(actor=request.user, ids=ids, comment=comment)
            published = f" Register v{version.number} is now in force." if version else ""
            messages.success(request, f"{len(ids)} approved.{published}")
        else:
            ward_requests_reject(actor=request.user, ids=ids, comment=comment)
            messages.success(request, f"{len(ids)} rejected. The provider can see your comment.")
    except WARD_REQUEST_REFUSALS as refused:
        return ". ".join(refused.messages)
    return ""


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """Providers: My requests. Council: the queue, where contract managers approve or reject the
    ticked requests in bulk with one comment (one register version for all approved)."""
    user = request.user
    params = request.GET.copy()
    if user.is_council and "status" not in params:
        params["status"] = WardRequestStatus.PENDING
    filterset = WardRequestFilter(params, queryset=_requests_queryset(user))
    may_decide = may_decide_ward_requests(user)
    form, problem = None, ""
    if may_decide:
        data = request.POST if request.method == "POST" else None
        form = DecisionForm(data, choices=WardRequest.objects.visible_to(user))
        if request.method == "POST" and form.is_valid():
            problem = _decide(request, form)
            if not problem:
                return redirect(f"{reverse('wards:requests')}?{request.GET.urlencode()}")
    elif request.method == "POST":
        raise PermissionDenied("Only contract managers decide ward requests.")
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "wards/request_queue.html" if user.is_council else "wards/my_requests.html"
    context = {
        "filter": filterset,
        "page": page,
        "form": form,
        "problem": problem,
        "may_decide": may_decide,
        "params": params,
        "statuses": WardRequestStatus.choices,
        "districts": _districts(),
        "chosen_ids": {str(v) for v in request.POST.getlist("requests")},
    }
    return render(request, template, context)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: what was asked, by whom, why, and the outcome; contract managers decide it
    here, the provider may withdraw it while pending."""
    ward_request = get_object_or_404(_requests_queryset(request.user), pk=pk)
    form, problem = None, ""
    if may_decide_ward_requests(request.user):
        data = request.POST.copy() if request.method == "POST" else None
        if data is not None:
            data.setlist("requests", [str(ward_request.pk)])
        form = DecisionForm(data, choices=WardRequest.objects.visible_to(request.user))
        # Decided by someone else meanwhile: the service says who and when (a clear refusal).
        if data is not None and form.is_valid():
            problem = _decide(request, form)
            if not problem:
                return redirect("wards:request", pk=pk)
            ward_request.refresh_from_db()
    elif request.method == "POST":
        raise PermissionDenied("Only contract managers decide ward requests.")
    covered_by = (
        Coverage.objects.in_force()
        .filter(ward=ward_request.ward)
        .select_related("branch__provider")
        .order_by("branch__provider__name", "branch__name")
        if request.user.is_council
        else None
    )
    context = {"req": ward_request, "form": form, "problem": problem, "covered_by": covered_by}
    return render(request, "wards/request_detail.html", context)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    ward_request = get_object_or_404(WardRequest.objects.visible_to(request.user), pk=pk)
    try:
        ward_request_withdraw(actor=request.user, request=ward_request)
    except WARD_REQUEST_REFUSALS as refused:
        messages.error(request, ". ".join(refused.messages))
    else:
        messages.success(request, f"Request {pk} withdrawn.")
    return redirect("wards:requests")

"""Navigators' pages: the package queue, create and edit, the package page and its actions
(queue, send now, withdraw, shortlist and award, cancel)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import changes
from core.errors import PAGE_ERRORS, add_domain_error, page_refusal
from core.paging import BoundedPaginator, shown_count

from .. import services
from ..capacity import capacity_for_ward
from ..filters import PackageFilter
from ..forms import CancelForm, EndForm, PackageForm, WithdrawForm
from ..hours import hours_history
from ..models import (
    ANSWERS,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
)
from ..permissions import may_act_on_packages
from ..selectors import (
    branches_to_offer,
    package_audit_trail,
    package_status_counts,
    with_offer_counts,
)
from ..wording import hours, send_now_summary
from .common import (
    PAGE_SIZE,
    _mark_deadlines,
    _package_or_404,
    navigators_only,
    package_readers,
)
from .rows import PACKAGE_ROW, package_table_rows

# --- Navigators: the package queue, create and edit ----------------------------------------------

# How long the queue's status counts may be given again while nothing changes (a package's
# status moves with a change, which works them out again at once).
STATUS_COUNTS_SECONDS = 60


@package_readers
def package_list(request: HttpRequest) -> HttpResponse:
    visible = Package.objects.visible_to(request.user)
    packages = visible.select_related("ward").order_by("-created_at", "-id")
    # No parameters at all: unbound, so nothing is validated or filtered (the history's too).
    filterset = PackageFilter(request.GET or None, queryset=packages)

    # Paginate first, then count offers for the page's packages only (issue 13): annotating every
    # package before paginating grouped the whole offers table on each view. The page reads one row
    # more than it shows; the pager and the status links count at most COUNT_CAP + 1 packages each.
    # The status links' counts and the list's own (`shown`, which follows the filters) are the
    # same for every council user (they see every package): worked out once a change for each
    # set of filters (`core.changes.kept`), not once a view.
    def worked_out() -> dict[str, int]:
        return package_status_counts(visible, filterset.qs)

    if request.user.is_council:
        key = f"package-status-counts:{_filters_key(request)}"
        counts = dict(changes.kept(key, worked_out, STATUS_COUNTS_SECONDS))
    else:
        counts = worked_out()
    paginator = BoundedPaginator(filterset.qs, PAGE_SIZE, values=PACKAGE_ROW)
    paginator.count = counts.pop("shown")
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = package_table_rows(with_offer_counts(page.object_list))
    status_counts = [(s.value, s.label, shown_count(counts[s.value])) for s in PackageStatus]
    return render(
        request,
        "brokerage/package_list.html",
        {
            "filter": filterset,
            "page": page,
            "status_counts": status_counts,
            "uncovered_count": counts["uncovered"],
            "uncovered_shown": shown_count(counts["uncovered"]),
            "can_act": may_act_on_packages(request.user),
        },
    )


def _filters_key(request: HttpRequest) -> str:
    """The list's filters as a short key: every parameter but the page, in a fixed order."""
    query = sorted((name, values) for name, values in request.GET.lists() if name != "page")
    return hashlib.sha256(urlencode(query, doseq=True).encode()).hexdigest()[:32]


@navigators_only
def package_create(request: HttpRequest) -> HttpResponse:
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            package = services.package_create(actor=request.user, **form.package_fields())
        except PAGE_ERRORS as exc:
            _add_model_errors(form, exc)
        else:
            return _after_save(request, package, request.POST.get("action", "draft"))
    return render(request, "brokerage/package_form.html", {"form": form, "package": None})


def _add_model_errors(form: PackageForm, exc: Exception) -> None:
    """Show what the model refused (validated again inside the service) against its field, or
    above the form. An IntegrityError here is a reference taken at the same moment."""
    if isinstance(exc, IntegrityError):
        form.add_error("reference", "A package with this reference already exists")
        return
    add_domain_error(form, exc)


def _after_save(request: HttpRequest, package: Package, action: str) -> HttpResponse:
    """Queue or send a package just saved, as the button pressed asked, then show it."""
    if action == "queue":
        return _run_and_redirect(
            request,
            package,
            lambda: services.package_queue(actor=request.user, package=package),
            f"Package {package.reference} saved and queued for the next distribution",
        )
    if action == "send":
        messages.success(
            request,
            f"Package {package.reference} saved as a draft. Check where it goes, then send it.",
        )
        return redirect("brokerage:package-send-now", pk=package.pk)
    messages.success(request, f"Package {package.reference} saved as a draft")
    return redirect("brokerage:package", pk=package.pk)


@navigators_only
def package_edit(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package_or_404(request, pk)
    if package.status not in {PackageStatus.DRAFT, PackageStatus.QUEUED}:
        messages.error(
            request,
            f"Package {package.reference} has been sent to providers and can no longer be edited.",
        )
        return redirect("brokerage:package", pk=package.pk)
    form = PackageForm(request.POST or None, instance=package)
    if request.method == "POST" and form.is_valid():
        try:
            services.package_update(actor=request.user, package=package, **form.package_fields())
        except services.BrokerageError as exc:
            messages.error(request, str(exc))
        except PAGE_ERRORS as exc:
            _add_model_errors(form, exc)
            return render(
                request, "brokerage/package_form.html", {"form": form, "package": package}
            )
        else:
            messages.success(request, f"Package {package.reference} updated")
        return redirect("brokerage:package", pk=package.pk)
    return render(request, "brokerage/package_form.html", {"form": form, "package": package})


# --- Navigators: the package page and its actions ---------------------------------------------


def _package_page(request: HttpRequest, package: Package, problem: str = "") -> HttpResponse:
    offers = list(
        package.offers.select_related("branch", "provider").order_by(
            "provider__name", "branch__name"
        )
    )
    # The current provider: the award of the latest round (L4); an earlier round's stays listed.
    awarded = max(
        (o for o in offers if o.outcome == Outcome.AWARDED), key=lambda o: o.round, default=None
    )
    answered = sum(1 for o in offers if o.placement_response in ANSWERS)
    made = sum(1 for o in offers if o.placement_response == PlacementResponse.OFFER_MADE)
    return render(
        request,
        "brokerage/package_detail.html",
        {
            "package": package,
            "offers": _mark_deadlines(offers, timezone.now()),
            "awarded": awarded,
            "answered_count": answered,
            "made_count": made,
            "events": package_audit_trail(package, offers),
            "hours_history": hours_history(package) if package.awarded_at else [],
            "capacity": capacity_for_ward(package.ward),  # P12: who declared no capacity
            "can_act": may_act_on_packages(request.user),
            "problem": problem,
        },
    )


@package_readers
def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _package_page(request, _package_or_404(request, pk))


def _run_and_redirect(
    request: HttpRequest, package: Package, action: Callable, success: str
) -> HttpResponse:
    """Run a service; on success say so and redirect (POST-redirect-GET), else show why not."""
    try:
        action()
    except PAGE_ERRORS as exc:
        package.refresh_from_db()
        return _package_page(request, package, problem=page_refusal(None, exc))
    messages.success(request, success)
    return redirect("brokerage:package", pk=package.pk)


@require_POST
@navigators_only
def package_queue(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package_or_404(request, pk)
    return _run_and_redirect(
        request,
        package,
        lambda: services.package_queue(actor=request.user, package=package),
        f"Package {package.reference} queued for the next distribution",
    )


def _send_now(request: HttpRequest, package: Package) -> HttpResponse:
    try:
        result = services.package_send_now(actor=request.user, package=package)
    except PAGE_ERRORS as exc:
        package.refresh_from_db()
        return _package_page(request, package, problem=page_refusal(None, exc))
    summary = send_now_summary(package.reference, result, verb="sent")
    (messages.warning if result.emails_waiting else messages.success)(request, summary)
    return redirect("brokerage:package", pk=package.pk)


@navigators_only
def package_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what sending now will do, the branches it goes to (L2's confirmation for send now,
    P3, P4). POST (the confirmation's button): send."""
    package = _package_or_404(request, pk)
    if request.method == "POST":
        return _send_now(request, package)
    return render(
        request,
        "brokerage/package_send_now.html",
        {
            "package": package,
            "sendable": package.status in {PackageStatus.DRAFT, PackageStatus.QUEUED},
            "branches": list(branches_to_offer(package)),
        },
    )


def _form_action(
    request: HttpRequest,
    package: Package,
    form,
    *,
    template: str,
    run: Callable[[dict], object],
    success: Callable[[], str],
    context: dict | None = None,
) -> HttpResponse:
    """A package action behind a form (withdraw, cancel, end): on a valid POST run the service
    with the form's data and go back to the package saying `success()`; a refusal shows on the
    form (field messages in its error summary) or above it."""
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except PAGE_ERRORS as exc:
            problem = page_refusal(form, exc)
        else:
            messages.success(request, success())
            return redirect("brokerage:package", pk=package.pk)
    return render(
        request,
        template,
        {"package": package, "form": form, "problem": problem, **(context or {})},
    )


@navigators_only
def package_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package_or_404(request, pk)
    return _form_action(
        request,
        package,
        WithdrawForm(request.POST or None),
        template="brokerage/package_withdraw.html",
        run=lambda data: services.package_withdraw(
            actor=request.user, package=package, reason=data["reason"]
        ),
        success=lambda: f"Package {package.reference} withdrawn",
    )


@navigators_only
def package_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an awarded package with a date and reason; shows the provider's claim (L3)."""
    package = _package_or_404(request, pk)

    def cancelled() -> str:
        package.refresh_from_db()
        return (
            f"Package {package.reference} cancelled. "
            f"The provider may claim {hours(package.claim_hours)}."
        )

    return _form_action(
        request,
        package,
        CancelForm(request.POST or None),
        template="brokerage/package_cancel.html",
        run=lambda data: services.package_cancel(actor=request.user, package=package, **data),
        success=cancelled,
        context={
            "awarded": package.awarded_offer,
            "claim_after_acceptance": services.cancellation_claim_hours(package, doorstep=False),
            "claim_doorstep": services.cancellation_claim_hours(package, doorstep=True),
        },
    )


@navigators_only
def package_end(request: HttpRequest, pk: int) -> HttpResponse:
    """P2: end an awarded package whose care finished as planned: a date and a reason, no claim."""
    package = _package_or_404(request, pk)
    form = EndForm(request.POST or None)
    return _form_action(
        request,
        package,
        form,
        template="brokerage/package_end.html",
        run=lambda data: services.package_end(actor=request.user, package=package, **data),
        success=lambda: (
            f"Package {package.reference} ended. Its hours leave the commissioned total "
            f"from {form.cleaned_data['ended_on']:%-d %B %Y}."
        ),
        context={"awarded": package.awarded_offer},
    )

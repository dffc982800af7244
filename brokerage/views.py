"""Brokerage pages: the navigators' package queue, package pages and award; the providers' offers
inbox, offer page with its respond form, history and e-mails.

Every lookup goes through `visible_to` (A1): a provider asking for another's offer gets 404.
Council-only pages answer 403 to provider users; answering an offer is for provider users only.
Every change goes through `services`; a state that forbids it is shown as an error, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.models import AuditEvent, PortalSettings
from providers.models import Branch, Role

from . import services
from .api import NAVIGATORS, PACKAGE_READERS, get_offer_or_404, offer_queryset
from .exports import history_csv_response
from .filters import OfferFilter, PackageFilter
from .forms import AwardForm, CancelForm, PackageForm, RespondForm, WithdrawForm
from .models import (
    ANSWERS,
    Notification,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
)
from .selectors import shortlist

PAGE_SIZE = 50
RACE_MESSAGE = (
    "Someone else changed this package at the same moment. Reload the page and try again."
)


# --- Who may do what -----------------------------------------------------------------------------


def _role_required(*roles: str, write: bool = False) -> Callable:
    """Signed-in users with one of `roles` (administrators always); others get 403.

    With `write=False`, package readers may GET but only `roles` may POST.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            allowed = roles if write or request.method == "POST" else PACKAGE_READERS
            if not request.user.has_role(*allowed):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


package_readers = _role_required(*NAVIGATORS)
navigators_only = _role_required(*NAVIGATORS, write=True)


def _package_or_404(request: HttpRequest, pk: int) -> Package:
    return get_object_or_404(
        Package.objects.visible_to(request.user).select_related("ward", "created_by"), pk=pk
    )


# --- Time left before a deadline ---------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def time_left(deadline: datetime, now: datetime) -> str:
    """'2 days 3 hours left', '5 hours 10 minutes left', '12 minutes left' or 'Deadline passed'."""
    seconds = int((deadline - now).total_seconds())
    if seconds <= 0:
        return "Deadline passed"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = max(rest // 60, 1) if not (days or hours) else rest // 60
    if days:
        parts = [_plural(days, "day")] + ([_plural(hours, "hour")] if hours else [])
    elif hours:
        parts = [_plural(hours, "hour")] + ([_plural(minutes, "minute")] if minutes else [])
    else:
        parts = [_plural(minutes, "minute")]
    return " ".join(parts) + " left"


def _mark_deadlines(offers, now: datetime, warning: int | None = None) -> list[Offer]:
    """Give each offer `time_left`, `answerable` and `deadline_soon` (under `warning` seconds
    left, by default the deadline warning setting)."""
    if warning is None:
        warning = PortalSettings.load().deadline_warning_hours * 3600
    offers = list(offers)
    for offer in offers:
        offer.time_left = time_left(offer.deadline, now)
        remaining = (offer.deadline - now).total_seconds()
        offer.deadline_soon = 0 < remaining < warning
        offer.answerable = offer.outcome == Outcome.OPEN and remaining > 0
    return offers


# --- Navigators: the package queue, create and edit ----------------------------------------------


@package_readers
def package_list(request: HttpRequest) -> HttpResponse:
    visible = Package.objects.visible_to(request.user)
    packages = (
        visible.select_related("ward")
        .order_by("-created_at", "-id")
        .annotate(
            offers_sent=Count("offers"),
            offers_made=Count(
                "offers", filter=Q(offers__placement_response=PlacementResponse.OFFER_MADE)
            ),
        )
    )
    filterset = PackageFilter(request.GET, queryset=packages)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = visible.aggregate(
        **{s.value: Count("id", filter=Q(status=s)) for s in PackageStatus},
        uncovered=Count("id", filter=Q(status=PackageStatus.QUEUED, uncovered_at__isnull=False)),
    )
    status_counts = [(s.value, s.label, counts[s.value]) for s in PackageStatus]
    return render(
        request,
        "brokerage/package_list.html",
        {
            "filter": filterset,
            "page": page,
            "status_counts": status_counts,
            "uncovered_count": counts["uncovered"],
            "can_act": request.user.has_role(*NAVIGATORS),
        },
    )


@navigators_only
def package_create(request: HttpRequest) -> HttpResponse:
    form = PackageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            package = services.package_create(actor=request.user, **form.package_fields())
        except (ValidationError, IntegrityError) as exc:
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
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


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
        return _send_now(request, package, saved=True)
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
        except (ValidationError, IntegrityError) as exc:
            _add_model_errors(form, exc)
            return render(
                request, "brokerage/package_form.html", {"form": form, "package": package}
            )
        else:
            messages.success(request, f"Package {package.reference} updated")
        return redirect("brokerage:package", pk=package.pk)
    return render(request, "brokerage/package_form.html", {"form": form, "package": package})


# --- Navigators: the package page and its actions ---------------------------------------------


AUDIT_ACTIONS = {
    "package.create": "Created",
    "package.edit": "Edited",
    "package.queued": "Queued for distribution",
    "package.offered": "Sent to branches",
    "package.withdrawn": "Withdrawn",
    "package.awarded": "Awarded",
    "package.cancelled": "Cancelled",
    "package.ended": "Ended",
    "offer.respond": "Branch answered",
    "offer.award": "Offer awarded",
}


def _changes(before: dict | None, after: dict | None) -> list[str]:
    """'field: old → new' for each value that changed between two audit snapshots."""
    before, after = before or {}, after or {}
    if not before:
        return []

    def shown(value) -> str:
        return "–" if value in (None, "", "None") else str(value)

    return [
        f"{key.replace('_', ' ')}: {shown(before.get(key))} → {shown(after.get(key))}"
        for key in after
        if before.get(key) != after.get(key)
    ]


def _audit_trail(package: Package, offers: list[Offer]) -> list[dict]:
    """The package's own events and those of its offers (answers, award), newest first (I4)."""
    by_id = {str(o.pk): o for o in offers}
    events = AuditEvent.objects.filter(
        Q(object_type="brokerage.package", object_id=str(package.pk))
        | Q(object_type="brokerage.offer", object_id__in=list(by_id))
    ).order_by("-at", "-id")
    return [
        {
            "at": event.at,
            "who": event.actor_label,
            "what": AUDIT_ACTIONS.get(event.action, event.action),
            "offer": by_id.get(event.object_id) if event.object_type == "brokerage.offer" else None,
            "changes": _changes(event.before, event.after),
            "reason": event.reason,
        }
        for event in events
    ]


def _package_page(request: HttpRequest, package: Package, problem: str = "") -> HttpResponse:
    offers = list(
        package.offers.select_related("branch", "provider").order_by(
            "provider__name", "branch__name"
        )
    )
    awarded = next((o for o in offers if o.outcome == Outcome.AWARDED), None)
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
            "events": _audit_trail(package, offers),
            "can_act": request.user.has_role(*NAVIGATORS),
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
    except services.BrokerageError as exc:
        package.refresh_from_db()
        return _package_page(request, package, problem=str(exc))
    except IntegrityError:
        package.refresh_from_db()
        return _package_page(request, package, problem=RACE_MESSAGE)
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


def _send_now(request: HttpRequest, package: Package, *, saved: bool = False) -> HttpResponse:
    try:
        result = services.package_send_now(actor=request.user, package=package)
    except services.BrokerageError as exc:
        if saved:
            messages.warning(request, f"Package {package.reference} saved, but not sent: {exc}")
            return redirect("brokerage:package", pk=package.pk)
        package.refresh_from_db()
        return _package_page(request, package, problem=str(exc))
    verb = "saved and sent" if saved else "sent"
    messages.success(
        request,
        f"Package {package.reference} {verb} to {_count(result.offers, 'branch', 'branches')}",
    )
    return redirect("brokerage:package", pk=package.pk)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@require_POST
@navigators_only
def package_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    return _send_now(request, _package_or_404(request, pk))


@navigators_only
def package_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    package = _package_or_404(request, pk)
    form = WithdrawForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.package_withdraw(
                actor=request.user, package=package, reason=form.cleaned_data["reason"]
            )
        except services.BrokerageError as exc:
            problem = str(exc)
        except services.InvalidResponse as exc:
            for message in exc.errors.get("reason", []):
                form.add_error("reason", message)
        else:
            messages.success(request, f"Package {package.reference} withdrawn")
            return redirect("brokerage:package", pk=package.pk)
    return render(
        request,
        "brokerage/package_withdraw.html",
        {"package": package, "form": form, "problem": problem},
    )


def _shortlist_rows(package: Package) -> list[dict]:
    """The shortlist with each score part laid out for the page: name, score, weight, details."""
    rows = shortlist(package)
    for row in rows:
        row["outcome_label"] = Outcome(row["outcome"]).label
        row["parts_shown"] = [
            {
                "name": name.replace("_", " ").capitalize(),
                "score": part.get("score"),
                "weight": part.get("weight"),
                "details": [
                    (key.replace("_", " ").capitalize(), value)
                    for key, value in part.items()
                    if key not in {"score", "weight"}
                ],
            }
            for name, part in row["parts"].items()
        ]
    return rows


@navigators_only
def package_award(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the shortlist (L1). POST: award the offer whose button was pressed (L2)."""
    package = _package_or_404(request, pk)
    form = AwardForm(request.POST or None)
    problem = ""
    if request.method == "POST":
        problem = _award(request, package, form)
        if not problem:
            awarded = package.awarded_offer
            messages.success(
                request,
                f"Package {package.reference} awarded to {awarded.provider.name} ({awarded.branch.name} branch)",
            )
            return redirect("brokerage:package", pk=package.pk)
    offers = package.offers.all()
    return render(
        request,
        "brokerage/package_award.html",
        {
            "package": package,
            "rows": _shortlist_rows(package),
            "form": form,
            "problem": problem,
            "awardable": package.status == PackageStatus.OFFERED,
            "waiting_count": offers.filter(
                placement_response__isnull=True, outcome=Outcome.OPEN
            ).count(),
        },
    )


def _award(request: HttpRequest, package: Package, form: AwardForm) -> str:
    """Award as the form asks; returns the problem to show, or '' when awarded."""
    if not form.is_valid():
        return "Choose the offer to award"
    offer = package.offers.filter(pk=form.cleaned_data["offer"]).first()
    if offer is None:
        return "That offer is not for this package"
    try:
        services.package_award(
            actor=request.user,
            package=package,
            offer=offer,
            feedback=form.cleaned_data["feedback"],
        )
    except services.BrokerageError as exc:
        return str(exc)
    except services.InvalidResponse as exc:
        return " ".join(m for messages_ in exc.errors.values() for m in messages_)
    except IntegrityError:
        return RACE_MESSAGE
    return ""


@navigators_only
def package_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an awarded package with a date and reason; shows the provider's claim (L3)."""
    package = _package_or_404(request, pk)
    form = CancelForm(request.POST or None)
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.package_cancel(actor=request.user, package=package, **form.cleaned_data)
        except services.BrokerageError as exc:
            problem = str(exc)
        except services.InvalidResponse as exc:
            for field, errors in exc.errors.items():
                for message in errors:
                    form.add_error("on" if field == "date" else field, message)
        else:
            package.refresh_from_db()
            messages.success(
                request,
                f"Package {package.reference} cancelled. The provider may claim {package.claim_hours} hours.",
            )
            return redirect("brokerage:package", pk=package.pk)
    return render(
        request,
        "brokerage/package_cancel.html",
        {
            "package": package,
            "form": form,
            "problem": problem,
            "awarded": package.awarded_offer,
            "claim_after_acceptance": services.cancellation_claim_hours(package, doorstep=False),
            "claim_doorstep": services.cancellation_claim_hours(package, doorstep=True),
        },
    )


# --- Providers: inbox, offer page, history ---------------------------------------------------


def _branch_choices(user) -> list[Branch]:
    """Branches an organisation user may pick from; others see none (a branch user has one,
    council users type a branch reference)."""
    if user.role != Role.PROVIDER_ORG:
        return []
    return list(Branch.objects.visible_to(user).order_by("name"))


@login_required
def offer_inbox(request: HttpRequest) -> HttpResponse:
    """Offers still open: awaiting an answer first (soonest deadline first), then answered ones."""
    now = timezone.now()
    filterset = OfferFilter(request.GET, queryset=offer_queryset(request.user))
    open_offers = filterset.qs.filter(outcome=Outcome.OPEN).order_by("deadline", "id")
    warning = PortalSettings.load().deadline_warning_hours * 3600
    waiting = _mark_deadlines(
        open_offers.filter(placement_response__isnull=True, deadline__gt=now), now, warning
    )
    answered = _mark_deadlines(open_offers.filter(placement_response__in=ANSWERS), now, warning)
    return render(
        request,
        "brokerage/offer_inbox.html",
        {
            "filter": filterset,
            "waiting": waiting,
            "answered": answered,
            "soon_count": sum(1 for o in waiting if o.deadline_soon),
            "branches": _branch_choices(request.user),
            "notifications_branch": request.user.branch,
        },
    )


@login_required
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The offer as A3 allows, and the respond form while the window is open (P8)."""
    offer = get_offer_or_404(request.user, pk)  # 404 before 403: not yours is not there (A1)
    now = timezone.now()
    problem = services.response_window_problem(offer, now)
    form = RespondForm(initial=RespondForm.initial_for(offer))
    if request.method == "POST":
        if not request.user.is_provider_user:
            raise PermissionDenied("Only the provider offered the package can answer it.")
        if not problem:
            form = RespondForm(request.POST)
            problem = _respond(request, offer, form)
            if form.is_bound and form.is_valid() and not problem:
                return redirect("brokerage:offer", pk=offer.pk)
        offer.refresh_from_db()
    _mark_deadlines([offer], now)
    return render(
        request,
        "brokerage/offer_detail.html",
        {
            "offer": offer,
            "package": offer.package,
            "form": form,
            "window_closed": services.response_window_problem(offer, now),
            "problem": problem,
            "can_respond": request.user.is_provider_user,
        },
    )


def _respond(request: HttpRequest, offer: Offer, form: RespondForm) -> str:
    """Answer the offer; returns the problem to show ('' when saved or the form has errors)."""
    if not form.is_valid():
        return ""
    try:
        offer = services.offer_respond(actor=request.user, offer=offer, **form.service_kwargs())
    except services.BrokerageError as exc:
        return str(exc)
    except services.InvalidResponse as exc:
        form.add_service_errors(exc.errors)
        return ""
    if offer.placement_response == PlacementResponse.OFFER_MADE:
        detail = f"Offer Made, starting {offer.offered_start_date:%-d %B %Y}"
    else:
        detail = f"Unable to Accept ({offer.get_reason_display().lower()})"
    messages.success(
        request, f"Your answer to package {offer.package.reference} is saved: {detail}"
    )
    return ""


def _history_filter(request: HttpRequest) -> OfferFilter:
    return OfferFilter(
        request.GET, queryset=offer_queryset(request.user).order_by("-sent_at", "-id")
    )


@login_required
def offer_history(request: HttpRequest) -> HttpResponse:
    """Every offer ever made to the user's branches, with placement response and outcome (P9)."""
    filterset = _history_filter(request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "brokerage/offer_history.html",
        {
            "filter": filterset,
            "page": page,
            "branches": _branch_choices(request.user),
            "query": query.urlencode(),
        },
    )


@login_required
def offer_history_csv(request: HttpRequest) -> HttpResponse:
    """The same rows as the history page, all pages, as CSV (I4)."""
    return history_csv_response(_history_filter(request).qs)


@login_required
def branch_notifications(request: HttpRequest, pk: int) -> HttpResponse:
    """The e-mails sent to a branch and how each fared (P7)."""
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("provider"), pk=pk
    )
    notifications = (
        Notification.objects.visible_to(request.user)
        .filter(branch=branch)
        .select_related("offer__package")
        .order_by("-created_at", "-id")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "brokerage/branch_notifications.html", {"branch": branch, "page": page})

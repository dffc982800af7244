"""Providers' pages: the offers inbox, the offer page with its respond form, the history with
its CSV, and the e-mails sent to a branch."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.errors import PAGE_ERRORS, page_refusal
from core.models import PortalSettings
from core.paging import BoundedPaginator, bounded_counts
from notifications.models import Notification
from providers.models import Branch, Role

from .. import services
from ..exports import history_csv_response
from ..filters import OfferFilter
from ..forms import RespondForm
from ..models import (
    ANSWERS,
    Offer,
    PlacementResponse,
)
from ..permissions import may_answer_offers
from ..seen import offer_seen
from ..selectors import (
    get_offer_or_404,
    offer_list_queryset,
    offer_queryset,
    open_offers_of,
    standing_of,
)
from ..standing import standing_rows
from .common import (
    PAGE_SIZE,
    _mark_deadlines,
)
from .rows import (
    answered_table_rows,
    history_table_rows,
    offer_row,
    waiting_table_rows,
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
    # No parameters at all: unbound, so nothing is validated or filtered (`_history_filter`).
    filterset = OfferFilter(request.GET or None, queryset=offer_list_queryset(request.user))
    open_offers = open_offers_of(filterset.qs, request.user)
    warning = PortalSettings.load().deadline_warning_hours * 3600
    # Each list a page at a time (issue 13): a branch with thousands of open offers gets the first
    # PAGE_SIZE of each. The counts are bounded (at most COUNT_CAP + 1 offers each, in one query),
    # so the council's inbox of every open offer in the market counts no more than a branch's.
    waiting_rows = open_offers.filter(placement_response__isnull=True, deadline__gt=now)
    answered_rows = open_offers.filter(placement_response__in=ANSWERS)
    counts = bounded_counts(
        {
            "waiting": waiting_rows,
            "answered": answered_rows,
            "soon": waiting_rows.filter(deadline__lt=now + timedelta(seconds=warning)),
            "in_batches": waiting_rows.filter(batch__isnull=False),
        }
    )
    columns = _columns(request.user)
    show_branch = columns["show_branch"]
    waiting = _page(
        waiting_rows, counts["waiting"], request.GET.get("page"), show_branch=show_branch
    )
    answered = _page(
        answered_rows, counts["answered"], request.GET.get("answered_page"), show_branch=show_branch
    )
    for rows, page in ((waiting_table_rows, waiting), (answered_table_rows, answered)):
        page.object_list = rows(page.object_list, show_branch=show_branch, now=now, warning=warning)
    # L4: a reallocation batch's offers are shown together too, one line per batch with its
    # offers waiting (one grouped query over the offers in batches alone, when there are any).
    batches = (
        list(
            waiting_rows.filter(batch__isnull=False)
            .order_by("batch_id")
            .values("batch_id", "batch__postcode_district")
            .annotate(waiting=Count("id"))
        )
        if counts["in_batches"]
        else []
    )
    return render(
        request,
        "brokerage/offer_inbox.html",
        {
            "filter": filterset,
            "waiting": waiting,
            "answered": answered,
            "soon_count": counts["soon"],
            "branches": _branch_choices(request.user),
            "notifications_branch": request.user.branch,
            "batches": batches,
            **columns,
        },
    )


def _columns(user) -> dict[str, bool]:
    """Whether an offer list shows each row's branch (not to a branch user, who has one) and its
    provider (to the council alone), asked once rather than on every row."""
    return {"show_branch": not user.branch, "show_provider": user.is_council}


def _page(rows, count: int, number, *, show_branch: bool):
    """A page of `rows` (read as `offer_row`) whose bounded count is already known (one query
    gives the inbox's)."""
    paginator = BoundedPaginator(rows, PAGE_SIZE, values=offer_row(show_branch=show_branch))
    paginator.count = count
    return paginator.get_page(number)


@login_required
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The offer as A3 allows, and the respond form while the window is open (P8)."""
    offer = get_offer_or_404(request.user, pk)  # 404 before 403: not yours is not there (A1)
    now = timezone.now()
    offer_seen(offer=offer, actor=request.user, now=now)  # P11: the branch's first look
    # A closed window is no error on its own: the page says so in place of the form. It becomes
    # the error summary's problem (and the title's "Error: ", WCAG 2.4.2) only when an answer is
    # sent after all.
    problem = None
    form = RespondForm(initial=RespondForm.initial_for(offer))
    if request.method == "POST":
        if not may_answer_offers(request.user):
            raise PermissionDenied("Only the provider offered the package can answer it.")
        problem = services.response_window_problem(offer, now)
        if not problem:
            form = RespondForm(request.POST)
            problem = _respond(request, offer, form)
            if form.is_bound and form.is_valid() and not problem:
                return redirect("brokerage:offer", pk=offer.pk)
        offer.refresh_from_db()
    _mark_deadlines([offer], now)
    standing = standing_of(offer)  # L6, after award
    return render(
        request,
        "brokerage/offer_detail.html",
        {
            "offer": offer,
            "package": offer.package,
            "form": form,
            "window_closed": services.response_window_problem(offer, now),
            "problem": problem,
            "can_respond": may_answer_offers(request.user),
            "standing": standing,
            "standing_rows": standing_rows(standing),
        },
    )


def _respond(request: HttpRequest, offer: Offer, form: RespondForm) -> str:
    """Answer the offer; returns the problem to show ('' when saved or the form has errors)."""
    if not form.is_valid():
        return ""
    try:
        offer = services.offer_respond(actor=request.user, offer=offer, **form.service_kwargs())
    except PAGE_ERRORS as exc:
        return page_refusal(form, exc, fields=form.service_error_fields())
    if offer.placement_response == PlacementResponse.OFFER_MADE:
        detail = f"Offer Made, starting {offer.offered_start_date:%-d %B %Y}"
    else:
        detail = f"Unable to Accept ({offer.get_reason_display().lower()})"
    messages.success(
        request, f"Your answer to package {offer.package.reference} is saved: {detail}"
    )
    return ""


def _history_filter(request: HttpRequest, *, rows=offer_list_queryset) -> OfferFilter:
    """The history's filters; with no parameters at all unbound (issue 13: a FilterSet bound to
    nothing still builds and validates its form, about a millisecond a view, to filter nothing)."""
    return OfferFilter(request.GET or None, queryset=rows(request.user).order_by("-sent_at", "-id"))


def _filter_problem(filterset: OfferFilter) -> str:
    """The filters that could not be read ('' if none): `sent_after: Give a UTC offset …`. An
    unreadable filter is left out of the query, and said so rather than silently ignored."""
    if not filterset.is_bound:
        return ""
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())


@login_required
def offer_history(request: HttpRequest) -> HttpResponse:
    """Every offer ever made to the user's branches, with placement response and outcome (P9)."""
    filterset = _history_filter(request)
    problem = _filter_problem(filterset)
    # Never a count of every offer (issue 13): one row more than the page tells whether another
    # follows, and the count stops past COUNT_CAP ("More than 1,000 offers"); the CSV has them all.
    columns = _columns(request.user)
    paginator = BoundedPaginator(filterset.qs, PAGE_SIZE, values=offer_row(**columns))
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = history_table_rows(
        page.object_list,
        show_branch=columns["show_branch"],
        show_provider=columns["show_provider"],
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "brokerage/offer_history.html",
        {
            "filter": filterset,
            "filter_problem": problem,
            "page": page,
            "branches": _branch_choices(request.user),
            "query": query.urlencode(),
            **columns,
        },
    )


@login_required
def offer_history_csv(request: HttpRequest) -> HttpResponse:
    """The same rows as the history page, all pages, as CSV (I4); 400 with a plain sentence for
    a filter that cannot be read, before any row is written."""
    filterset = _history_filter(request, rows=offer_queryset)  # with e-mail state and standing
    problem = _filter_problem(filterset)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    return history_csv_response(filterset.qs)


@login_required
def branch_notifications(request: HttpRequest, pk: int) -> HttpResponse:
    """The e-mails of every kind sent to a branch and how each fared (P7)."""
    branch = get_object_or_404(
        Branch.objects.visible_to(request.user).select_related("provider"), pk=pk
    )
    notifications = (
        Notification.objects.visible_to(request.user)
        .filter(branch=branch)
        .order_by("-created_at", "-id")
    )
    page = BoundedPaginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "brokerage/branch_notifications.html", {"branch": branch, "page": page})

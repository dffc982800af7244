"""Trusted reviews' pages (R1–R3). Reviewers delegate (one package, or all of a provider's due
ones), read the reviews page and sign off; providers see their reviews, overdue first, and complete
the form, seeing the outcome before they submit. Every lookup goes through `visible_to` (A1): a
provider asking for another's review gets 404; reviewer pages answer providers 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from brokerage.models import Package
from brokerage.wording import hours
from core.charts import Bar, hbar_chart
from core.errors import PAGE_ERRORS, page_refusal
from providers.models import Provider

from . import services
from .exports import reviews_csv_response
from .filters import ReviewFilter
from .forms import DelegateDueForm, DelegateForm, ReviewForm
from .models import Review, ReviewOutcome, ReviewStatus
from .permissions import may_complete_reviews, may_delegate_reviews, may_read_reviews
from .selectors import (
    days_between,
    due_by_provider,
    packages_due,
    returned_reviews,
    review_queryset,
    review_summary,
)

PAGE_SIZE = 50
OUTCOME_COLOURS = {
    ReviewOutcome.NO_CHANGE: "#505a5f",
    ReviewOutcome.REDUCTION: "#1d70b8",
    ReviewOutcome.INCREASE: "#00703c",
    ReviewOutcome.REASSESSMENT: "#d4351c",
}


def _allowed(check: Callable) -> Callable:
    """Signed-in users for whom `check(user)` holds; others 403, before any lookup."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


readers = _allowed(may_read_reviews)
reviewers = _allowed(may_delegate_reviews)
council = _allowed(lambda u: u.is_council)
providers_only = _allowed(may_complete_reviews)


def _with_times(reviews) -> list[Review]:
    rows = list(reviews)
    for r in rows:
        r.days_to_submit = days_between(r.delegated_at, r.submitted_at)
        r.days_to_sign_off = days_between(r.submitted_at, r.signed_off_at)
    return rows


def _query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@readers
def review_list(request: HttpRequest) -> HttpResponse:
    """The council's reviews page (counts by outcome, times, medians, chart, filters, CSV), or a
    provider's own reviews with their due dates, overdue first (R1, R3)."""
    today = services.council_today()
    reviews = review_queryset(request.user)
    filterset = ReviewFilter(request.GET, queryset=reviews)
    rows = filterset.qs.overdue_first(today)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "rows": _with_times(page.object_list),
        "today": today,
        "query": _query(request),
        "can_delegate": may_delegate_reviews(request.user),
    }
    if request.user.is_council:
        summary = review_summary(filterset.qs)
        context["summary"] = summary
        context["outcome_rows"] = [
            (o.value, o.label, summary.counts[o.value]) for o in ReviewOutcome
        ]
        context["chart"] = hbar_chart(
            "Reviews by outcome",
            [Bar(o.label, summary.counts[o.value], OUTCOME_COLOURS[o]) for o in ReviewOutcome],
        )
        context["providers"] = (
            Provider.objects.filter(reviews__isnull=False)
            .distinct()
            .order_by("name")
            .values_list("ref", "name")
        )
    return render(request, "reviews/review_list.html", context)


@readers
def review_list_csv(request: HttpRequest) -> HttpResponse:
    """R3: the reviews page's rows, all pages, as CSV, with the same filters."""
    filterset = ReviewFilter(request.GET, queryset=review_queryset(request.user))
    return reviews_csv_response(filterset.qs.order_by("delegated_at", "id"))


@council
def returned_list(request: HttpRequest) -> HttpResponse:
    """R3: reviews returned to adult social care for reassessment, newest first."""
    page = Paginator(returned_reviews(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/returned_list.html", {"page": page})


@reviewers
def due_list(request: HttpRequest) -> HttpResponse:
    """R1: the packages due a review (a year after award or the last review), by provider, each
    provider's with one button, and the oldest packages one by one."""
    today = services.council_today()
    due = packages_due(today)
    page = Paginator(due, PAGE_SIZE).get_page(request.GET.get("page"))
    holders = Provider.objects.in_bulk({p.holder_provider_id for p in page.object_list})
    for package in page.object_list:
        package.holder = holders.get(package.holder_provider_id)
    return render(
        request,
        "reviews/due_list.html",
        {
            "by_provider": due_by_provider(today),
            "page": page,
            "default_due": services.default_due_on(),
            "form": DelegateDueForm(initial={"due_on": services.default_due_on()}),
        },
    )


@reviewers
def delegate(request: HttpRequest) -> HttpResponse:
    """R1: delegate one awarded package's review, by its reference, due on a date."""
    initial = {"package": request.GET.get("package", ""), "due_on": services.default_due_on()}
    form = DelegateForm(request.POST or None, initial=initial)
    problem = ""
    if request.method == "POST" and form.is_valid():
        package = (
            Package.objects.visible_to(request.user)
            .filter(reference__iexact=form.cleaned_data["package"].strip())
            .first()
        )
        if package is None:
            form.add_error("package", "No package has that reference")
        else:
            try:
                review = services.review_delegate(
                    actor=request.user, package=package, due_on=form.cleaned_data["due_on"]
                )
            except PAGE_ERRORS as exc:
                problem = page_refusal(form, exc)
            else:
                messages.success(
                    request,
                    f"Review of package {package.reference} delegated to {review.provider.name} "
                    f"({review.branch.name} branch), due {review.due_on:%-d %B %Y}",
                )
                return redirect("reviews:review", pk=review.pk)
    return render(request, "reviews/delegate.html", {"form": form, "problem": problem})


@require_POST
@reviewers
def delegate_due(request: HttpRequest) -> HttpResponse:
    """R1: delegate every package a provider holds that is due a review."""
    form = DelegateDueForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("reviews:due")
    provider = get_object_or_404(Provider, ref=form.cleaned_data["provider"])
    try:
        reviews = services.review_delegate_due(
            actor=request.user, provider=provider, due_on=form.cleaned_data["due_on"]
        )
    except PAGE_ERRORS as exc:
        messages.error(request, page_refusal(None, exc))
        return redirect("reviews:due")
    n = len(reviews)
    messages.success(
        request,
        f"{n} review{'' if n == 1 else 's'} delegated to {provider.name}, "
        f"due {form.cleaned_data['due_on']:%-d %B %Y}",
    )
    return redirect(f"{reverse('reviews:list')}?provider={provider.ref}&status=delegated")


def _review_or_404(request: HttpRequest, pk: int) -> Review:
    return get_object_or_404(review_queryset(request.user), pk=pk)


def _review_page(request: HttpRequest, review: Review, problem: str = "") -> HttpResponse:
    review.days_to_submit = days_between(review.delegated_at, review.submitted_at)
    review.days_to_sign_off = days_between(review.submitted_at, review.signed_off_at)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "package": review.package,
            "problem": problem,
            "today": services.council_today(),
            "can_sign_off": may_delegate_reviews(request.user)
            and review.status == ReviewStatus.SUBMITTED,
            "can_complete": may_complete_reviews(request.user)
            and review.status == ReviewStatus.DELEGATED,
        },
    )


@readers
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, _review_or_404(request, pk))


@require_POST
@reviewers
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    """R3: sign off a submitted review; a reduction or an increase changes the package's hours."""
    review = _review_or_404(request, pk)
    try:
        review = services.review_sign_off(actor=request.user, review=review)
    except PAGE_ERRORS as exc:
        review.refresh_from_db()
        return _review_page(request, review, problem=page_refusal(None, exc))
    changed = review.outcome in (ReviewOutcome.REDUCTION, ReviewOutcome.INCREASE)
    messages.success(
        request,
        f"Review of package {review.package.reference} signed off"
        + (f": its hours are now {hours(review.proposed_hours)} a week" if changed else ""),
    )
    return redirect("reviews:review", pk=review.pk)


@providers_only
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    """R2: the review form. "Continue" checks the answers and shows what submitting will do (the
    outcome and why); "Submit" submits; "Change" goes back to the form with the answers kept."""
    review = _review_or_404(request, pk)
    if review.status != ReviewStatus.DELEGATED:
        messages.info(request, "This review has already been submitted.")
        return redirect("reviews:review", pk=review.pk)
    initial = {"current_hours": review.package.hours_per_week}
    form = ReviewForm(request.POST or None, initial=initial)
    action = request.POST.get("action", "check")
    problem = ""
    if request.method == "POST" and form.is_valid():
        try:
            answers = services.review_answers(review, **form.cleaned_data)
            if action == "submit":
                services.review_submit(actor=request.user, review=review, answers=answers)
        except PAGE_ERRORS as exc:
            problem = page_refusal(form, exc)
        else:
            if action == "submit":
                messages.success(request, _submitted_message(review))
                return redirect("reviews:review", pk=review.pk)
            if action == "check":
                return render(
                    request,
                    "reviews/review_check.html",
                    {"review": review, "form": form, "answers": answers},
                )
    return render(
        request, "reviews/review_form.html", {"review": review, "form": form, "problem": problem}
    )


def _submitted_message(review: Review) -> str:
    review.refresh_from_db()
    if review.status == ReviewStatus.RETURNED:
        return (
            f"Review of package {review.package.reference} submitted and returned to adult "
            "social care for reassessment"
        )
    return f"Review of package {review.package.reference} submitted to the council for sign-off"

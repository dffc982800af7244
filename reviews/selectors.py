"""Reads of trusted reviews shaped for the pages, the API and the CSV (R1, R3): which packages are
due a review, the reviews a user may see, and the reviews page's counts, times and medians."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from brokerage.models import Package, PackageStatus
from brokerage.selectors import with_holder
from providers.models import Provider, User

from .models import OPEN_STATUSES, Review, ReviewOutcome, ReviewStatus

DONE = (ReviewStatus.SIGNED_OFF, ReviewStatus.RETURNED)
DAY = 86400


def year_before(day: date) -> date:
    """The same day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def packages_due(today: date, provider: Provider | None = None) -> QuerySet[Package]:
    """R1: awarded packages due a review on `today`: a year or more since their award or their
    last finished review (signed off or returned), with no review open. Annotated with the holder
    (`holder_provider_id`, `holder_branch_id`) and `last_reviewed_at`; oldest first."""
    finished = Review.objects.filter(package=OuterRef("pk"), status__in=DONE).order_by()
    last = finished.values("package").annotate(at=Max(Coalesce("signed_off_at", "submitted_at")))
    open_review = Review.objects.filter(package=OuterRef("pk"), status__in=OPEN_STATUSES)
    zone = timezone.get_default_timezone()
    cutoff = datetime.combine(year_before(today) + timedelta(days=1), time.min, tzinfo=zone)
    packages = (
        with_holder(Package.objects.filter(status=PackageStatus.AWARDED))
        .annotate(last_reviewed_at=Subquery(last.values("at")[:1]))
        .annotate(base=Coalesce("last_reviewed_at", "awarded_at"))
        .filter(base__lt=cutoff)
        .exclude(Exists(open_review))
    )
    if provider is not None:
        packages = packages.filter(holder_provider_id=provider.pk)
    return packages.select_related("ward").order_by("base", "id")


def due_by_provider(today: date) -> list[dict]:
    """R1: how many packages each provider holds that are due a review, most first (one query
    for the counts, one for the providers)."""
    counts = dict(
        packages_due(today)
        .order_by()
        .values_list("holder_provider_id")
        .annotate(n=Count("id"))
        .values_list("holder_provider_id", "n")
    )
    providers = Provider.objects.in_bulk([pk for pk in counts if pk])
    rows = [{"provider": providers[pk], "count": n} for pk, n in counts.items() if pk in providers]
    return sorted(rows, key=lambda r: (-r["count"], r["provider"].name))


def review_queryset(user: User) -> QuerySet[Review]:
    """The reviews `user` may see (A1), with what every list shows of them."""
    return Review.objects.visible_to(user).select_related(
        "package__ward", "provider", "branch", "delegated_by", "submitted_by", "signed_off_by"
    )


def days_between(start: datetime | None, end: datetime | None) -> float | None:
    """Days (to one decimal) from `start` to `end`; None unless both happened."""
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / DAY, 1)


@dataclass
class Summary:
    counts: dict[str, int]
    median_days_to_submit: float | None
    median_days_to_sign_off: float | None
    total: int
    awaiting_provider: int
    awaiting_sign_off: int


def review_summary(reviews: QuerySet[Review]) -> Summary:
    """R3: counts by outcome (every outcome, zero when none), and the median days from delegation
    to submission and from submission to sign-off. Two queries whatever the number of reviews."""
    counts = reviews.order_by().aggregate(
        total=Count("id"),
        awaiting_provider=Count("id", filter=Q(status=ReviewStatus.DELEGATED)),
        awaiting_sign_off=Count("id", filter=Q(status=ReviewStatus.SUBMITTED)),
        **{o.value: Count("id", filter=Q(outcome=o.value)) for o in ReviewOutcome},
    )
    times = list(
        reviews.order_by()
        .filter(submitted_at__isnull=False)
        .values_list("delegated_at", "submitted_at", "signed_off_at")
    )
    to_submit = [days_between(d, s) for d, s, _ in times]
    to_sign = [days_between(s, o) for _, s, o in times if o is not None]
    return Summary(
        counts={o.value: counts[o.value] for o in ReviewOutcome},
        median_days_to_submit=round(median(to_submit), 1) if to_submit else None,
        median_days_to_sign_off=round(median(to_sign), 1) if to_sign else None,
        total=counts["total"],
        awaiting_provider=counts["awaiting_provider"],
        awaiting_sign_off=counts["awaiting_sign_off"],
    )


def returned_reviews(user: User) -> QuerySet[Review]:
    """R3: reviews returned to adult social care for reassessment, newest first."""
    return review_queryset(user).filter(status=ReviewStatus.RETURNED).order_by("-submitted_at")


def reviews_open_for(user: User, today: date) -> QuerySet[Review]:
    """R1: a provider's reviews still to complete, overdue first, then by due date."""
    return review_queryset(user).filter(status=ReviewStatus.DELEGATED).overdue_first(today)

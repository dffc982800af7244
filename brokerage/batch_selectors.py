"""Reads for reallocation batches (L4) and widening (L5): the packages a navigator may move, each
batch's per-package progress, a branch's view of a batch, and the packages hard to place. Each is
a fixed number of grouped queries, whatever the number of packages or offers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, F, Min, Q, QuerySet

from providers.models import Provider, User

from .models import (
    ANSWERS,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
    ReallocationBatch,
)

MOVABLE_LIMIT = 500
HARD_TO_PLACE_AFTER = timedelta(days=1)


def movable_packages(*, provider: Provider | None = None, query: str = "") -> QuerySet[Package]:
    """Awarded packages a navigator may put in a batch: those whose current award is `provider`'s,
    and/or matching `query` (reference, postcode or ward name)."""
    packages = Package.objects.filter(status=PackageStatus.AWARDED)
    if provider is not None:
        packages = packages.filter(
            offers__outcome=Outcome.AWARDED,
            offers__round=F("round"),
            offers__provider=provider,
        )
    query = query.strip()
    if query:
        packages = packages.filter(
            Q(reference__icontains=query)
            | Q(postcode__istartswith=query)
            | Q(ward__name__icontains=query)
            | Q(ward__code__iexact=query)
        )
    return packages.select_related("ward").order_by("postcode", "reference")


def batch_progress(batch: ReallocationBatch) -> list[dict]:
    """Per package of the batch: offers made in its batch round, answers, offers made, and the
    branch it was awarded to (three queries)."""
    packages = list(batch.packages.select_related("ward").order_by("reference"))
    counts = {
        row["package_id"]: row
        for row in Offer.objects.filter(batch=batch)
        .order_by()
        .values("package_id")
        .annotate(
            offers=Count("id"),
            answered=Count("id", filter=Q(placement_response__in=ANSWERS)),
            made=Count("id", filter=Q(placement_response=PlacementResponse.OFFER_MADE)),
        )
    }
    awarded = {
        o.package_id: o
        for o in Offer.objects.filter(batch=batch, outcome=Outcome.AWARDED).select_related(
            "provider", "branch"
        )
    }
    empty = {"offers": 0, "answered": 0, "made": 0}
    return [
        {"package": p, **counts.get(p.pk, empty), "awarded": awarded.get(p.pk)} for p in packages
    ]


def batch_offers_for(user: User, batch: ReallocationBatch) -> QuerySet[Offer]:
    """The batch's offers `user` may see (A1): a branch its own, an organisation its branches'."""
    return (
        Offer.objects.visible_to(user)
        .filter(batch=batch)
        .select_related("package__ward", "branch", "provider")
        .order_by("package__reference", "branch__name")
    )


def hard_to_place(now: datetime) -> QuerySet[Package]:
    """L5: offered packages whose current round went out over a day ago with no Offer Made yet."""
    this_round = Q(offers__round=F("round"))
    return (
        Package.objects.filter(status=PackageStatus.OFFERED)
        .annotate(
            first_sent=Min("offers__sent_at", filter=this_round),
            offers_sent=Count("offers", filter=this_round),
            answered=Count("offers", filter=this_round & Q(offers__placement_response__in=ANSWERS)),
            made=Count(
                "offers",
                filter=this_round & Q(offers__placement_response=PlacementResponse.OFFER_MADE),
            ),
        )
        .filter(made=0)
        .filter(
            Q(first_sent__lte=now - HARD_TO_PLACE_AFTER)
            | Q(first_sent__isnull=True, distributed_at__lte=now - HARD_TO_PLACE_AFTER)
        )
        .select_related("ward")
        .order_by("first_sent", "reference")
    )

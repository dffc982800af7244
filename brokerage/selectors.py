"""Reads that are more than a filter."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from providers.models import User

from .models import Offer, Outcome, Package, PlacementResponse
from .notifications import with_email_state

FULL_MARKS_WITHIN_DAYS = 0
ZERO_MARKS_AFTER_DAYS = 28


def _start_score(package: Package, offer: Offer) -> tuple[float, int]:
    days_late = max((offer.offered_start_date - package.start_date).days, 0)
    return max(0.0, 1 - days_late / ZERO_MARKS_AFTER_DAYS), days_late


def shortlist(package: Package) -> list[dict]:
    """The offers made for `package`, best first: for now, earliest start first (L1 simple form).

    Each entry shows the parts of its score, so the ranking can be checked.
    """
    offers = (
        Offer.objects.filter(package=package, placement_response=PlacementResponse.OFFER_MADE)
        .exclude(outcome=Outcome.WITHDRAWN)
        .select_related("provider", "branch")
        .order_by("offered_start_date", "responded_at", "id")
    )
    rows = []
    for offer in offers:
        score, days_late = _start_score(package, offer)
        rows.append(
            {
                "offer": offer.pk,
                "provider": {"ref": offer.provider.ref, "name": offer.provider.name},
                "branch": {"ref": offer.branch.ref, "name": offer.branch.name},
                "offered_start_date": offer.offered_start_date,
                "note": offer.note,
                "outcome": offer.outcome,
                "score": round(score, 3),
                "parts": {
                    "start": {
                        "days_after_wanted_start": days_late,
                        "score": round(score, 3),
                        "weight": 1.0,
                    }
                },
            }
        )
    return rows


def offer_queryset(user: User) -> QuerySet[Offer]:
    """The offers `user` may see (A1), with what every offer list and page shows of them."""
    offers = Offer.objects.visible_to(user).select_related("package__ward", "provider", "branch")
    return with_email_state(offers)


def get_offer_or_404(user: User, pk: int) -> Offer:
    """One offer `user` may see; Http404 when it is not there or not theirs (A1)."""
    return get_object_or_404(offer_queryset(user), pk=pk)

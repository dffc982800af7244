"""The award through the decision matrix (L1, L2, L6): the shortlist is ranked under the package's
row lock, awarding any offer but the top-ranked one needs a reason, and every ranked offer keeps
where it stood (rank, of, score, parts) for the branches to see after award."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from brokerage.models import Offer, Outcome, Package, PackageStatus
from brokerage.services import InvalidResponse, package_award
from providers.models import User
from reviews.services import reviews_follow_holder

from .matrix import shortlist

REASON_NEEDED = (
    "Say why you are awarding this offer rather than the top-ranked one. The other branches see it."
)


def standings_of(ranked) -> dict[int, dict]:
    """{offer id: {rank, of, score, parts}} for every ranked offer (L6)."""
    return {
        row.offer_id: {"rank": row.rank, "of": len(ranked), "score": row.score, "parts": row.parts}
        for row in ranked
    }


def top_open(ranked):
    """The best-ranked offer still open: the one an award needs no reason for."""
    return next((row for row in ranked if row.offer.outcome == Outcome.OPEN), None)


@transaction.atomic
def award(
    *,
    actor: User,
    package: Package,
    offer: Offer,
    feedback: str = "",
    reason: str = "",
    now: datetime | None = None,
) -> Offer:
    """Award `offer` (L2) after ranking the shortlist under the package's row lock (L1). Raises
    InvalidResponse (field `reason`) for an offer other than the top-ranked one without a reason;
    brokerage's `package_award` refuses the rest (state, a second award)."""
    package = Package.objects.select_for_update().get(pk=package.pk)
    ranked = shortlist(package, now=now) if package.status == PackageStatus.OFFERED else []
    top = top_open(ranked)
    chosen_is_ranked = any(row.offer_id == offer.pk for row in ranked)
    if top and chosen_is_ranked and top.offer_id != offer.pk and not reason.strip():
        raise InvalidResponse({"reason": [REASON_NEEDED]})
    awarded = package_award(
        actor=actor,
        package=package,
        offer=offer,
        feedback=feedback,
        reason=reason if top is None or top.offer_id != offer.pk else "",
        standings=standings_of(ranked),
        now=now,
    )
    reviews_follow_holder(actor=actor, package=package, now=now)  # L4: a moved package's review
    return awarded

"""A package awarded and after (L2, L3, P2): the award, exactly once, to one provider's offer; the
cancellation with its claim (a `Claim` row to the provider holding it); the natural end."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from notifications.models import NotificationKind
from providers.models import User

from .. import counts, holdings
from ..models import (
    ANSWERS,
    Claim,
    ClaimKind,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
)
from ..notifications import notify_offers
from .transitions import (
    BrokerageError,
    InvalidResponse,
    close_unanswered,
    council_date,
    lock_package,
    move_package,
    settle_offers,
)


@transaction.atomic
@counts.deferred()  # its offers' counts moved once, in key order (issue 13)
def package_award(
    *,
    actor: User,
    package: Package,
    offer: Offer,
    feedback: str = "",
    reason: str = "",
    standings: dict[int, dict] | None = None,
    now: datetime | None = None,
) -> Offer:
    """Award the package to one offer, exactly once even under concurrent tries (L2).

    The package row lock serialises awards; the partial unique index on awarded offers (one per
    package and round) is the backstop. Every other offer becomes Not Awarded, and responders not
    chosen see `feedback` and the navigator's `reason` for passing over the top-ranked offer.
    `standings` ({offer id: {rank, of, score, parts}}, from the decision matrix in `allocation`)
    is written onto the ranked offers so each branch later sees where it stood (L6).
    """
    now = now or timezone.now()
    package = lock_package(package)
    if package.status != PackageStatus.OFFERED:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; it cannot be awarded."
        )
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.package_id != package.pk or offer.round != package.round:
        raise InvalidResponse({"offer": ["That offer is not for this package."]})
    if offer.placement_response != PlacementResponse.OFFER_MADE or offer.outcome != Outcome.OPEN:
        raise InvalidResponse(
            {"offer": ["Only an open offer where the branch made an offer can be awarded."]}
        )
    with holdings.moving([package.pk]):  # L1: its hours to the provider awarded (issue 10)
        move_package(
            package,
            to=PackageStatus.AWARDED,
            allowed={PackageStatus.OFFERED},
            actor=actor,
            awarded_at=now,
        )
        offer.outcome = Outcome.AWARDED
        offer.closed_at = now
        offer.award_reason = reason.strip()
        offer.save(update_fields=["outcome", "closed_at", "award_reason"])
    _record_standings(package, standings or {})
    close_unanswered(package, actor=actor, now=now)
    losers = package.offers.filter(outcome=Outcome.OPEN, round=package.round).exclude(pk=offer.pk)
    # Responders not chosen see the navigator's feedback (L2); the others just close.
    told = settle_offers(
        losers.filter(placement_response__in=ANSWERS),
        actor=actor,
        action="offer.not_awarded",
        reason=feedback,
        outcome=Outcome.NOT_AWARDED,
        closed_at=now,
        feedback=feedback.strip(),
        award_reason=reason.strip(),
    )
    settle_offers(
        losers,
        actor=actor,
        action="offer.not_awarded",
        outcome=Outcome.NOT_AWARDED,
        closed_at=now,
        award_reason=reason.strip(),
    )
    audit_record(
        actor=actor,
        action="offer.award",
        obj=offer,
        after={
            "package": package.reference,
            "branch": offer.branch_id,
            "round": offer.round,
            "rank": (standings or {}).get(offer.pk, {}).get("rank"),
            "feedback": feedback.strip(),
        },
        reason=reason.strip() or feedback,
    )
    notify_offers([offer.pk], NotificationKind.AWARDED)
    notify_offers(told, NotificationKind.NOT_AWARDED)
    return offer


def _record_standings(package: Package, standings: dict[int, dict]) -> None:
    """L6: write each ranked offer's rank, of, score and parts (offers of this round only)."""
    if not standings:
        return
    offers = list(Offer.objects.filter(package=package, round=package.round, pk__in=standings))
    for ranked in offers:
        standing = standings[ranked.pk]
        ranked.rank = standing["rank"]
        ranked.ranked_of = standing["of"]
        ranked.score = Decimal(str(round(standing["score"], 4)))
        ranked.parts = standing["parts"]
    Offer.objects.bulk_update(offers, ["rank", "ranked_of", "score", "parts"])


CANCELLATION_CLAIM_DAYS = Decimal(3)
ASSESSMENT_HOUR = Decimal(1)


def cancellation_claim_hours(package: Package, *, doorstep: bool) -> Decimal:
    """L3: three days of the package's hours after acceptance; the assessment hour on the doorstep."""
    if doorstep:
        return ASSESSMENT_HOUR
    return (package.hours_per_week * CANCELLATION_CLAIM_DAYS / Decimal(7)).quantize(Decimal("0.01"))


@transaction.atomic
def package_cancel(
    *,
    actor: User,
    package: Package,
    reason: str,
    cancelled_on: date,
    doorstep: bool = False,
    now: datetime | None = None,
) -> Package:
    """Cancel an awarded package with a date and reason; records the provider's claim (L3).

    Raises InvalidResponse (field `cancelled_on`) for a date before the day it was awarded.
    """
    errors = {}
    if not reason.strip():
        errors["reason"] = ["Say why the package is cancelled."]
    if cancelled_on is None:
        errors["cancelled_on"] = ["Give the date the package was cancelled."]
    if errors:
        raise InvalidResponse(errors)
    package = lock_package(package)
    if package.status == PackageStatus.AWARDED:
        _dated_after_award(package, cancelled_on, "cancelled_on", "was cancelled")
    now = now or timezone.now()
    package = move_package(
        package,
        to=PackageStatus.CANCELLED,
        allowed={PackageStatus.AWARDED},
        actor=actor,
        reason=reason,
        cancelled_at=now,
        cancelled_on=cancelled_on,
        cancel_reason=reason,
        cancelled_on_doorstep=doorstep,
        claim_hours=cancellation_claim_hours(package, doorstep=doorstep),
    )
    _record_claim(package, doorstep=doorstep, now=now)
    return package


def _record_claim(package: Package, *, doorstep: bool, now: datetime) -> Claim | None:
    """L3: the claim of the provider holding the package (its latest award), listed for it and
    for the council. None when no offer was awarded (a package moved in by hand)."""
    holder = package.awarded_offer
    if holder is None:
        return None
    return Claim.objects.create(
        package=package,
        provider_id=holder.provider_id,
        branch_id=holder.branch_id,
        kind=ClaimKind.ASSESSMENT if doorstep else ClaimKind.CANCELLATION,
        hours=package.claim_hours,
        cancelled_on=package.cancelled_on,
        created_at=now,
    )


def _dated_after_award(package: Package, day: date, field: str, what: str) -> None:
    """Raise InvalidResponse on `field` when `day` is before the day the package was awarded (L3)."""
    awarded_on = council_date(package.awarded_at) if package.awarded_at else None
    if awarded_on and day < awarded_on:
        raise InvalidResponse(
            {
                field: [
                    f"The date the package {what} must be the same as or after "
                    f"{awarded_on:%-d %B %Y}, when it was awarded"
                ]
            }
        )


@transaction.atomic
def package_end(
    *,
    actor: User,
    package: Package,
    reason: str,
    ended_on: date | None,
    now: datetime | None = None,
) -> Package:
    """P2: an awarded package's care finished as planned on `ended_on`, for `reason`. No claim; its
    hours leave the commissioned total from that day. Raises InvalidResponse (fields `reason`,
    `ended_on`) for no reason, or a day before the award or after today; BrokerageError unless
    the package is awarded."""
    now = now or timezone.now()
    errors = {}
    if not (reason or "").strip():
        errors["reason"] = ["Say why the package ended"]
    if ended_on is None:
        errors["ended_on"] = ["Enter the date the package ended"]
    elif ended_on > council_date(now):
        errors["ended_on"] = ["The date the package ended must be today or in the past"]
    if errors:
        raise InvalidResponse(errors)
    package = lock_package(package)
    if package.status == PackageStatus.AWARDED:
        _dated_after_award(package, ended_on, "ended_on", "ended")
    return move_package(
        package,
        to=PackageStatus.ENDED,
        allowed={PackageStatus.AWARDED},
        actor=actor,
        reason=reason.strip(),
        ended_at=now,
        ended_on=ended_on,
        end_reason=reason.strip(),
    )

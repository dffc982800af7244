"""Every write to packages and offers (STYLE 1): each owns its transaction, writes the audit trail,
and schedules its e-mails after commit."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.audit import audit_bulk, audit_record
from core.errors import InvalidInput, StateConflict
from notifications.models import NotificationKind
from providers.models import Branch
from wards.models import Coverage

from .distribution import distribute_packages
from .models import (
    ANSWERS,
    DeclineReason,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
)
from .notifications import notify_offers


class BrokerageError(StateConflict):
    """The package's or offer's state forbids this (the API answers 409 with this message)."""


class InvalidResponse(InvalidInput, ValueError):
    """A response with missing or wrong fields; `errors` maps field to messages (API 400)."""


PACKAGE_FIELDS = (
    "reference",
    "ward_id",
    "postcode",
    "service_level",
    "hours_per_week",
    "call_pattern",
    "carer_gender",
    "urgency",
    "start_date",
    "needs_summary",
    "person_name",
    "address",
    "full_details",
)


def _snapshot(package: Package) -> dict:
    return {
        "status": package.status,
        **{
            f: str(getattr(package, f))
            for f in PACKAGE_FIELDS
            if f not in {"address", "full_details"}
        },
    }


def council_date(moment: datetime) -> date:
    """The calendar day `moment` falls on for the council (Europe/London, the default time zone),
    whatever time zone is active: 23:30 UTC in summer is already the next day there."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def _locked(package: Package) -> Package:
    """Re-read the package under a row lock: the decision that follows reads then writes (STYLE 5)."""
    return Package.objects.select_for_update().get(pk=package.pk)


def _move(
    package: Package, *, to: str, allowed: set[str], actor, reason: str = "", **changes
) -> Package:
    if package.status not in allowed:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; "
            f"it cannot become {PackageStatus(to).label.lower()}."
        )
    before = _snapshot(package)
    package.status = to
    for field, value in changes.items():
        setattr(package, field, value)
    package.save()
    audit_record(
        actor=actor,
        action=f"package.{to}",
        obj=package,
        before=before,
        after=_snapshot(package),
        reason=reason,
    )
    return package


@transaction.atomic
def package_create(*, actor, **fields) -> Package:
    """Create a draft package (P1). Fields are already validated by the form or serializer."""
    package = Package(created_by=actor, status=PackageStatus.DRAFT, **fields)
    package.full_clean()
    package.save()
    audit_record(actor=actor, action="package.create", obj=package, after=_snapshot(package))
    return package


@transaction.atomic
def package_update(*, actor, package: Package, **fields) -> Package:
    """Edit a package while it is still a draft or queued (not yet sent to anyone)."""
    package = _locked(package)
    if package.status not in {PackageStatus.DRAFT, PackageStatus.QUEUED}:
        raise BrokerageError(
            f"Package {package.reference} has been sent to providers and can no longer be edited."
        )
    before = _snapshot(package)
    for field, value in fields.items():
        setattr(package, field, value)
    package.full_clean()
    package.save()
    audit_record(
        actor=actor, action="package.edit", obj=package, before=before, after=_snapshot(package)
    )
    return package


@transaction.atomic
def package_queue(*, actor, package: Package, now: datetime | None = None) -> Package:
    """Queue a draft for the next daily distribution (P2, P3)."""
    package = _locked(package)
    return _move(
        package,
        to=PackageStatus.QUEUED,
        allowed={PackageStatus.DRAFT},
        actor=actor,
        queued_at=now or timezone.now(),
    )


def _has_receiving_branch(package: Package) -> bool:
    """Whether any branch would be offered this package now (P4)."""
    covering = Coverage.objects.in_force().filter(ward_id=package.ward_id).values("branch_id")
    return Branch.objects.receiving_offers().filter(pk__in=covering).exists()


def package_send_now(*, actor, package: Package, now: datetime | None = None):
    """Distribute one draft or queued package at once, e.g. an urgent one (P3).

    Refuses, changing nothing, when no active branch covers the ward. Returns the distribution result.
    """
    now = now or timezone.now()
    with transaction.atomic():
        package = _locked(package)
        if package.status not in {PackageStatus.DRAFT, PackageStatus.QUEUED}:
            raise BrokerageError(
                f"Package {package.reference} is {package.get_status_display().lower()}; only a draft or queued package can be sent."
            )
        if not _has_receiving_branch(package):
            raise BrokerageError(
                f"No active branch covers ward {package.ward.code} ({package.ward.name}), so the package cannot be sent."
            )
        if package.status == PackageStatus.DRAFT:
            _move(
                package,
                to=PackageStatus.QUEUED,
                allowed={PackageStatus.DRAFT},
                actor=actor,
                queued_at=now,
            )
    return distribute_packages(as_of=now, source="send_now", package_ids=[package.pk], actor=actor)


def _settle(
    offers, *, actor, action: str, reason: str = "", skip_locked: bool = False, **changes
) -> list[int]:
    """Apply `changes` to these offers under row locks, auditing each with its before and after
    (I4). Returns the ids changed; with `skip_locked`, rows another worker holds are left to it."""
    rows = list(
        offers.select_for_update(skip_locked=skip_locked).values_list(
            "pk", "placement_response", "outcome"
        )
    )
    if not rows:
        return []
    ids = [pk for pk, _, _ in rows]
    Offer.objects.filter(pk__in=ids).update(**changes)
    after = {k: v for k, v in changes.items() if k in {"placement_response", "outcome", "feedback"}}
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, response, outcome in rows:
        groups[(response, outcome)].append(pk)
    for (response, outcome), pks in groups.items():
        before = {"placement_response": response, "outcome": outcome}
        audit_bulk(
            actor=actor,
            action=action,
            model=Offer,
            ids=pks,
            before=before,
            after=after,
            reason=reason,
        )
    return ids


def _close_unanswered(package: Package, *, actor, now: datetime) -> None:
    """On award or withdrawal: unanswered offers before their deadline become Closed Before
    Response; past their deadline, No Response (P9)."""
    offers = package.offers.filter(placement_response__isnull=True)
    _settle(
        offers.filter(deadline__gt=now),
        actor=actor,
        action="offer.closed_before_response",
        placement_response=PlacementResponse.CLOSED_BEFORE_RESPONSE,
        closed_at=now,
    )
    _settle(
        offers.filter(deadline__lte=now),
        actor=actor,
        action="offer.no_response",
        placement_response=PlacementResponse.NO_RESPONSE,
        closed_at=now,
    )


@transaction.atomic
def package_withdraw(
    *, actor, package: Package, reason: str, now: datetime | None = None
) -> Package:
    """Withdraw before award: care no longer needed (L3). Open offers become Withdrawn."""
    if not reason.strip():
        raise InvalidResponse({"reason": ["Say why the package is withdrawn."]})
    now = now or timezone.now()
    package = _locked(package)
    allowed = {PackageStatus.DRAFT, PackageStatus.QUEUED, PackageStatus.OFFERED}
    _move(
        package,
        to=PackageStatus.WITHDRAWN,
        allowed=allowed,
        actor=actor,
        reason=reason,
        withdrawn_at=now,
        withdrawn_reason=reason,
    )
    _close_unanswered(package, actor=actor, now=now)
    told = list(
        package.offers.filter(outcome=Outcome.OPEN, placement_response__in=ANSWERS).values_list(
            "pk", flat=True
        )
    )
    _settle(
        package.offers.filter(outcome=Outcome.OPEN),
        actor=actor,
        action="offer.withdrawn",
        reason=reason,
        outcome=Outcome.WITHDRAWN,
        closed_at=now,
    )
    notify_offers(told, NotificationKind.WITHDRAWN)
    return package


@transaction.atomic
def package_award(
    *, actor, package: Package, offer: Offer, feedback: str = "", now: datetime | None = None
) -> Offer:
    """Award the package to one offer, exactly once even under concurrent tries (L2).

    The package row lock serialises awards; the partial unique index on awarded offers is the
    backstop. Every other offer becomes Not Awarded, and responders not chosen see `feedback`.
    """
    now = now or timezone.now()
    package = _locked(package)
    if package.status != PackageStatus.OFFERED:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; it cannot be awarded."
        )
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.package_id != package.pk:
        raise InvalidResponse({"offer": ["That offer is not for this package."]})
    if offer.placement_response != PlacementResponse.OFFER_MADE or offer.outcome != Outcome.OPEN:
        raise InvalidResponse(
            {"offer": ["Only an open offer where the branch made an offer can be awarded."]}
        )
    _move(
        package,
        to=PackageStatus.AWARDED,
        allowed={PackageStatus.OFFERED},
        actor=actor,
        awarded_at=now,
    )
    offer.outcome = Outcome.AWARDED
    offer.closed_at = now
    offer.save(update_fields=["outcome", "closed_at"])
    _close_unanswered(package, actor=actor, now=now)
    losers = package.offers.filter(outcome=Outcome.OPEN).exclude(pk=offer.pk)
    # Responders not chosen see the navigator's feedback (L2); the others just close.
    told = _settle(
        losers.filter(placement_response__in=ANSWERS),
        actor=actor,
        action="offer.not_awarded",
        reason=feedback,
        outcome=Outcome.NOT_AWARDED,
        closed_at=now,
        feedback=feedback.strip(),
    )
    _settle(
        losers, actor=actor, action="offer.not_awarded", outcome=Outcome.NOT_AWARDED, closed_at=now
    )
    audit_record(
        actor=actor,
        action="offer.award",
        obj=offer,
        after={"package": package.reference, "branch": offer.branch_id},
        reason=feedback,
    )
    notify_offers([offer.pk], NotificationKind.AWARDED)
    notify_offers(told, NotificationKind.NOT_AWARDED)
    return offer


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
    actor,
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
    package = _locked(package)
    awarded_on = council_date(package.awarded_at) if package.awarded_at else None
    if package.status == PackageStatus.AWARDED and awarded_on and cancelled_on < awarded_on:
        raise InvalidResponse(
            {
                "cancelled_on": [
                    "The date the package was cancelled must be the same as or after "
                    f"{awarded_on:%-d %B %Y}, when it was awarded"
                ]
            }
        )
    return _move(
        package,
        to=PackageStatus.CANCELLED,
        allowed={PackageStatus.AWARDED},
        actor=actor,
        reason=reason,
        cancelled_at=now or timezone.now(),
        cancelled_on=cancelled_on,
        cancel_reason=reason,
        cancelled_on_doorstep=doorstep,
        claim_hours=cancellation_claim_hours(package, doorstep=doorstep),
    )


@transaction.atomic
def package_end(*, actor, package: Package, reason: str = "") -> Package:
    """An awarded package comes to its natural end (P2)."""
    package = _locked(package)
    return _move(
        package, to=PackageStatus.ENDED, allowed={PackageStatus.AWARDED}, actor=actor, reason=reason
    )


def response_window_problem(offer: Offer, now: datetime) -> str | None:
    """Why this offer can no longer be answered, or None while its window is open (P8)."""
    if offer.outcome == Outcome.AWARDED:
        return "This package has been awarded to you; your answer can no longer change."
    if offer.outcome == Outcome.NOT_AWARDED:
        return "This package has been awarded to another provider, so it can no longer be answered."
    if offer.outcome == Outcome.WITHDRAWN:
        return "This package was withdrawn by the council, so it can no longer be answered."
    if (
        offer.placement_response
        in {PlacementResponse.NO_RESPONSE, PlacementResponse.CLOSED_BEFORE_RESPONSE}
        or now >= offer.deadline
    ):
        local = timezone.localtime(offer.deadline)
        return f"The deadline to answer passed at {local:%H:%M on %-d %B %Y}, so this offer can no longer be answered."
    return None


def _check_response(
    response: str, start_date, reason: str, note: str, *, today: date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if response == PlacementResponse.OFFER_MADE:
        if start_date is None:
            errors["start_date"] = ["Give the date you can start."]
        elif start_date < today:
            # L1: a start in the past would outrank every honest offer on the start part.
            errors["start_date"] = ["The date you can start must be today or in the future"]
    elif response == PlacementResponse.UNABLE_TO_ACCEPT:
        if reason not in DeclineReason.values:
            errors["reason"] = [f"Choose a reason: {', '.join(DeclineReason.values)}."]
        elif reason == DeclineReason.OTHER and not note.strip():
            errors["note"] = ["Say what the other reason is."]
    else:
        errors["response"] = ["Answer offer_made or unable_to_accept."]
    return errors


@transaction.atomic
def offer_respond(
    *,
    actor,
    offer: Offer,
    response: str,
    start_date: date | None = None,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Offer:
    """Answer an offer, or change the answer, while its window is open (P8).

    Raises InvalidResponse for missing fields or an Offer Made start date before today (L1), and
    BrokerageError once the window has closed.
    """
    now = now or timezone.now()
    # "Today" is the council's day (Europe/London), not UTC's: at 00:30 BST it is already tomorrow.
    errors = _check_response(response, start_date, reason, note, today=council_date(now))
    if errors:
        raise InvalidResponse(errors)
    offer = Offer.objects.select_for_update().select_related("package").get(pk=offer.pk)
    problem = response_window_problem(offer, now)
    if problem:
        raise BrokerageError(problem)
    before = {
        "placement_response": offer.placement_response,
        "start_date": str(offer.offered_start_date),
        "reason": offer.reason,
        "note": offer.note,
    }
    offer.placement_response = response
    offer.offered_start_date = start_date if response == PlacementResponse.OFFER_MADE else None
    offer.reason = reason if response == PlacementResponse.UNABLE_TO_ACCEPT else ""
    offer.note = note.strip()
    offer.responded_at = now
    offer.responded_by = actor
    offer.save()
    after = {
        "placement_response": offer.placement_response,
        "start_date": str(offer.offered_start_date),
        "reason": offer.reason,
        "note": offer.note,
    }
    audit_record(actor=actor, action="offer.respond", obj=offer, before=before, after=after)
    return offer


def offers_close_expired(*, as_of: datetime) -> int:
    """Offers whose deadline passed by `as_of` with no answer become No Response (P6, P9).

    Rows are claimed with SKIP LOCKED: running twice, or on two workers at once, changes (and
    audits) each offer once.
    """
    with transaction.atomic():
        expired = Offer.objects.filter(
            placement_response__isnull=True, outcome=Outcome.OPEN, deadline__lte=as_of
        )
        changed = _settle(
            expired,
            actor=None,
            action="offer.no_response",
            skip_locked=True,
            placement_response=PlacementResponse.NO_RESPONSE,
            closed_at=as_of,
        )
    return len(changed)

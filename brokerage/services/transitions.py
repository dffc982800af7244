"""The steps every package and offer write shares: the errors they raise, the row lock, the audited
move of a package from one status to the next, and the audited settling of its offers. Only the
services modules beside this one call these; everything else calls the services."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone

from core.audit import audit_bulk, audit_record
from core.errors import InvalidInput, StateConflict
from providers.models import User

from .. import counts, holdings
from ..models import Offer, Package, PackageStatus, PlacementResponse


class BrokerageError(StateConflict):
    """The package's or offer's state forbids this (the API answers 409 with this message)."""


class InvalidResponse(InvalidInput, ValueError):
    """A response with missing or wrong fields; `errors` maps field to messages (API 400)."""


def snapshot(package: Package) -> dict:
    """The package's status and fields for the audit trail, without the address and full details."""
    columns = (Package._meta.get_field(f).attname for f in Package.WRITABLE_FIELDS)  # ward_id
    return {
        "status": package.status,
        **{c: str(getattr(package, c)) for c in columns if c not in {"address", "full_details"}},
    }


def council_date(moment: datetime) -> date:
    """The calendar day `moment` falls on for the council (Europe/London, the default time zone),
    whatever time zone is active: 23:30 UTC in summer is already the next day there."""
    return timezone.localdate(moment, timezone.get_default_timezone())


def lock_package(package: Package) -> Package:
    """Re-read the package under a row lock: the decision that follows reads then writes (STYLE 5)."""
    return Package.objects.select_for_update().get(pk=package.pk)


def move_package(
    package: Package,
    *,
    to: str,
    allowed: set[str],
    actor: User | None,
    reason: str = "",
    **changes,
) -> Package:
    """Move the package to status `to` with `changes`, audited; raises BrokerageError unless its
    status is one of `allowed`. Returns the saved package."""
    if package.status not in allowed:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; "
            f"it cannot become {PackageStatus(to).label.lower()}."
        )
    before = snapshot(package)
    package.status = to
    for field, value in changes.items():
        setattr(package, field, value)
    with holdings.moving([package.pk]):  # L1: the hours its provider holds (issue 10)
        package.save()
    audit_record(
        actor=actor,
        action=f"package.{to}",
        obj=package,
        before=before,
        after=snapshot(package),
        reason=reason,
    )
    return package


def settle_offers(
    offers: QuerySet[Offer],
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    skip_locked: bool = False,
    **changes,
) -> list[int]:
    """Apply `changes` to these offers under row locks, auditing each with its before and after
    (I4). Returns the ids changed; with `skip_locked`, rows another worker holds are left to it."""
    rows = list(
        counts.state_rows(
            offers.select_for_update(skip_locked=skip_locked, of=("self",)),
            "pk",
            "placement_response",
            "outcome",
        )
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    Offer.objects.filter(pk__in=ids).update(**changes)
    before = [row[3:] for row in rows]
    counts.shift(before, [counts.changed(state, changes) for state in before])
    after = {
        k: v
        for k, v in changes.items()
        if k in {"placement_response", "outcome", "feedback", "award_reason"}
    }
    groups: dict[tuple, list[int]] = defaultdict(list)
    for pk, response, outcome, *_ in rows:
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


def close_unanswered(package: Package, *, actor: User | None, now: datetime) -> None:
    """On award or withdrawal: unanswered offers before their deadline become Closed Before
    Response; past their deadline, No Response (P9)."""
    offers = package.offers.filter(placement_response__isnull=True, round=package.round)
    settle_offers(
        offers.filter(deadline__gt=now),
        actor=actor,
        action="offer.closed_before_response",
        placement_response=PlacementResponse.CLOSED_BEFORE_RESPONSE,
        closed_at=now,
    )
    settle_offers(
        offers.filter(deadline__lte=now),
        actor=actor,
        action="offer.no_response",
        placement_response=PlacementResponse.NO_RESPONSE,
        closed_at=now,
    )

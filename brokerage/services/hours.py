"""R3: a package's weekly hours change after award, with history (old, new, from which day, when,
why, and what made the change). The one writer of `Package.hours_per_week` after award."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.audit import audit_record
from providers.models import User

from .. import holdings
from ..models import HoursChange, Package, PackageStatus
from .transitions import BrokerageError, InvalidResponse, council_date, lock_package

MAX_HOURS = Decimal("168")


@transaction.atomic
def package_hours_change(
    *,
    actor: User | None,
    package: Package,
    hours: Decimal,
    reason: str,
    source: models.Model | None = None,
    now: datetime | None = None,
    effective_from: date | None = None,
) -> HoursChange:
    """Set an awarded package's weekly hours to `hours` from `effective_from` (by default the day
    of `now`, Europe/London), recording the change and auditing it. `source` (a signed-off review)
    may change the hours once (a unique constraint). Raises InvalidResponse (field `hours`) for
    hours outside 0–168, BrokerageError unless the package is awarded."""
    now = now or timezone.now()
    if hours is None or hours < 0 or hours > MAX_HOURS:
        raise InvalidResponse({"hours": ["Hours of care a week must be between 0 and 168"]})
    package = lock_package(package)
    if package.status != PackageStatus.AWARDED:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; "
            "only an awarded package's hours can change."
        )
    old = package.hours_per_week
    change = HoursChange.objects.create(
        package=package,
        old_hours=old,
        new_hours=hours,
        effective_from=effective_from or council_date(now),
        changed_at=now,
        changed_by=actor,
        reason=reason,
        source_type=ContentType.objects.get_for_model(source) if source is not None else None,
        source_id=source.pk if source is not None else None,
    )
    package.hours_per_week = hours
    with holdings.moving([package.pk]):  # L1: the hours its provider holds (issue 10)
        package.save(update_fields=["hours_per_week"])
    audit_record(
        actor=actor,
        action="package.hours",
        obj=package,
        before={"hours_per_week": str(old)},
        after={"hours_per_week": str(hours)},
        reason=reason,
    )
    return change

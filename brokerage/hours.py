"""Reads of a package's weekly hours over time (R3, P2, K8): which packages are in force at a
moment, the hours in force on a day, and the history shown on the package page and by
`GET /packages/{id}/hours/`. Written only by `services.package_hours_change`."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import DecimalField, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from .models import HoursChange, Package
from .services.transitions import council_date


def in_force(moment: datetime) -> Q:
    """Packages whose care runs at `moment`: awarded by then, not cancelled by then, and not ended
    on or before that day (P2: an ended package's hours leave the total from its end date)."""
    day = council_date(moment)
    return (
        Q(awarded_at__isnull=False, awarded_at__lte=moment)
        & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=moment))
        & (Q(ended_on__isnull=True) | Q(ended_on__gt=day))
    )


def hours_on(day: date):
    """An expression for a package's weekly hours in force on `day`: the last change from on or
    before it; before the first change, that change's old hours; with no change, its hours now."""
    changes = HoursChange.objects.filter(package=OuterRef("pk")).order_by()
    latest = changes.filter(effective_from__lte=day).order_by(
        "-effective_from", "-changed_at", "-id"
    )
    first = changes.order_by("changed_at", "id")
    out = DecimalField(max_digits=5, decimal_places=2)
    return Coalesce(
        Subquery(latest.values("new_hours")[:1], output_field=out),
        Subquery(first.values("old_hours")[:1], output_field=out),
        F("hours_per_week"),
        output_field=out,
    )


def hours_at(moment: datetime):
    """`hours_on` the day `moment` falls on for the council (Europe/London)."""
    return hours_on(council_date(moment))


def _review_id(change: HoursChange) -> int | None:
    """The review that made the change, if a review did (reviews live above brokerage)."""
    if change.source_type_id is None:
        return None
    ct = ContentType.objects.get_for_id(change.source_type_id)
    return change.source_id if (ct.app_label, ct.model) == ("reviews", "review") else None


def hours_history(package: Package) -> list[dict]:
    """The package's weekly hours over time, oldest first (R3): its hours as awarded, then each
    change, each `{hours_per_week, old_hours, from, changed_at, review, reason, by}`."""
    changes = list(package.hours_changes.select_related("changed_by").order_by("changed_at", "id"))
    first = changes[0].old_hours if changes else package.hours_per_week
    rows = [
        {
            "hours_per_week": first,
            "old_hours": None,
            "from": council_date(package.awarded_at) if package.awarded_at else None,
            "changed_at": package.awarded_at or package.created_at,
            "review": None,
            "reason": "Hours as awarded" if package.awarded_at else "Hours as created",
            "by": "",
        }
    ]
    for change in changes:
        rows.append(
            {
                "hours_per_week": change.new_hours,
                "old_hours": change.old_hours,
                "from": change.effective_from,
                "changed_at": change.changed_at,
                "review": _review_id(change),
                "reason": change.reason,
                "by": change.changed_by.get_username() if change.changed_by else "system",
            }
        )
    return rows

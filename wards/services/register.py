"""Register versions and coverage (W2): every change of coverage publishes a new numbered register
version in the same transaction as the change. The only module that writes Coverage rows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit import audit_record
from providers.models import Branch, User

from ..models import Coverage, RegisterVersion, Ward


def _lock_register() -> int:
    """Serialise register changes and return the current version number.

    Version 0 (the empty register) is the lock row: every change locks it, so two contract managers
    approving at once publish v(n+1) and v(n+2), never two v(n+1).
    """
    try:
        with transaction.atomic():
            RegisterVersion.objects.get_or_create(number=0, defaults={"note": "Empty register"})
    except IntegrityError:
        pass
    RegisterVersion.objects.select_for_update().get(number=0)
    latest = RegisterVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return latest or 0


def register_current_version() -> int:
    """The number of the register version now in force (0 before any)."""
    return RegisterVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0


@transaction.atomic
def register_change(
    *,
    add: Iterable[tuple[Branch, Ward]] = (),
    remove: Iterable[tuple[Branch, Ward]] = (),
    actor: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> RegisterVersion | None:
    """Add and remove branch-ward pairs, publishing one new register version.

    Pairs already in the wanted state are ignored; returns None when nothing changed.
    """
    now = now or timezone.now()
    current = _lock_register()
    number = current + 1
    open_pairs = set(Coverage.objects.in_force().values_list("branch_id", "ward_id"))
    to_add = {(b.pk, w.pk) for b, w in add} - open_pairs
    to_remove = {(b.pk, w.pk) for b, w in remove} & open_pairs
    if not to_add and not to_remove:
        return None
    version = RegisterVersion.objects.create(
        number=number,
        published_by=actor,
        note=note[:500],
        added=len(to_add),
        removed=len(to_remove),
    )
    Coverage.objects.bulk_create(
        Coverage(branch_id=b, ward_id=w, started_at=now, added_in=number) for b, w in sorted(to_add)
    )
    for branch_id, ward_id in to_remove:
        Coverage.objects.filter(branch_id=branch_id, ward_id=ward_id, ended_at__isnull=True).update(
            ended_at=now, removed_in=number
        )
    audit_record(
        actor=actor,
        action="register.publish",
        obj=version,
        before={"version": current},
        after={
            "version": number,
            "added": sorted([list(p) for p in to_add]),
            "removed": sorted([list(p) for p in to_remove]),
        },
        reason=note,
    )
    return version

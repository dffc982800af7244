"""A package before award (P1-P3, L3): create and edit a draft, queue it for the daily
distribution, send it at once, or withdraw it while no one has been chosen."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from notifications.models import NotificationKind
from providers.models import Branch, User
from wards.models import Coverage

from .. import counts
from ..distribution import DistributionResult, distribute_packages
from ..models import ANSWERS, Outcome, Package, PackageStatus
from ..notifications import notify_offers
from .transitions import (
    BrokerageError,
    InvalidResponse,
    close_unanswered,
    lock_package,
    move_package,
    settle_offers,
    snapshot,
)


@transaction.atomic
def package_create(*, actor: User, **fields) -> Package:
    """Create a draft package (P1). Fields are already validated by the form or serializer."""
    package = Package(created_by=actor, status=PackageStatus.DRAFT, **fields)
    package.full_clean()
    package.save()
    audit_record(actor=actor, action="package.create", obj=package, after=snapshot(package))
    return package


@transaction.atomic
def package_update(*, actor: User, package: Package, **fields) -> Package:
    """Edit a package while it is still a draft or queued (not yet sent to anyone)."""
    package = lock_package(package)
    if package.status not in {PackageStatus.DRAFT, PackageStatus.QUEUED}:
        raise BrokerageError(
            f"Package {package.reference} has been sent to providers and can no longer be edited."
        )
    before = snapshot(package)
    for field, value in fields.items():
        setattr(package, field, value)
    package.full_clean()
    package.save()
    audit_record(
        actor=actor, action="package.edit", obj=package, before=before, after=snapshot(package)
    )
    return package


@transaction.atomic
def package_queue(*, actor: User, package: Package, now: datetime | None = None) -> Package:
    """Queue a draft for the next daily distribution (P2, P3)."""
    package = lock_package(package)
    return move_package(
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


def package_send_now(
    *, actor: User, package: Package, now: datetime | None = None
) -> DistributionResult:
    """Distribute one draft or queued package at once, e.g. an urgent one (P3).

    Refuses, changing nothing, when no active branch covers the ward. Returns the distribution result.
    """
    now = now or timezone.now()
    with transaction.atomic():
        package = lock_package(package)
        if package.status not in {PackageStatus.DRAFT, PackageStatus.QUEUED}:
            raise BrokerageError(
                f"Package {package.reference} is {package.get_status_display().lower()}; only a draft or queued package can be sent."
            )
        if not _has_receiving_branch(package):
            raise BrokerageError(
                f"No active branch covers ward {package.ward.code} ({package.ward.name}), so the package cannot be sent."
            )
        if package.status == PackageStatus.DRAFT:
            move_package(
                package,
                to=PackageStatus.QUEUED,
                allowed={PackageStatus.DRAFT},
                actor=actor,
                queued_at=now,
            )
    result = distribute_packages(
        as_of=now, source="send_now", package_ids=[package.pk], actor=actor
    )
    if not result.packages:
        # A scheduled run claimed it first and offered it: say what that run sent.
        package.refresh_from_db(fields=["status", "distributed_at"])
        if package.status == PackageStatus.OFFERED:
            result.offers = package.offers.filter(sent_at=package.distributed_at).count()
    return result


@transaction.atomic
@counts.deferred()  # its offers' counts moved once, in key order (issue 13)
def package_withdraw(
    *, actor: User, package: Package, reason: str, now: datetime | None = None
) -> Package:
    """Withdraw before award: care no longer needed (L3). Open offers become Withdrawn."""
    if not reason.strip():
        raise InvalidResponse({"reason": ["Say why the package is withdrawn."]})
    now = now or timezone.now()
    package = lock_package(package)
    allowed = {PackageStatus.DRAFT, PackageStatus.QUEUED, PackageStatus.OFFERED}
    move_package(
        package,
        to=PackageStatus.WITHDRAWN,
        allowed=allowed,
        actor=actor,
        reason=reason,
        withdrawn_at=now,
        withdrawn_reason=reason,
    )
    close_unanswered(package, actor=actor, now=now)
    told = list(
        package.offers.filter(outcome=Outcome.OPEN, placement_response__in=ANSWERS).values_list(
            "pk", flat=True
        )
    )
    settle_offers(
        package.offers.filter(outcome=Outcome.OPEN),
        actor=actor,
        action="offer.withdrawn",
        reason=reason,
        outcome=Outcome.WITHDRAWN,
        closed_at=now,
    )
    notify_offers(told, NotificationKind.WITHDRAWN)
    return package

"""Reallocation batches (L4): awarded packages that must move (a provider leaves the PDPS or hands
packages back), grouped into one batch per postcode district (and provider moved from), then sent
once: each package starts its next round, offered per P4 to every branch covering its ward except
the provider it moves from, with deadlines and one e-mail per branch per batch listing its
packages. The earlier round stays as it was, its award included."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import changes
from core.audit import audit_bulk, audit_record
from providers.models import User

from .. import holdings
from ..distribution import auto_answer_declared, insert_offers
from ..models import (
    BatchBranch,
    BatchStatus,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    ReallocationBatch,
)
from ..notifications import notify_batch_branches
from .transitions import BrokerageError, InvalidResponse

MAX_PACKAGES = 5000


@transaction.atomic
def batches_create(*, actor: User, package_ids: list[int], reason: str) -> list[ReallocationBatch]:
    """Group awarded packages into one batch per (postcode district, provider moved from). Refuses
    (InvalidResponse, nothing saved) no reason, no packages, a package not awarded, or one already
    in a batch not yet sent."""
    errors: dict[str, list[str]] = {}
    if not reason or not reason.strip():
        errors["reason"] = ["Say why these packages must move, e.g. the provider is leaving."]
    ids = list(dict.fromkeys(int(pk) for pk in package_ids or []))
    if not ids:
        errors["packages"] = ["Choose at least one awarded package to move."]
    elif len(ids) > MAX_PACKAGES:
        errors["packages"] = [f"Choose at most {MAX_PACKAGES} packages at once."]
    if errors:
        raise InvalidResponse(errors)
    packages = list(Package.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    missing = set(ids) - {p.pk for p in packages}
    if missing:
        raise InvalidResponse({"packages": [f"No package with id {min(missing)}."]})
    not_awarded = [p.reference for p in packages if p.status != PackageStatus.AWARDED]
    if not_awarded:
        raise InvalidResponse(
            {"packages": [f"Only awarded packages can move; not {', '.join(not_awarded[:10])}."]}
        )
    pending = list(
        ReallocationBatch.packages.through.objects.filter(
            package_id__in=ids, reallocationbatch__status=BatchStatus.DRAFT
        ).values_list("package__reference", flat=True)
    )
    if pending:
        raise InvalidResponse(
            {"packages": [f"Already in a batch not yet sent: {', '.join(pending[:10])}."]}
        )
    holders = dict(
        Offer.objects.filter(
            package_id__in=ids, outcome=Outcome.AWARDED, round=F("package__round")
        ).values_list("package_id", "provider_id")
    )
    groups: dict[tuple[str, int | None], list[Package]] = defaultdict(list)
    for package in packages:
        groups[(package.postcode_district, holders.get(package.pk))].append(package)
    batches = []
    for (district, provider_id), members in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] or 0)
    ):
        batch = ReallocationBatch.objects.create(
            postcode_district=district,
            reason=reason.strip(),
            from_provider_id=provider_id,
            created_by=actor,
        )
        batch.packages.set(members)
        audit_record(
            actor=actor,
            action="batch.create",
            obj=batch,
            after={
                "postcode_district": district,
                "from_provider": provider_id,
                "packages": [p.reference for p in members],
            },
            reason=batch.reason,
        )
        batches.append(batch)
    return batches


@transaction.atomic
def batch_send(*, actor: User | None, batch: ReallocationBatch, now: datetime | None = None) -> int:
    """Send the batch once (L4): its packages start their next round, offered to every branch P4
    allows except the provider they move from. Returns the number of offers made. A second send
    (or one racing it) is refused with BrokerageError (409): the conditional update of the batch's
    status takes its row lock, so of two at once exactly one sends."""
    now = now or timezone.now()
    claimed = ReallocationBatch.objects.filter(pk=batch.pk, status=BatchStatus.DRAFT).update(
        status=BatchStatus.SENT, sent_at=now, sent_by=actor if getattr(actor, "pk", None) else None
    )
    if not claimed:
        raise BrokerageError(f"Reallocation batch {batch.pk} has already been sent.")
    batch = ReallocationBatch.objects.get(pk=batch.pk)
    packages = list(batch.packages.select_for_update().order_by("pk"))
    moved = [p for p in packages if p.status != PackageStatus.AWARDED]
    if moved:
        raise BrokerageError(
            "Only awarded packages can be sent on; "
            f"{', '.join(p.reference for p in moved[:10])} no longer {'is' if len(moved) == 1 else 'are'}."
        )
    ids = [p.pk for p in packages]
    with holdings.moving(ids):  # L1: the old provider no longer holds them (issue 10)
        Package.objects.filter(pk__in=ids).update(
            status=PackageStatus.OFFERED,
            round=F("round") + 1,
            distributed_at=now,
            uncovered_at=None,
        )
    audit_bulk(
        actor=actor,
        action="package.offered",
        model=Package,
        ids=ids,
        before={"status": "awarded"},
        after={"status": "offered", "batch": batch.pk},
        reason=batch.reason,
    )
    created = insert_offers(
        ids,
        now,
        status=PackageStatus.OFFERED,
        batch_id=batch.pk,
        exclude_provider_id=batch.from_provider_id,
    )
    offered = set(Offer.objects.filter(batch=batch).values_list("package_id", flat=True))
    if Package.objects.filter(pk__in=[pk for pk in ids if pk not in offered]).update(
        uncovered_at=now
    ):
        changes.changed()  # the queue's counts of uncovered packages (an UPDATE: no post_save)
    branch_ids = sorted(set(Offer.objects.filter(batch=batch).values_list("branch_id", flat=True)))
    BatchBranch.objects.bulk_create(
        [BatchBranch(batch=batch, branch_id=pk) for pk in branch_ids], ignore_conflicts=True
    )
    auto_answer_declared(ids, now, actor)
    notify_batch_branches(batch)
    audit_record(
        actor=actor,
        action="batch.send",
        obj=batch,
        after={"packages": len(ids), "offers": created, "branches": len(branch_ids)},
    )
    return created

"""Widening (L5): a package still open is sent on to more wards, neighbouring wards or a whole
district, when too few offers came back. Only branches not yet offered it in this round get an
offer (the (package, branch, round) unique constraint under ON CONFLICT DO NOTHING), each with a
fresh deadline, an e-mail and P12's automatic answer where capacity is declared."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from notifications.models import NotificationKind
from providers.models import User
from wards.models import Ward

from ..distribution import auto_answer_declared, insert_offers
from ..models import Offer, Package, PackageStatus, ReallocationBatch
from ..notifications import notify_offers
from .transitions import BrokerageError, InvalidResponse, lock_package

MAX_WARDS = 500


def wards_from_codes(codes) -> list[Ward]:
    """The wards named by ONS code; InvalidResponse (field `wards`) for none or an unknown one."""
    if isinstance(codes, str) or not isinstance(codes, list | tuple) or not codes:
        raise InvalidResponse({"wards": ["Choose at least one ward to send the package on to."]})
    codes = [str(c).strip().upper() for c in codes]
    if len(codes) > MAX_WARDS:
        raise InvalidResponse({"wards": [f"Choose at most {MAX_WARDS} wards at once."]})
    found = {w.code: w for w in Ward.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise InvalidResponse({"wards": [f"No ward with the code {', '.join(unknown[:5])}."]})
    return list(found.values())


@transaction.atomic
def package_widen(
    *, actor: User | None, package: Package, wards: list[Ward], now: datetime | None = None
) -> int:
    """Offer an offered, unawarded package to the branches covering `wards` that have not been
    offered it in its current round (L5). Returns the number of new offers. Raises BrokerageError
    (409) unless the package is offered."""
    now = now or timezone.now()
    package = lock_package(package)
    if package.status != PackageStatus.OFFERED:
        raise BrokerageError(
            f"Package {package.reference} is {package.get_status_display().lower()}; only an "
            "offered package that is not yet awarded can be sent to more wards."
        )
    if not wards:
        raise InvalidResponse({"wards": ["Choose at least one ward to send the package on to."]})
    this_round = Offer.objects.filter(package=package, round=package.round)
    batch_id = this_round.exclude(batch=None).values_list("batch_id", flat=True).first()
    # A reallocation round (L4) is never offered to the provider the package moves from.
    moving_from = (
        ReallocationBatch.objects.filter(pk=batch_id)
        .values_list("from_provider_id", flat=True)
        .first()
        if batch_id
        else None
    )
    before = set(this_round.values_list("pk", flat=True))
    created = insert_offers(
        [package.pk],
        now,
        status=PackageStatus.OFFERED,
        ward_ids=[w.pk for w in wards],
        batch_id=batch_id,
        exclude_provider_id=moving_from,
    )
    new_ids = sorted(set(this_round.values_list("pk", flat=True)) - before)
    audit_record(
        actor=actor,
        action="package.widened",
        obj=package,
        after={"wards": sorted(w.code for w in wards), "offers": created, "round": package.round},
    )
    if new_ids:
        auto_answer_declared([package.pk], now, actor)
        notify_offers(new_ids, NotificationKind.OFFER)
    return created

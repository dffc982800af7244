"""Demo step: the year of brokerage before the last four weeks, so the quarterly pictures (K1 rates
per quarter, K2 bands, K4 My KPIs, K8 the dashboard) have at least four quarters to show.

The last four weeks go through the services one answer at a time (demo/packages.py). A year of
that would take minutes, so this older history is written set-based, in the final state the
services would have left: each package offered by the distribution's own rule (every active branch
of an active PDPS provider covering its ward, here also only providers who had joined by then),
answered or left to expire by each provider's habit, then awarded to the earliest start offered,
withdrawn or later cancelled, with the e-mails recorded as sent and the moves in the audit trail.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import OutputWrapper
from django.db import connection
from django.db.models import F
from django.utils import timezone

from brokerage import counts, holdings
from brokerage.distribution import deadlines
from brokerage.models import (
    SHORT_TERM_LEVELS,
    DistributionRun,
    Offer,
    Outcome,
    Package,
    PackageStatus,
    PlacementResponse,
    Urgency,
)
from brokerage.services import cancellation_claim_hours
from core.audit import audit_bulk
from notifications.models import Notification, NotificationKind, NotificationState
from providers.models import Branch, PdpsStatus, Role, User
from wards.models import Coverage, Ward

from . import packages as recent

HISTORY_PREFIX = "LCC-HIST-"
HISTORY_DAYS = 400  # back from today: at least four quarters with figures, and care in force
# a year ago (K8 compares commissioned hours now and then)
FEEDBACK = "An earlier start date was offered"
WITHDRAW_REASON = "Care no longer needed: the person went into hospital"
CANCEL_REASON = "Family arranged care privately"
END_REASON = "Care plan completed: the person is independent again"


def _round_up_to_five_minutes(moment: datetime) -> datetime:
    """When the close-expired job (every five minutes) sees an expired offer."""
    extra = (-moment.minute) % 5
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=extra or 5)


def _receivers() -> dict[int, list[tuple[Branch, date]]]:
    """Ward id -> the active branches of active providers covering it, with when each joined."""
    by_ward: dict[int, list[tuple[Branch, date]]] = defaultdict(list)
    in_force = (
        Coverage.objects.in_force()
        .filter(branch__is_active=True, branch__provider__pdps_status=PdpsStatus.ACTIVE)
        .select_related("branch__provider")
        .order_by("ward_id", "branch_id")
    )
    for cover in in_force:
        by_ward[cover.ward_id].append((cover.branch, cover.branch.provider.joined_on))
    return by_ward


class _Planned:
    """One package of the history and what happened to its offers, before anything is saved."""

    def __init__(self, package: Package, slot: datetime, offers: list[Offer]):
        self.package, self.slot, self.offers = package, slot, offers


def _answer(
    rng: random.Random, offer: Offer, keen: float, slot: datetime, settle: datetime
) -> None:
    """As demo/packages.py's answers: most offers answered within 40 hours, a quarter of them Offer
    Made; the rest expire (No Response), or close unanswered when the package is settled first."""
    answered = None
    if rng.random() <= keen:
        answered = min(
            slot + timedelta(hours=rng.uniform(0.5, 40)), offer.deadline - timedelta(minutes=5)
        )
    if answered is not None and answered <= settle:
        offer.responded_at = offer.first_responded_at = answered
        if rng.random() < 0.25:
            offer.placement_response = PlacementResponse.OFFER_MADE
            offer.offered_start_date = offer.package.start_date + timedelta(
                days=rng.choice([0, 0, 1, 3, 7])
            )
            offer.note = rng.choice(["", "We already support two people nearby."])
        else:
            offer.placement_response = PlacementResponse.UNABLE_TO_ACCEPT
            offer.reason = rng.choices(
                ["no_capacity", "call_times", "carer_gender", "out_of_area", "needs"],
                weights=[10, 5, 2, 2, 1],
            )[0]
    elif offer.deadline <= settle:
        offer.placement_response = PlacementResponse.NO_RESPONSE
    else:
        offer.placement_response = PlacementResponse.CLOSED_BEFORE_RESPONSE


def _settle(rng: random.Random, planned: _Planned, settle: datetime) -> None:
    """Award to the earliest start offered (then the earliest answer); withdraw a few, and those
    with no Offer Made; cancel a few awarded ones two days later (L2, L3)."""
    package, offers = planned.package, planned.offers
    made = [o for o in offers if o.placement_response == PlacementResponse.OFFER_MADE]
    made.sort(key=lambda o: (o.offered_start_date, o.responded_at))
    if rng.random() < 0.05 or not made:
        package.status = PackageStatus.WITHDRAWN
        package.withdrawn_at, package.withdrawn_reason = settle, WITHDRAW_REASON
        for offer in offers:
            offer.outcome, offer.closed_at = Outcome.WITHDRAWN, settle
        return
    winner = made[0]
    package.status, package.awarded_at = PackageStatus.AWARDED, settle
    for offer in offers:
        offer.closed_at = settle
        if offer is winner:
            offer.outcome = Outcome.AWARDED
        else:
            offer.outcome = Outcome.NOT_AWARDED
            if offer.responded_at:
                offer.feedback = FEEDBACK
    if rng.random() < 0.04:
        doorstep = rng.random() < 0.5
        package.status = PackageStatus.CANCELLED
        package.cancelled_at = settle + timedelta(days=2)
        package.cancelled_on = timezone.localtime(settle).date() + timedelta(days=2)
        package.cancel_reason, package.cancelled_on_doorstep = CANCEL_REASON, doorstep
        package.claim_hours = cancellation_claim_hours(package, doorstep=doorstep)
    elif package.service_level in SHORT_TERM_LEVELS or rng.random() < 0.1:
        # Short-term care at home lasts a few weeks; some long-term care ends too (P2), on a day
        # after its award and before today, with its reason.
        ended_on = timezone.localtime(settle).date() + timedelta(days=rng.randint(14, 90))
        ended_on = min(ended_on, timezone.localdate() - timedelta(days=1))
        package.status = PackageStatus.ENDED
        package.ended_on = ended_on
        package.ended_at = settle + (ended_on - timezone.localtime(settle).date())
        package.end_reason = END_REASON


def _no_response_closed(offers: list[Offer]) -> None:
    """Expired offers were closed by the five-minute job soon after their deadline."""
    for offer in offers:
        if offer.placement_response == PlacementResponse.NO_RESPONSE and not offer.closed_at:
            offer.closed_at = _round_up_to_five_minutes(offer.deadline)


def load_history(out: OutputWrapper) -> None:
    """A year of brokerage before the last four weeks (offers, answers, awards by quarter)."""
    if Package.objects.filter(reference__startswith=HISTORY_PREFIX).exists():
        out.write("  history: already loaded")
        return
    rng = random.Random(2024)
    navigator = User.objects.filter(role=Role.NAVIGATOR).order_by("pk").first()
    receivers = _receivers()
    wards = list(Ward.objects.filter(pk__in=list(receivers)).order_by("code"))
    today = timezone.localdate()
    first, last = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=recent.DAYS + 1)

    planned: list[_Planned] = []
    number, day = 0, first
    while day <= last:
        slot = recent._slot(day)
        standard, urgent = deadlines(slot)
        for n in range(recent.PER_DAY):
            number += 1
            ward = rng.choice(wards)
            package = recent._new_package(
                rng, number, ward, navigator, slot - timedelta(hours=20),
                day + timedelta(days=rng.randint(2, 10)),
            )  # fmt: skip
            package.reference = f"{HISTORY_PREFIX}{number:05d}"
            package.status, package.distributed_at = PackageStatus.OFFERED, slot
            is_urgent = package.urgency == Urgency.URGENT
            # Most awards come after every answer is in (42 hours), some after the deadline.
            settle = slot + (
                timedelta(hours=42) if n < recent.PER_DAY // 2 else timedelta(days=3, hours=2)
            )
            offers = []
            for branch, joined in receivers[ward.pk]:
                if joined > day:
                    continue  # not on the PDPS yet
                offer = Offer(
                    package=package,
                    branch=branch,
                    provider_id=branch.provider_id,
                    sent_at=slot,
                    deadline=urgent if is_urgent else standard,
                    urgent=is_urgent,
                )
                _answer(rng, offer, recent.keenness(branch.provider.ref, day), slot, settle)
                offers.append(offer)
            if not offers:
                continue  # nobody covered the ward yet: the navigator found care elsewhere
            item = _Planned(package, slot, offers)
            _settle(rng, item, settle)
            _no_response_closed(offers)
            planned.append(item)
        day += timedelta(days=1)

    Package.objects.bulk_create([p.package for p in planned], batch_size=500)
    # Packages were created the day before they went out, not today.
    Package.objects.filter(reference__startswith=HISTORY_PREFIX).update(created_at=F("queued_at"))
    offers = [offer for item in planned for offer in item.offers]
    Offer.objects.bulk_create(offers, batch_size=1000)
    counts.record_created(offers)  # bulk_create bypasses Offer.save (issue 13)
    holdings.rebuild()  # and the services: the hours each provider holds (L1, issue 10)
    _record_emails()
    _record_runs(planned)
    _audit(planned, navigator)
    awarded = sum(1 for p in planned if p.package.awarded_at)
    out.write(
        f"  history: {len(planned)} packages from {first:%-d %B %Y} to {last:%-d %B %Y}, "
        f"{len(offers)} offers, {awarded} awarded"
    )


def _record_emails() -> None:
    """Every e-mail the services would have sent about the history's offers, recorded in the outbox
    as sent when it went: the offer to every branch; the award, the not-awarded note to those who
    answered, or the withdrawal to those who answered (P7, L2, L3). Two INSERT ... SELECTs; the
    subject is the real one's start, the body is not kept for history."""
    n, o = Notification._meta.db_table, Offer._meta.db_table
    b, p = Branch._meta.db_table, Package._meta.db_table
    # The closing e-mail's kind is the offer's outcome (awarded, not_awarded, withdrawn).
    assert {Outcome.AWARDED, Outcome.NOT_AWARDED, Outcome.WITHDRAWN} <= set(NotificationKind)
    offer_type = ContentType.objects.get_for_model(Offer).pk
    insert = (
        f"INSERT INTO {n} (kind, content_type_id, object_id, provider_id, branch_id, to_email, "  # noqa: S608 - table names from the models
        f"subject, body, state, attempts, last_error, created_at, claimed_at, sent_at) "
        f"SELECT {{kind}}, {offer_type}, o.id, b.provider_id, o.branch_id, b.notification_email, "
        f"%s || p.reference, '', %s, 1, '', o.{{at}}, o.{{at}}, o.{{at}} "
        f"FROM {o} o JOIN {b} b ON b.id = o.branch_id "
        f"JOIN {p} p ON p.id = o.package_id WHERE p.reference LIKE %s"
    )
    like = f"{HISTORY_PREFIX}%"
    with connection.cursor() as cursor:
        cursor.execute(
            insert.format(kind="%s", at="sent_at"),
            [NotificationKind.OFFER, "New package of care ", NotificationState.SENT, like],
        )
        cursor.execute(
            insert.format(kind="o.outcome", at="closed_at")
            + " AND (o.outcome = %s OR o.responded_at IS NOT NULL)",
            ["Package ", NotificationState.SENT, like, Outcome.AWARDED],
        )


def _record_runs(planned: list[_Planned]) -> None:
    """One scheduled distribution run a day, with what it sent."""
    per_slot: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for item in planned:
        per_slot[item.slot][0] += 1
        per_slot[item.slot][1] += len(item.offers)
    DistributionRun.objects.bulk_create(
        [
            DistributionRun(
                as_of=slot,
                started_at=slot,
                finished_at=slot + timedelta(seconds=1),
                source="schedule",
                packages=packages,
                offers=offers,
            )
            for slot, (packages, offers) in sorted(per_slot.items())
        ]
    )


def _audit(planned: list[_Planned], navigator) -> None:
    """The packages' moves in the audit trail (I4), one INSERT per kind of move."""
    moves: dict[tuple[str, str], list[int]] = defaultdict(list)
    for item in planned:
        package = item.package
        moves[("package.offered", "system")].append(package.pk)
        if package.withdrawn_at:
            moves[("package.withdrawn", "navigator")].append(package.pk)
        if package.awarded_at:
            moves[("package.awarded", "navigator")].append(package.pk)
        if package.cancelled_at:
            moves[("package.cancelled", "navigator")].append(package.pk)
        if package.status == PackageStatus.ENDED:
            moves[("package.ended", "navigator")].append(package.pk)
    before = {
        "package.offered": "queued",
        "package.withdrawn": "offered",
        "package.awarded": "offered",
        "package.cancelled": "awarded",
        "package.ended": "awarded",
    }
    for (action, who), ids in moves.items():
        audit_bulk(
            actor=navigator if who == "navigator" else None,
            action=action,
            model=Package,
            ids=ids,
            before={"status": before[action]},
            after={"status": action.removeprefix("package.")},
        )

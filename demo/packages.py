"""Demo step: eight weeks of brokerage history through the real services, so every page has
something true to show: offers answered, expired, awarded, withdrawn and cancelled; packages
queued for the next distribution; and open offers in the demo branch's inbox."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from unittest import mock

from django.core.management.base import OutputWrapper
from django.utils import timezone

from brokerage import services
from brokerage.distribution import distribute_packages
from brokerage.models import (
    Notification,
    NotificationState,
    Offer,
    Package,
    PackageStatus,
    ServiceLevel,
)
from providers.models import Role, User
from wards.models import Coverage, Ward

from .lancashire import POSTCODE_DISTRICTS

# Mix of service levels as in the February 2026 forum figures (1,024 packages over three months).
LEVEL_WEIGHTS = {
    ServiceLevel.HOMECARE_SINGLE: 637,
    ServiceLevel.HOMECARE_TWO: 74,
    ServiceLevel.HOMECARE_VARIABLE: 5,
    ServiceLevel.STCAH_SINGLE: 219,
    ServiceLevel.STCAH_TWO: 80,
    ServiceLevel.SHORT_BREAKS_ROLLING: 2,
    ServiceLevel.HOMECARE_SINGLE_WITH_SHORT_BREAKS: 6,
}
CALL_PATTERNS = [
    "4 calls a day: morning, lunch, tea, bed; 30 minutes each",
    "2 calls a day: morning 45 minutes, evening 30 minutes",
    "3 calls a day, 30 minutes each",
    "1 call a day, 60 minutes, for a shower and lunch",
    "2 calls a day with two carers and a hoist",
]
NEEDS = [
    "Personal care and medication prompts after a hospital stay; lives alone, walks with a frame.",
    "Help with washing, dressing and meals; early-stage dementia; daughter visits at weekends.",
    "Double-handed transfers with a hoist; pressure care; district nurse visits twice a week.",
    "Reablement after a hip replacement: build confidence with stairs and kitchen tasks.",
    "Meal preparation and shopping; partial sight; likes a chat about cricket.",
]
FIRST_NAMES = [
    "Edna",
    "Harold",
    "Joan",
    "Frank",
    "Margaret",
    "Albert",
    "Irene",
    "Stanley",
    "Doris",
    "Kenneth",
]
SURNAMES = [
    "Ashworth",
    "Bamber",
    "Cowell",
    "Dewhurst",
    "Eccles",
    "Fazackerley",
    "Greenhalgh",
    "Haworth",
]
DAYS = 56
PER_DAY = 6
DEMO_PREFIX = "LCC-DEMO-"


def _weighted_level(rng: random.Random) -> str:
    return rng.choices(list(LEVEL_WEIGHTS), weights=list(LEVEL_WEIGHTS.values()))[0]


def _slot(day: date) -> datetime:
    """11:00 on weekdays, 10:30 at weekends, London time (P3)."""
    at = time(10, 30) if day.weekday() >= 5 else time(11, 0)
    return datetime.combine(day, at, tzinfo=timezone.get_default_timezone())


def _new_package(
    rng: random.Random, number: int, ward: Ward, navigator, created: datetime, start: date
) -> Package:
    outward = rng.choice(POSTCODE_DISTRICTS.get(ward.district, ["PR1"]))
    return Package(
        reference=f"{DEMO_PREFIX}{number:05d}",
        ward=ward,
        postcode=f"{outward} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        service_level=_weighted_level(rng),
        hours_per_week=Decimal(rng.choice([3.5, 5, 7, 10.5, 14, 17.5, 21, 28])),
        call_pattern=rng.choice(CALL_PATTERNS),
        carer_gender=rng.choices(["any", "female", "male"], weights=[6, 3, 1])[0],
        urgency="urgent" if rng.random() < 0.12 else "standard",
        start_date=start,
        needs_summary=rng.choice(NEEDS),
        person_name=f"{rng.choice(['Mrs', 'Mr', 'Ms'])} {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
        address=f"{rng.randint(1, 120)} {rng.choice(['Church', 'Mill', 'Station', 'Park', 'Victoria'])} Street, {ward.name}",
        status=PackageStatus.QUEUED,
        created_by=navigator,
        queued_at=created,
    )


def _answer(rng: random.Random, offer: Offer, keen: float, when: datetime, actor) -> None:
    """A provider with keenness `keen` answers most offers; the rest are left to expire."""
    if rng.random() > keen:
        return
    answered = min(
        when + timedelta(hours=rng.uniform(0.5, 40)), offer.deadline - timedelta(minutes=5)
    )
    if rng.random() < 0.25:
        start = offer.package.start_date + timedelta(days=rng.choice([0, 0, 1, 3, 7]))
        services.offer_respond(
            actor=actor,
            offer=offer,
            response="offer_made",
            start_date=start,
            note=rng.choice(["", "We already support two people nearby."]),
            now=answered,
        )
    else:
        reason = rng.choices(
            ["no_capacity", "call_times", "carer_gender", "out_of_area", "needs"],
            weights=[10, 5, 2, 2, 1],
        )[0]
        services.offer_respond(
            actor=actor, offer=offer, response="unable_to_accept", reason=reason, now=answered
        )


def load_packages(out: OutputWrapper) -> None:
    """Eight weeks of packages, offers, answers and awards; today's queue and open offers."""
    if Package.objects.filter(reference__startswith=DEMO_PREFIX).exists():
        out.write("  packages: already loaded")
        return
    rng = random.Random(2611)
    navigator = User.objects.filter(role=Role.NAVIGATOR).order_by("pk").first()
    covered = list(
        Ward.objects.filter(pk__in=Coverage.objects.in_force().values("ward_id")).order_by("code")
    )
    keenness = {}
    today = timezone.localdate()
    number = 0
    # E-mails for history are recorded as sent rather than sent again from the demo worker.
    with mock.patch("brokerage.notifications._enqueue"):
        for back in range(DAYS, -1, -1):
            day = today - timedelta(days=back)
            slot = _slot(day)
            batch = []
            for _ in range(PER_DAY if back else 4):
                number += 1
                batch.append(
                    _new_package(
                        rng,
                        number,
                        rng.choice(covered),
                        navigator,
                        slot - timedelta(hours=20),
                        day + timedelta(days=rng.randint(2, 10)),
                    )
                )
            Package.objects.bulk_create(batch)
            if back == 0 and timezone.localtime() < slot:
                continue  # today's packages wait in the queue for 11:00
            distribute_packages(as_of=slot, trigger="schedule", actor=navigator)
            for offer in Offer.objects.filter(
                package__in=[
                    p.pk for p in Package.objects.filter(reference__in=[b.reference for b in batch])
                ]
            ).select_related("package", "provider"):
                keen = keenness.setdefault(
                    offer.provider_id, rng.choice([0.98, 0.95, 0.9, 0.85, 0.7, 0.5, 0.2])
                )
                _answer(rng, offer, keen, slot, None)
            if back >= 3:
                # Most awards come after every answer is in (42 hours), some after the deadline.
                early, late = slot + timedelta(hours=42), slot + timedelta(days=3, hours=2)
                _settle(rng, batch[: len(batch) // 2], navigator, early)
                services.offers_close_expired(as_of=slot + timedelta(days=3, minutes=1))
                _settle(rng, batch[len(batch) // 2 :], navigator, late)
        # The history's e-mails went out long ago: record them as sent when their offers were.
        history = list(
            Notification.objects.filter(state=NotificationState.PENDING).select_related("offer")
        )
        for note in history:
            note.state, note.attempts = NotificationState.SENT, 1
            note.created_at = note.claimed_at = note.sent_at = note.offer.sent_at
        Notification.objects.bulk_update(
            history, ["state", "attempts", "created_at", "claimed_at", "sent_at"], batch_size=1000
        )
    _open_offers_for_demo_branch(rng, navigator)
    out.write(f"  packages: {Package.objects.count()} ({Offer.objects.count()} offers)")


def _settle(rng: random.Random, batch: list[Package], navigator, when: datetime) -> None:
    """Award most packages to the earliest start offered; withdraw or cancel a few."""
    for package in Package.objects.filter(
        reference__in=[b.reference for b in batch], status=PackageStatus.OFFERED
    ):
        made = (
            package.offers.filter(placement_response="offer_made")
            .order_by("offered_start_date", "responded_at")
            .first()
        )
        if rng.random() < 0.05 or made is None:
            services.package_withdraw(
                actor=navigator,
                package=package,
                reason="Care no longer needed: the person went into hospital",
                now=when,
            )
            continue
        services.package_award(
            actor=navigator,
            package=package,
            offer=made,
            feedback="An earlier start date was offered",
            now=when,
        )
        if rng.random() < 0.04:
            services.package_cancel(
                actor=navigator,
                package=package,
                reason="Family arranged care privately",
                on=when.date() + timedelta(days=2),
                doorstep=rng.random() < 0.5,
                now=when + timedelta(days=2),
            )


def _open_offers_for_demo_branch(rng: random.Random, navigator) -> None:
    """Make sure the demo branch user has open offers to answer, one near its deadline."""
    from demo.steps import demo_provider

    _, branch = demo_provider()
    wards = list(Ward.objects.filter(coverage__branch=branch, coverage__ended_at__isnull=True)[:3])
    if not wards:
        return
    now = timezone.now()
    for i, (ward, sent_hours_ago) in enumerate([(wards[0], 2), (wards[-1], 62), (wards[0], 20)]):
        package = _new_package(
            rng,
            90000 + i,
            ward,
            navigator,
            now - timedelta(hours=sent_hours_ago + 1),
            timezone.localdate() + timedelta(days=5),
        )
        package.save()
        distribute_packages(
            as_of=now - timedelta(hours=sent_hours_ago),
            trigger="send_now",
            package_ids=[package.pk],
            actor=navigator,
        )

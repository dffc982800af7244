"""Demo step: four weeks of brokerage history through the real services, so every page has
something true to show: offers answered, expired, awarded, withdrawn and cancelled; packages
queued for the next distribution; and open offers in the demo branch's inbox."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from unittest import mock

from django.core.management.base import OutputWrapper
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from brokerage import services
from brokerage.distribution import distribute_packages
from brokerage.models import (
    Offer,
    Package,
    PackageStatus,
    ServiceLevel,
)
from kpi.quarters import Quarter
from notifications.models import Notification, NotificationState
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
DAYS = 28
PER_DAY = 6
DEMO_PREFIX = "LCC-DEMO-"


# How readily providers answer: roughly each one's response rate (K1). A third or more are under
# 80%, as in the March 2025 forum notes ("61% of providers at high risk ... 50% in Q4").
KEENNESS = [0.98, 0.95, 0.9, 0.85, 0.7, 0.5, 0.2]
IMPROVEMENT_PER_QUARTER = 0.03


@cache
def _base_keenness(provider_ref: str) -> float:
    return random.Random(f"keenness-{provider_ref}").choice(KEENNESS)


def keenness(provider_ref: str, day: date) -> float:
    """The chance the provider answers an offer sent on `day`: steady for each provider, and a
    little better each quarter as the council's KPI action plans bite."""
    now, then = Quarter.containing(timezone.localdate()), Quarter.containing(day)
    quarters_ago = (now.year - then.year) * 4 + now.number - then.number
    return max(0.05, _base_keenness(provider_ref) - IMPROVEMENT_PER_QUARTER * quarters_ago)


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


def _answer(rng: random.Random, offer: Offer, keen: float, when: datetime, actor: User) -> None:
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
    """Four weeks of packages, offers, answers and awards; today's queue and open offers."""
    if Package.objects.filter(reference__startswith=DEMO_PREFIX).exists():
        # A demo loaded before the branch user moved branch: give its inbox offers to answer.
        if _open_offers_for_demo_branch(random.Random(2612), None):
            out.write("  packages: already loaded; open offers sent to the demo branch")
        else:
            out.write("  packages: already loaded")
        return
    rng = random.Random(2611)
    navigator = User.objects.filter(role=Role.NAVIGATOR).order_by("pk").first()
    covered = list(
        Ward.objects.filter(pk__in=Coverage.objects.in_force().values("ward_id")).order_by("code")
    )
    today = timezone.localdate()
    number = 0
    # E-mails for history are recorded as sent rather than sent again from the demo worker.
    with mock.patch("notifications.outbox._send_on_commit"):
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
            distribute_packages(as_of=slot, source="schedule", actor=navigator)
            for offer in Offer.objects.filter(
                package__in=[
                    p.pk for p in Package.objects.filter(reference__in=[b.reference for b in batch])
                ]
            ).select_related("package", "provider"):
                _answer(rng, offer, keenness(offer.provider.ref, day), slot, None)
            if back >= 3:
                # Most awards come after every answer is in (42 hours), some after the deadline.
                early, late = slot + timedelta(hours=42), slot + timedelta(days=3, hours=2)
                _settle(rng, batch[: len(batch) // 2], navigator, early)
                services.offers_close_expired(as_of=slot + timedelta(days=3, minutes=1))
                _settle(rng, batch[len(batch) // 2 :], navigator, late)
        # The history's e-mails went out long ago: record them as sent when their offers were
        # (one UPDATE: a bulk_update of thousands of rows took most of this step's time).
        sent_at = Subquery(Offer.objects.filter(pk=OuterRef("object_id")).values("sent_at")[:1])
        pending = Notification.objects.about("brokerage", "offer")
        pending.filter(state=NotificationState.PENDING).update(
            state=NotificationState.SENT,
            attempts=1,
            created_at=sent_at,
            claimed_at=sent_at,
            sent_at=sent_at,
        )
    # Packages were created the day before they went out, not today (K8 counts them by month).
    Package.objects.filter(reference__startswith=DEMO_PREFIX).update(created_at=F("queued_at"))
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
                cancelled_on=when.date() + timedelta(days=2),
                doorstep=rng.random() < 0.5,
                now=when + timedelta(days=2),
            )


def _open_offers_for_demo_branch(rng: random.Random, navigator) -> bool:
    """Make sure the demo branch user has open offers to answer, one near its deadline. Returns
    whether it sent any (none when the branch already has two or more waiting)."""
    from demo.steps import demo_provider

    _, branch = demo_provider()
    if Offer.objects.filter(branch=branch).awaiting_answer().count() >= 2:
        return False
    navigator = navigator or User.objects.filter(role=Role.NAVIGATOR).order_by("pk").first()
    wards = list(Ward.objects.filter(coverage__branch=branch, coverage__ended_at__isnull=True)[:3])
    if not wards:
        return False
    now = timezone.now()
    taken = set(
        Package.objects.filter(reference__startswith=f"{DEMO_PREFIX}9").values_list(
            "reference", flat=True
        )
    )
    numbers = (n for n in range(90000, 100000) if f"{DEMO_PREFIX}{n:05d}" not in taken)
    for number, (ward, sent_hours_ago) in zip(
        numbers, [(wards[0], 2), (wards[-1], 62), (wards[0], 20)], strict=False
    ):
        package = _new_package(
            rng,
            number,
            ward,
            navigator,
            now - timedelta(hours=sent_hours_ago + 1),
            timezone.localdate() + timedelta(days=5),
        )
        package.save()
        distribute_packages(
            as_of=now - timedelta(hours=sent_hours_ago),
            source="send_now",
            package_ids=[package.pk],
            actor=navigator,
        )
    return True

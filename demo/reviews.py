"""The demo's life after award (R1–R3, L3): the council's trusted-review pilot as the portal would
hold it (191 reviews by nine providers: 143 no change, 14 reductions, 18 increases of up to 3.5
hours, 8 returned for more than 3.5 hours, 8 for mental capacity), most signed off, a few awaiting
sign-off, and reviews still open (some overdue, some with the demo provider); and a claim for
every package the history cancelled after award. Written through the services, so the hours
history, audit trail and e-mails are the real ones."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.management.base import OutputWrapper
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone

from brokerage.models import Claim, ClaimKind, Offer, Outcome, Package, PackageStatus
from notifications.models import Notification, NotificationState
from providers.models import Provider, Role, User
from reviews import services
from reviews.models import Review, ReviewStatus

PILOT = [  # (outcome, how many, change in hours a week, capacity concern)
    ("no_change", 143, None, False),
    ("reduction", 14, (-7, -1), False),
    ("increase", 18, (0.5, 3.5), False),
    ("reassessment", 8, (4, 10.5), False),
    ("reassessment", 8, None, True),
]
PILOT_PROVIDERS = 9
AWAITING_SIGN_OFF = 10  # of the 175 not returned, still with the reviewer
STILL_OPEN = 12  # delegated, not yet submitted (4 of them overdue)
OUTCOMES_TEXT = [
    "Person-centred review held at home with {who}. Morning and tea-time calls meet her needs; "
    "she is eating well and her skin is intact. Goals: keep walking to the shop with support.",
    "Strength-based review with {who}. Mobility has improved since the reablement period; the "
    "lunch call is no longer needed and the family now help with shopping.",
    "Review with {who} and the district nurse. Night-time confusion is increasing and the family "
    "are worried about decisions on medication; a second evening call would help.",
]


def _pilot_providers() -> list[Provider]:
    """The nine providers holding the most awarded packages, the demo provider among them."""
    from .steps import demo_provider

    demo, _ = demo_provider()
    held = (
        Offer.objects.filter(  # the award of each package's current round (L4)
            outcome=Outcome.AWARDED,
            package__status=PackageStatus.AWARDED,
            round=F("package__round"),
        )
        .values("provider_id")
        .annotate(n=Count("id"))
        .order_by("-n", "provider_id")
    )
    ids = [demo.pk] + [row["provider_id"] for row in held if row["provider_id"] != demo.pk]
    return list(Provider.objects.filter(pk__in=ids[:PILOT_PROVIDERS]).order_by("ref"))


def _packages(
    providers: list[Provider], before: datetime, skip=frozenset(), newest_first=False
) -> list[Package]:
    """Awarded packages held by `providers`, awarded before `before` (leaving out those in
    `skip`), oldest first (or newest), dealt out round the providers so each has its share."""
    holder = Offer.objects.filter(package=OuterRef("pk"), outcome=Outcome.AWARDED).order_by(
        "-round"
    )  # as Package.awarded_offer
    rows = (
        Package.objects.filter(status=PackageStatus.AWARDED, awarded_at__lt=before)
        .annotate(holder=Subquery(holder.values("provider_id")[:1]))
        .filter(holder__in=[p.pk for p in providers])
        .exclude(pk__in=skip)
        .order_by(*(("-awarded_at", "-id") if newest_first else ("awarded_at", "id")))
    )
    by_provider: dict[int, list[Package]] = {p.pk: [] for p in providers}
    for package in rows:
        by_provider[package.holder].append(package)
    dealt = []
    while any(by_provider.values()):
        for queue in by_provider.values():
            if queue:
                dealt.append(queue.pop(0))
    return dealt


def _proposed(rng: random.Random, hours: Decimal, change) -> Decimal:
    """The hours a provider proposes: the same, or changed by a whole or half hour in `change`."""
    if change is None:
        return hours
    low, high = change
    return max(hours + Decimal(str(round(rng.uniform(low, high) * 2) / 2)), Decimal(0))


def _office_user(provider_id: int) -> User:
    """The provider's organisation user who completes its reviews: the first it has, or a
    review-office account made for the demo (no password: nobody signs in as it)."""
    user = (
        User.objects.filter(provider_id=provider_id, role=Role.PROVIDER_ORG).order_by("pk").first()
    )
    if user is None:
        provider = Provider.objects.get(pk=provider_id)
        user = User.objects.create_user(
            username=f"{provider.ref.lower()}-reviews",
            password=None,
            role=Role.PROVIDER_ORG,
            provider=provider,
            first_name="Review",
            last_name="Office",
        )
    return user


def _pilot_reviews(rng: random.Random, reviewer: User, packages: list[Package]) -> int:
    """The pilot's 191 reviews, delegated over about a hundred days (never before the package's
    award), submitted 3–20 days later, signed off 1–10 days after that (the last few still
    awaiting sign-off)."""
    plan = [(o, change, concern) for o, n, change, concern in PILOT for _ in range(n)]
    rng.shuffle(plan)
    now = timezone.now()
    start = now - timedelta(days=120)
    done = 0
    for i, ((_outcome, change, concern), package) in enumerate(zip(plan, packages, strict=False)):
        delegated = max(
            start + timedelta(days=i * 100 / len(plan), hours=rng.randint(0, 6)),
            package.awarded_at + timedelta(days=2),
        )
        review = services.review_delegate(
            actor=reviewer,
            package=package,
            due_on=(delegated + timedelta(days=28)).date(),
            now=delegated,
        )
        submitted = min(
            delegated + timedelta(days=rng.randint(3, 20), hours=rng.randint(1, 8)),
            now - timedelta(hours=3),
        )
        answers = services.review_answers(
            review,
            proposed_hours=_proposed(rng, package.hours_per_week, change),
            outcomes=rng.choice(OUTCOMES_TEXT).format(who="the person and her daughter"),
            capacity_concern=concern,
        )
        review = services.review_submit(
            actor=_office_user(review.provider_id), review=review, answers=answers, now=submitted
        )
        awaiting = i >= len(plan) - AWAITING_SIGN_OFF
        if review.status == ReviewStatus.SUBMITTED and not awaiting:
            signed = min(submitted + timedelta(days=rng.randint(1, 10)), now - timedelta(hours=1))
            services.review_sign_off(actor=reviewer, review=review, now=signed)
        done += 1
    return done


def _open_reviews(rng: random.Random, reviewer: User, packages: list[Package]) -> int:
    """Reviews delegated and not yet submitted, a third of them overdue."""
    now = timezone.now()
    for i, package in enumerate(packages[:STILL_OPEN]):
        delegated = now - timedelta(days=rng.randint(5, 40) if i % 3 == 0 else rng.randint(1, 10))
        due = (delegated + timedelta(days=28)).date()
        if i % 3 == 0:
            due = timezone.localdate() - timedelta(days=rng.randint(1, 6))
            delegated = min(delegated, now - timedelta(days=30))
        review = services.review_delegate(
            actor=reviewer, package=package, due_on=due, now=delegated
        )
        Review.objects.filter(pk=review.pk).update(due_on=due)  # overdue ones were due before today
    return min(len(packages), STILL_OPEN)


def load_claims() -> int:
    """L3: a claim for each cancelled package that has none (the history writes packages
    set-based), to the provider and branch whose offer was awarded."""
    claims = []
    cancelled = Package.objects.filter(
        status=PackageStatus.CANCELLED, claim_hours__isnull=False, claim__isnull=True
    )
    for package in cancelled:
        offer = package.awarded_offer
        if offer is None:
            continue
        claims.append(
            Claim(
                package=package,
                provider_id=offer.provider_id,
                branch_id=offer.branch_id,
                kind=ClaimKind.ASSESSMENT
                if package.cancelled_on_doorstep
                else ClaimKind.CANCELLATION,
                hours=package.claim_hours,
                cancelled_on=package.cancelled_on,
                created_at=package.cancelled_at or timezone.now(),
            )
        )
    Claim.objects.bulk_create(claims)
    return len(claims)


def load_reviews(out: OutputWrapper) -> None:
    """Trusted reviews (the pilot's 191 and some still open) and claims after cancellation."""
    claims = load_claims()
    if Review.objects.exists():
        out.write(f"  reviews: already loaded; claims: {claims} added")
        return
    rng = random.Random(191)
    reviewer = User.objects.filter(role=Role.REVIEWER).order_by("pk").first()
    providers = _pilot_providers()
    now = timezone.now()
    old = _packages(providers, before=now - timedelta(days=25))
    total = sum(n for _, n, _, _ in PILOT)
    pilot = _pilot_reviews(rng, reviewer, old[:total])
    reviewed = set(Review.objects.values_list("package_id", flat=True))
    # Newest first, dealt round the providers, so the demo provider has open reviews too.
    recent = _packages(providers, now - timedelta(days=20), skip=reviewed, newest_first=True)
    opened = _open_reviews(rng, reviewer, recent)
    # E-mails of the pilot went out long ago: mark them sent, so no worker sends them now.
    Notification.objects.filter(review__isnull=False, state=NotificationState.PENDING).filter(
        Q(created_at__lt=now - timedelta(days=1))
    ).update(state=NotificationState.SENT, sent_at=timezone.now())
    out.write(
        f"  reviews: {pilot} in the pilot ({Review.objects.filter(status=ReviewStatus.SIGNED_OFF).count()} "
        f"signed off), {opened} still open; claims: {Claim.objects.count()} ({claims} added)"
    )

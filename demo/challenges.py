"""Demo step: the right of reply (K10) in every state, through the real services, so the contract
managers' queue has challenges waiting and the K1 pages show offers excluded after challenge: a
few providers (the demo provider among them) challenge No Responses still inside their window;
contract managers uphold some, reject some and leave the rest open."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.core.management.base import OutputWrapper
from django.utils import timezone

from brokerage.models import Offer, PlacementResponse
from kpi.models import Challenge, ChallengeStatus
from kpi.quarters import LONDON, Quarter
from kpi.services import challenge_decide, challenge_make
from kpi.services.challenges import challenge_last_day
from notifications.models import Notification, NotificationKind, NotificationState
from providers.models import Role, User

from .reviews import _office_user
from .steps import demo_provider

# What providers said on the forums (seeds, 2025): the e-mail never came, or they answered another way.
REASONS = [
    "We never received the e-mail for this package: nothing in our inbox or our spam folder.",
    "We phoned the brokerage team the morning after to say we could not cover the calls.",
    "Our office was closed for staff training that day; we answered by e-mail to the team.",
    "The e-mail went to a manager who had left; we have since changed our notification address.",
]
# The demo provider's own (its users see one of each, as far as it has No Responses still inside
# their window: an upheld one first, for the exclusion on My KPIs), then the other providers'.
OWN = ["upheld", "open", "rejected"]
OTHERS = ["upheld", "open", "rejected", "upheld", "open", "upheld", "rejected", "open", "upheld"]
COMMENTS = {
    "upheld": "Checked the outbox: the e-mail bounced. Left out of the response rate.",
    "rejected": "The e-mail was delivered and the offer was opened; no answer was recorded.",
}


def _challengeable(now) -> list[Offer]:
    """No Responses not yet challenged, those whose window is still open now first (sent this
    quarter, or last quarter while its 28 days last), then last quarter's (challenged in the past,
    while their window was open: `_made_at`), oldest first in each."""
    quarter = Quarter.containing(timezone.localtime(now, LONDON).date())
    previous = quarter.previous()
    offers = (
        Offer.objects.filter(
            placement_response=PlacementResponse.NO_RESPONSE,
            challenge__isnull=True,
            sent_at__gte=previous.start_at,
            deadline__lt=now - timedelta(hours=2),
        )
        .select_related("provider", "branch", "package")
        .order_by("sent_at", "pk")
    )
    today = timezone.localtime(now, LONDON).date()
    return sorted(offers, key=lambda o: challenge_last_day(o) < today)  # stable: oldest first


def _made_at(rng: random.Random, offer: Offer, now):
    """When the provider challenged: a day to five after the deadline, before now and inside
    the offer's window (K10)."""
    last = challenge_last_day(offer)
    closes = timezone.make_aware(datetime.combine(last, time(18)), LONDON)
    return min(
        offer.deadline + timedelta(hours=rng.randint(20, 120)), now - timedelta(hours=1), closes
    )


def load_challenges(out: OutputWrapper) -> None:
    """Challenges of No Responses (K10): some waiting, some upheld, some rejected."""
    if Challenge.objects.exists():
        out.write("  challenges: already loaded")
        return
    rng = random.Random(1010)
    now = timezone.now()
    manager = User.objects.filter(role=Role.CONTRACT_MANAGER).order_by("pk").first()
    shown, _ = demo_provider()
    offers = _challengeable(now)
    own = [o for o in offers if o.provider_id == shown.pk][: len(OWN)]
    seen: set[int] = {shown.pk}
    others = []
    for offer in offers:  # one offer each from the first providers with one
        if offer.provider_id not in seen and len(others) < len(OTHERS):
            seen.add(offer.provider_id)
            others.append(offer)
    plan = list(zip(own, OWN, strict=False)) + list(zip(others, OTHERS, strict=False))
    for offer, status in plan:
        made_at = _made_at(rng, offer, now)
        challenge = challenge_make(
            actor=_office_user(offer.provider_id),
            offer=offer,
            reason=rng.choice(REASONS),
            now=made_at,
        )
        if status != ChallengeStatus.OPEN:
            decided_at = min(made_at + timedelta(hours=rng.randint(24, 144)), now)
            challenge_decide(
                actor=manager,
                challenge=challenge,
                uphold=status == ChallengeStatus.UPHELD,
                comment=COMMENTS[status],
                now=decided_at,
            )
    # Decisions more than a day old were e-mailed then: mark them sent, so no worker sends them now.
    Notification.objects.filter(
        kind=NotificationKind.CHALLENGE_DECISION,
        state=NotificationState.PENDING,
        created_at__lt=now - timedelta(days=1),
    ).update(state=NotificationState.SENT, sent_at=now)
    counts = {s: Challenge.objects.filter(status=s).count() for s in ChallengeStatus.values}
    out.write(
        f"  challenges: {len(plan)} ({counts['open']} waiting, {counts['upheld']} upheld, "
        f"{counts['rejected']} rejected; {len(own)} by {shown.name})"
    )

"""K10, the right of reply: a provider challenges one of its offers' No Response with a reason,
from the moment it became No Response until 28 days after the end of the quarter it was sent in;
a contract manager upholds or rejects it with a comment. An upheld challenge leaves the offer out
of K1 for its provider (`kpi/selectors.py`); the provider is told of each decision by one e-mail
through the outbox, with its rate for that quarter before and after. Every step is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from brokerage import counts
from brokerage.models import Offer, PlacementResponse
from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed, NotFound
from notifications.models import NotificationKind
from notifications.outbox import Outgoing, notifications_enqueue
from providers.models import User

from ..models import Challenge, ChallengeStatus
from ..permissions import may_challenge, may_decide_challenges
from ..quarters import LONDON, Quarter
from ..selectors import RateWindow, provider_rates
from .errors import KpiError

CHALLENGE_DAYS = 28

REASON_MISSING = "Say why this No Response is wrong, for example the e-mail never arrived"
COMMENT_MISSING = "Give the provider a comment on your decision"


def challenge_last_day(offer: Offer) -> date:
    """The last day (Europe/London) the offer's No Response may be challenged: 28 days after the
    end of the quarter it was sent in (sent in April-June: 28 July)."""
    return Quarter.containing(offer.sent_at).last_date + timedelta(days=CHALLENGE_DAYS)


def challenge_problem(offer: Offer, now: datetime | None = None) -> str:
    """Why the offer's No Response cannot be challenged now ('' when it can): it is no No
    Response, the time ran out, or it was challenged already (K10)."""
    if offer.placement_response != PlacementResponse.NO_RESPONSE:
        if offer.placement_response is None:
            return "Only a No Response can be challenged, and this offer is still open."
        return (
            "Only a No Response can be challenged: this offer is "
            f"{PlacementResponse(offer.placement_response).label}."
        )
    last = challenge_last_day(offer)
    today = timezone.localtime(now or timezone.now(), LONDON).date()
    if today > last:
        return (
            f"The time to challenge this No Response ended on {_day(last)}, 28 days after the "
            "end of the quarter it was sent in."
        )
    if Challenge.objects.filter(offer_id=offer.pk).exists():
        return "This No Response has already been challenged: each offer can be challenged once."
    return ""


def challenge_make(
    *, actor: User, offer: Offer, reason: str, now: datetime | None = None
) -> Challenge:
    """K10: the offer's provider (a user of its branch or organisation) challenges its No Response.

    Raises NotAllowed (not a provider user), NotFound (not the actor's offer, A1), KpiError (409:
    not a No Response, too late, challenged already) and InvalidInput (`reason` missing)."""
    if not may_challenge(actor):
        raise NotAllowed("Only the provider offered the package can challenge its No Response.")
    now = now or timezone.now()
    with transaction.atomic():
        # The offer's row is locked, so two challenges at once are decided one after the other:
        # the second finds the first (and the one-to-one is the backstop).
        offer = Offer.objects.visible_to(actor).select_for_update().filter(pk=offer.pk).first()
        if offer is None:
            raise NotFound("No such offer.")
        problem = challenge_problem(offer, now)
        if problem:
            raise KpiError(problem)
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput({"reason": [REASON_MISSING]})
        challenge = Challenge.objects.create(
            offer=offer,
            quarter=str(Quarter.containing(offer.sent_at)),
            reason=reason,
            made_by=actor,
            made_at=now,
        )
        audit_record(
            actor=actor,
            action="kpi.challenge_made",
            obj=challenge,
            after={
                "offer": offer.pk,
                "provider": offer.provider.ref,
                "quarter": challenge.quarter,
                "status": ChallengeStatus.OPEN.value,
                "reason": reason,
            },
            reason=reason,
        )
    return challenge


def provider_quarter_rate(provider_id: int, quarter: str) -> Decimal | None:
    """The provider's K1 rate for `quarter` as it counts now (one grouped query), to 4 places."""
    rows = provider_rates(
        RateWindow.for_quarter(Quarter.parse(quarter)),
        offers=Offer.objects.filter(provider_id=provider_id),
        row_medians=False,
    )
    rate = rows[0].rate if rows else None
    return None if rate is None else Decimal(str(rate)).quantize(Decimal("0.0001"))


def challenge_decide(
    *,
    actor: User,
    challenge: Challenge,
    uphold: bool,
    comment: str,
    now: datetime | None = None,
) -> Challenge:
    """K10: a contract manager upholds (the offer leaves K1) or rejects (it stays) an open
    challenge, with a comment; the provider's rate for the quarter before and after is kept on the
    challenge and the provider is e-mailed once, through the outbox.

    Raises NotAllowed (not a contract manager), KpiError (409: decided already) and InvalidInput
    (`comment` missing)."""
    if not may_decide_challenges(actor):
        raise NotAllowed("Only contract managers decide challenges.")
    now = now or timezone.now()
    with transaction.atomic():
        challenge = (
            Challenge.objects.select_for_update(of=("self",))
            .select_related("offer__provider", "offer__branch", "offer__package", "made_by")
            .get(pk=challenge.pk)
        )
        if challenge.status != ChallengeStatus.OPEN:
            raise KpiError(
                f"This challenge was already {challenge.get_status_display().lower()} on "
                f"{_day(timezone.localtime(challenge.decided_at, LONDON).date())}."
            )
        comment = (comment or "").strip()
        if not comment:
            raise InvalidInput({"comment": [COMMENT_MISSING]})
        provider_id = challenge.offer.provider_id
        challenge.rate_before = provider_quarter_rate(provider_id, challenge.quarter)
        challenge.status = ChallengeStatus.UPHELD if uphold else ChallengeStatus.REJECTED
        challenge.comment = comment
        challenge.decided_by = actor
        challenge.decided_at = now
        challenge.save(update_fields=["status", "comment", "decided_by", "decided_at"])
        if uphold:  # the kept response counts move in this transaction (issue 13)
            counts.exclude([challenge.offer_id])
        challenge.rate_after = (
            provider_quarter_rate(provider_id, challenge.quarter)
            if uphold
            else challenge.rate_before
        )
        challenge.save(update_fields=["rate_before", "rate_after"])
        audit_record(
            actor=actor,
            action=f"kpi.challenge_{challenge.status}",
            obj=challenge,
            before={"status": ChallengeStatus.OPEN.value, "rate": _num(challenge.rate_before)},
            after={
                "status": challenge.status,
                "offer": challenge.offer_id,
                "excluded": challenge.excluded,
                "rate": _num(challenge.rate_after),
            },
            reason=comment,
        )
        notifications_enqueue([challenge_email(challenge)], now=now)
    return challenge


def challenge_email(challenge: Challenge) -> Outgoing:
    """The decision's one e-mail (unique per challenge and kind) to the offer's branch and to the
    user who made the challenge, shown on the branch's e-mails page (provider and branch set)."""
    offer = challenge.offer
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("brokerage:offer", args=[offer.pk])
    context = {"challenge": challenge, "offer": offer, "package": offer.package, "link": link}
    made_by = challenge.made_by
    to = [offer.branch.notification_email]
    if made_by is not None and made_by.is_active and made_by.email:
        to.append(made_by.email)
    return Outgoing(
        about=challenge,
        kind=NotificationKind.CHALLENGE_DECISION,
        to=to,
        subject=render_to_string("kpi/email/challenge_subject.txt", context).strip(),
        body=render_to_string("kpi/email/challenge_body.txt", context),
        provider_id=offer.provider_id,
        branch_id=offer.branch_id,
    )


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)

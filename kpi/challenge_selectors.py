"""K10 reads: challenges as a user may see them (A1), each with its offer's delivered / seen /
answered record (P7, P11) for the contract managers' queue, the API and the provider's list."""

from __future__ import annotations

from django.db.models import QuerySet

from brokerage.notifications import EMAIL_STATE, with_email_state
from providers.models import User

from .models import Challenge, ChallengeStatus

STATUS_FILTERS = {
    "open": [ChallengeStatus.OPEN],
    "upheld": [ChallengeStatus.UPHELD],
    "rejected": [ChallengeStatus.REJECTED],
    "all": list(ChallengeStatus),
}


def challenge_queryset(user: User) -> QuerySet[Challenge]:
    """The user's challenges (A1) with their offer, its package, branch and provider, and the
    offer e-mail's outbox state (`offer_email_state`, one subquery): a constant number of queries
    for any page of them."""
    return with_email_state(
        Challenge.objects.visible_to(user).select_related(
            "offer__package__ward", "offer__branch", "offer__provider", "made_by", "decided_by"
        ),
        offer_ref="offer_id",
    )


def email_word(challenge: Challenge) -> str | None:
    """The API's word for the offer e-mail's state: pending, sent, failed, or None."""
    return EMAIL_STATE.get(getattr(challenge, "offer_email_state", None))

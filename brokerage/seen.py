"""Seen (P11): when a user of an offer's branch, or of its organisation, first opened it, beside the
e-mail's delivery state and the answer, so "we never got it" can be checked instead of argued.

Recorded once, by a conditional update (the first reader wins, STYLE 5); a council user reading the
offer changes nothing, and neither does a user of another branch of the same provider.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from providers.models import Role

from .models import Offer

if TYPE_CHECKING:
    from providers.models import User


def _is_the_offers_provider(offer: Offer, actor: User) -> bool:
    if not actor.is_authenticated or not actor.is_provider_user:
        return False
    if actor.provider_id != offer.provider_id:
        return False
    return actor.role != Role.PROVIDER_BRANCH or actor.branch_id == offer.branch_id


def offer_seen(*, offer: Offer, actor: User, now: datetime | None = None) -> bool:
    """Record `offer` as opened now if `actor` is of its branch or organisation and nobody there
    opened it before. Returns True when this call recorded it (and sets `offer.viewed_at`)."""
    if offer.viewed_at is not None or not _is_the_offers_provider(offer, actor):
        return False
    now = now or timezone.now()
    first = Offer.objects.filter(pk=offer.pk, viewed_at__isnull=True).update(viewed_at=now) == 1
    if first:
        offer.viewed_at = now
    return first

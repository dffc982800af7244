"""Reminders (P10): a branch that has not answered an offer gets one e-mail a set number of hours
before its deadline (settings: 24 for standard packages, 4 for urgent), through the outbox.

Once per offer by construction: the outbox keeps one row per (offer, kind), so a second run, a late
run or two workers at once record nothing twice; and the query leaves out offers already reminded.
An answered offer, one closed (awarded, withdrawn, No Response) or past its deadline gets none.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.models import PortalSettings
from notifications.models import Notification, NotificationKind

from .models import Offer, Outcome
from .notifications import notify_offers


def offers_due_a_reminder(as_of: datetime) -> QuerySet[Offer]:
    """Open, unanswered offers whose deadline is within their reminder window at `as_of` and
    that have no reminder recorded yet."""
    rules = PortalSettings.load()
    standard = Q(urgent=False, deadline__lte=as_of + timedelta(hours=rules.reminder_hours_standard))
    urgent = Q(urgent=True, deadline__lte=as_of + timedelta(hours=rules.reminder_hours_urgent))
    reminded = Notification.objects.filter(
        content_type__app_label="brokerage",
        content_type__model="offer",
        object_id=OuterRef("pk"),
        kind=NotificationKind.REMINDER,
    )
    return (
        Offer.objects.filter(
            placement_response__isnull=True, outcome=Outcome.OPEN, deadline__gt=as_of
        )
        .filter(standard | urgent)
        .exclude(Exists(reminded))
    )


def offers_remind(*, as_of: datetime) -> int:
    """Record a reminder for every offer due one at `as_of`, sent after commit (P10). Returns how
    many were recorded now (0 on a second run)."""
    with transaction.atomic():
        ids = list(offers_due_a_reminder(as_of).values_list("pk", flat=True))
        return len(notify_offers(ids, NotificationKind.REMINDER))

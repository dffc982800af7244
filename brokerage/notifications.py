"""E-mails to branches (P7). A Notification row per (offer, kind) is the sent-marker: creating it is
idempotent, the task claims it before sending, so no e-mail goes out twice."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from providers.models import Branch

from .models import Notification, NotificationKind, NotificationState, Offer

log = logging.getLogger(__name__)
TASK_CHUNK = 200
# With back-off of 1, 2, 4 ... minutes capped at 30, ten tries span about three and a half hours.
MAX_ATTEMPTS = 10


def _enqueue(notification_ids: list[int]) -> None:
    """Send after commit, in chunks so one task never holds too much."""
    if not notification_ids:
        return
    from .tasks import send_notifications

    for start in range(0, len(notification_ids), TASK_CHUNK):
        chunk = notification_ids[start : start + TASK_CHUNK]
        transaction.on_commit(lambda c=chunk: send_notifications.delay(c))


def notify_offers(offer_ids: Iterable[int], kind: str) -> list[int]:
    """Record one notification per offer for `kind` (skipping any already recorded) and send them
    after commit. Returns the ids of the notifications created now."""
    offer_ids = list(offer_ids)
    if not offer_ids:
        return []
    now = timezone.now()
    created = []
    for start in range(0, len(offer_ids), 500):
        chunk = offer_ids[start : start + 500]
        created += _insert_notifications(chunk, kind, now)
    _enqueue(created)
    return created


def _insert_notifications(offer_ids: list[int], kind: str, now) -> list[int]:
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING id: set-based and idempotent."""
    n, o, b = Notification._meta.db_table, Offer._meta.db_table, Branch._meta.db_table
    marks = ", ".join(["%s"] * len(offer_ids))
    sql = (
        f"INSERT INTO {n} (offer_id, branch_id, kind, to_email, state, attempts, last_error, created_at) "  # noqa: S608 - table names from models
        f"SELECT o.id, o.branch_id, %s, b.notification_email, %s, 0, '', %s "
        f"FROM {o} o JOIN {b} b ON b.id = o.branch_id WHERE o.id IN ({marks}) "
        f"ON CONFLICT (offer_id, kind) DO NOTHING RETURNING id"
    )
    params = [
        kind,
        NotificationState.PENDING,
        connection.ops.adapt_datetimefield_value(now),
        *offer_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


SUBJECTS = {
    NotificationKind.OFFER: "New package of care {ref}: {ward}, answer by {deadline}",
    NotificationKind.AWARDED: "Package {ref} has been awarded to you",
    NotificationKind.NOT_AWARDED: "Package {ref} was not awarded to you",
    NotificationKind.WITHDRAWN: "Package {ref} has been withdrawn",
}


def build_email(notification: Notification) -> EmailMessage:
    """The e-mail for one notification. Before award it carries no personal details (A3)."""
    offer = notification.offer
    package = offer.package
    deadline = timezone.localtime(offer.deadline)
    subject = SUBJECTS[notification.kind].format(
        ref=package.reference, ward=package.ward.name, deadline=f"{deadline:%H:%M %a %-d %b}"
    )
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("brokerage:offer", args=[offer.pk])
    body = render_to_string(
        f"brokerage/email/{notification.kind}.txt",
        {
            "offer": offer,
            "package": package,
            "deadline": deadline,
            "link": link,
            "branch": offer.branch,
        },
    )
    return EmailMessage(subject=subject, body=body, to=[notification.to_email])


def _claim(notification_id: int) -> bool:
    """Take the notification for sending; False when another worker has it or it is done."""
    claimable = [NotificationState.PENDING, NotificationState.FAILED]
    return bool(
        Notification.objects.filter(pk=notification_id, state__in=claimable).update(
            state=NotificationState.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
    )


def send_notification(notification_id: int) -> str:
    """Send one notification if not yet sent; returns its new state. Raises on a failed send so
    the task can retry with back-off."""
    if not _claim(notification_id):
        return "skipped"
    notification = Notification.objects.select_related(
        "offer__package__ward", "offer__branch__provider"
    ).get(pk=notification_id)
    if not notification.to_email:
        Notification.objects.filter(pk=notification_id).update(
            state=NotificationState.GAVE_UP,
            last_error="The branch has no notification e-mail address.",
        )
        return NotificationState.GAVE_UP
    try:
        build_email(notification).send(fail_silently=False)
    except Exception as exc:
        state = (
            NotificationState.GAVE_UP
            if notification.attempts >= MAX_ATTEMPTS
            else NotificationState.FAILED
        )
        Notification.objects.filter(pk=notification_id).update(
            state=state, last_error=str(exc)[:500]
        )
        log.warning("E-mail %s to %s failed: %s", notification_id, notification.to_email, exc)
        raise
    Notification.objects.filter(pk=notification_id).update(
        state=NotificationState.SENT, sent_at=timezone.now(), last_error=""
    )
    return NotificationState.SENT

"""Celery tasks of the outbox: they take ids or moments as text and call the outbox (STYLE 2)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .outbox import MAX_ATTEMPTS, back_off, notification_send, notifications_resend


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_notifications(self, notification_ids: list[int]) -> dict:
    """Send these e-mails; the ones that fail are retried with exponential back-off (P7).

    Each is claimed before sending, so a redelivered task sends nothing twice.
    """
    failed, states = [], {}
    for notification_id in notification_ids:
        try:
            states[notification_id] = notification_send(notification_id)
        except Exception:  # noqa: BLE001 - any SMTP or network failure is retried
            failed.append(notification_id)
    if failed:
        # Back-off 1, 2, 4 ... minutes, capped well under the broker's visibility timeout.
        countdown = int(back_off(self.request.retries + 1).total_seconds())
        raise self.retry(args=[failed], countdown=countdown)
    return states


@shared_task
def resend_notifications(as_of: str | None = None) -> str:
    """Every minute, and when a worker starts: e-mails of every kind that never reached a worker, or whose worker died
    or whose retry is overdue, are handed to a worker again."""
    moment = parse_moment(as_of) if as_of else timezone.now()
    with job_run("resend_notifications", moment) as run:
        run["summary"] = f"{notifications_resend(as_of=moment)} e-mail(s) handed to a worker again"
    return run["summary"]


@worker_ready.connect
def _resend_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A worker coming back after a crash hands over at once what waits in the outbox (issue 14.5)."""
    resend_notifications.delay()

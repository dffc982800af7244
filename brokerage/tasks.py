"""Celery tasks: they take ids or nothing, re-read the rows and call services (STYLE 2)."""

from __future__ import annotations

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .distribution import distribute_packages
from .models import Notification, NotificationState
from .notifications import MAX_ATTEMPTS, _enqueue, send_notification
from .schedule import distribution_catch_up
from .services import offers_close_expired


def _moment(as_of: str | None):
    """Tasks take moments as ISO text (JSON only); None means now."""
    return parse_moment(as_of) if as_of else timezone.now()


@shared_task
def distribute_packages_task(as_of: str | None = None) -> str:
    """The daily distribution at the times in the beat schedule (P3)."""
    now = _moment(as_of)
    with job_run("distribute_packages", now) as run:
        run["summary"] = str(distribute_packages(as_of=now, trigger="schedule"))
    return run["summary"]


@shared_task
def distribution_catch_up_task() -> str:
    """Every few minutes: if the scheduled run was missed (system down), run it now (P5)."""
    now = timezone.now()
    result = distribution_catch_up(now=now)
    return str(result) if result else "no run missed"


@shared_task
def close_expired_offers_task(as_of: str | None = None) -> str:
    """Unanswered offers past their deadline become No Response (P6)."""
    now = _moment(as_of)
    with job_run("close_expired_offers", now) as run:
        run["summary"] = f"{offers_close_expired(as_of=now)} offer(s) closed as No Response"
    return run["summary"]


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_notifications(self, notification_ids: list[int]) -> dict:
    """Send these e-mails; the ones that fail are retried with exponential back-off (P7).

    Each is claimed before sending, so a redelivered task sends nothing twice.
    """
    failed, states = [], {}
    for notification_id in notification_ids:
        try:
            states[notification_id] = send_notification(notification_id)
        except Exception:  # noqa: BLE001 - any SMTP or network failure is retried
            failed.append(notification_id)
    if failed:
        # Back-off 1, 2, 4 ... minutes, capped well under the broker's visibility timeout.
        countdown = min(60 * 2**self.request.retries, 30 * 60)
        raise self.retry(args=[failed], countdown=countdown)
    return states


@shared_task
def resend_stuck_notifications() -> int:
    """Hand to a worker again the e-mails that never reached one (broker down at commit) or whose
    worker died mid-send. Failed ones are already being retried by their own task."""
    now = timezone.now()
    stale = now - timezone.timedelta(minutes=30)
    Notification.objects.filter(state=NotificationState.SENDING, claimed_at__lt=stale).update(
        state=NotificationState.FAILED
    )
    stuck = list(
        Notification.objects.filter(
            Q(state=NotificationState.PENDING, created_at__lt=now - timezone.timedelta(minutes=10))
            | Q(state=NotificationState.FAILED, claimed_at__lt=stale),
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:2000]
    )
    _enqueue(stuck)
    return len(stuck)

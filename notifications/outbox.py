"""The outbox's three moves (P7, P10, K7; STYLE 2, 5): record e-mails and hand them to a worker
after commit; send one under a claim; hand again to a worker those that never reached one, or whose
worker died, or whose retry is overdue. Every kind of e-mail goes through here; a new feature adds a
kind and renders its subject and body, nothing more."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from threading import Lock

from celery import current_app
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import SECRET_KINDS, Notification, NotificationState

log = logging.getLogger(__name__)
TASK_CHUNK = 200
INSERT_CHUNK = 200
# The task is named, not imported: the tasks call this module, so importing them back would make a
# cycle (issue 9.4). NotificationsConfig.ready registers it, so eager test runs still run it inline.
SEND_TASK = "notifications.tasks.send_notifications"
# With back-off of 1, 2, 4 ... minutes capped at 30, ten tries span about three and a half hours.
MAX_ATTEMPTS = 10
# The resend job runs every minute (core.schedules, notifications migration 0004). It hands again
# to a worker: an e-mail never handed (the broker was down at commit) once HANDOFF_GRACE has passed;
# one handed but still waiting LOST_AFTER later (its task died with a worker, or waits unacked in
# the broker until the visibility timeout); one claimed STUCK_AFTER ago and not finished (its worker
# died mid-send; a send gives up after EMAIL_TIMEOUT, far less); a failed one whose retry is
# RETRY_GRACE overdue. Each is claimed before sending, so handing one twice never sends it twice.
# A backlog of RESEND_LIMIT a minute clears 2,000 e-mails in the first run after a worker returns.
HANDOFF_GRACE = timedelta(minutes=1)
LOST_AFTER = timedelta(minutes=3)
STUCK_AFTER = timedelta(minutes=3)
RETRY_GRACE = timedelta(minutes=2)
RESEND_LIMIT = 20_000
SECRET_SENT = "(Cleared once sent: it held a password reset link.)"


def back_off(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes after the `attempts`-th failure, capped at 30."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 30 * 60))


@dataclass(frozen=True)
class Outgoing:
    """One e-mail to record: what it is about, its kind, its addresses and its rendered text."""

    about: models.Model
    kind: str
    to: list[str]
    subject: str
    body: str
    provider_id: int | None = None
    branch_id: int | None = None
    # Which time of this kind about the object (`Notification.occasion`); None for a kind that
    # happens once.
    occasion: int | None = None


def notifications_enqueue(
    messages: Iterable[Outgoing], *, now: datetime | None = None
) -> list[int]:
    """Record each e-mail once per (object, kind), skipping any already recorded, and send the new
    ones after commit. Returns the ids recorded now. Call it inside the transaction that made the
    object, so the e-mail exists exactly when the object does."""
    now = now or timezone.now()
    rows = list(messages)
    created: list[int] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        created += _insert(rows[start : start + INSERT_CHUNK], now)
    _send_on_commit(created)
    return created


COLUMNS = (
    "kind, content_type_id, object_id, provider_id, branch_id, to_email, subject, body, state, "
    "attempts, last_error, created_at"
)


def _insert(rows: list[Outgoing], now: datetime) -> list[int]:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: set-based and idempotent, on PostgreSQL
    and SQLite alike; two workers recording the same e-mail at once record it once."""
    if not rows:
        return []
    created_at = connection.ops.adapt_datetimefield_value(now)
    params: list = []
    for row in rows:
        ct = ContentType.objects.get_for_model(row.about)
        to = ", ".join(dict.fromkeys(a for a in row.to if a))
        params += [row.kind, ct.pk, row.about.pk, row.provider_id, row.branch_id, to]
        params += [row.subject[:300], row.body, NotificationState.PENDING, 0, "", created_at]
        params.append(row.occasion)
    values = ", ".join(["(" + ", ".join(["%s"] * 13) + ")"] * len(rows))
    table = Notification._meta.db_table
    sql = f"INSERT INTO {table} ({COLUMNS}, occasion) VALUES {values} ON CONFLICT DO NOTHING RETURNING id"  # noqa: S608 - table name from the model
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Handoff:
    """What became of the hand-offs made while `handoff_report()` was open: how many e-mails the
    broker took and how many wait in the outbox for it (sent by the resend job when it is back)."""

    handed: int = 0
    waiting: int = 0
    # Once the broker refused one chunk, the rest are left to the resend job rather than each
    # waiting on a dead broker (a large distribution has many chunks).
    broker_down: bool = False
    # The distribution's workers (threads, each committing its own batches) count into one report.
    lock: Lock = field(default_factory=Lock, repr=False, compare=False)

    def add(self, *, handed: int = 0, waiting: int = 0) -> None:
        with self.lock:
            self.handed += handed
            self.waiting += waiting


_report: ContextVar[Handoff | None] = ContextVar("outbox_handoff_report", default=None)


@contextmanager
def handoff_report() -> Iterator[Handoff]:
    """Count the hand-offs made inside the block (the on-commit ones included, when the block
    holds the commit), so a page can say whether the e-mails went to a worker or wait."""
    report = Handoff()
    token = _report.set(report)
    try:
        yield report
    finally:
        _report.reset(token)


def notifications_send_after_commit(notification_ids: list[int]) -> None:
    """Hand to workers after commit e-mails a caller recorded set-based itself, in its own INSERT
    into the outbox with ON CONFLICT DO NOTHING (the distribution's fan-out, issue 13): the ids
    its RETURNING gave."""
    _send_on_commit(notification_ids)


def _send_on_commit(notification_ids: list[int]) -> None:
    """Hand to workers after commit, in chunks so one task never holds too much."""
    if not notification_ids:
        return
    for start in range(0, len(notification_ids), TASK_CHUNK):
        chunk = notification_ids[start : start + TASK_CHUNK]
        transaction.on_commit(lambda c=chunk: _hand_to_worker(c))


def _hand_to_worker(chunk: list[int]) -> bool:
    """Give one chunk to the broker and note when. With the broker down the e-mails stay in the
    outbox, unhanded, and the resend job hands them over when it is back: the caller's work has
    committed already and is never undone by a broker fault."""
    report = _report.get()
    if report is None or not report.broker_down:
        try:
            current_app.signature(SEND_TASK, args=(chunk,)).delay()
        except Exception as exc:  # noqa: BLE001 - any broker or network failure: the outbox keeps them
            if report is not None:
                report.broker_down = True
            log.warning("Broker unreachable; %d e-mail(s) wait in the outbox: %s", len(chunk), exc)
        else:
            Notification.objects.filter(pk__in=chunk).update(handed_at=timezone.now())
            if report is not None:
                report.add(handed=len(chunk))
            return True
    if report is not None:
        report.add(waiting=len(chunk))
    return False


def _claim(notification_id: int) -> bool:
    """Take the e-mail for sending; False when another worker has it or it is done (STYLE 5)."""
    claimable = [NotificationState.PENDING, NotificationState.FAILED]
    return bool(
        Notification.objects.filter(pk=notification_id, state__in=claimable).update(
            state=NotificationState.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
        )
    )


def notification_send(notification_id: int) -> str:
    """Send one e-mail if it is not sent or being sent; returns its new state ("skipped" when
    another worker has it or it is done). Raises on a failed send so the task retries with back-off;
    after MAX_ATTEMPTS it gives up, and the row says why."""
    if not _claim(notification_id):
        return "skipped"
    notification = Notification.objects.get(pk=notification_id)
    rows = Notification.objects.filter(pk=notification_id)
    if not notification.recipients:
        rows.update(state=NotificationState.GAVE_UP, last_error="There is no e-mail address.")
        return NotificationState.GAVE_UP
    message = EmailMessage(notification.subject, notification.body, to=notification.recipients)
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        gave_up = notification.attempts >= MAX_ATTEMPTS
        rows.update(
            state=NotificationState.GAVE_UP if gave_up else NotificationState.FAILED,
            last_error=str(exc)[:500],
            next_attempt_at=None if gave_up else timezone.now() + back_off(notification.attempts),
        )
        log.warning("E-mail %s to %s failed: %s", notification_id, notification.to_email, exc)
        raise
    sent = {"state": NotificationState.SENT, "sent_at": timezone.now(), "last_error": ""}
    if notification.kind in SECRET_KINDS:
        sent["body"] = SECRET_SENT  # the link signs someone in: no copy is kept once it went
    rows.update(next_attempt_at=None, **sent)
    return NotificationState.SENT


def notifications_resend(*, as_of: datetime) -> int:
    """The one resend job, for every kind: e-mails never handed to a worker, whose task was lost,
    whose worker died mid-send, or whose retry is overdue go to a worker again (the windows are
    at the top of this module). Each is claimed before sending, so one still in its own retry is
    never sent twice. Returns how many."""
    stale = as_of - STUCK_AFTER
    Notification.objects.filter(state=NotificationState.SENDING, claimed_at__lt=stale).update(
        state=NotificationState.FAILED, next_attempt_at=None
    )
    never_handed = Q(handed_at__isnull=True, created_at__lt=as_of - HANDOFF_GRACE)
    lost = Q(handed_at__lt=as_of - LOST_AFTER)
    # A failed one handed again by this job is not handed once more while its task may be queued.
    not_just_handed = Q(handed_at__isnull=True) | Q(handed_at__lt=as_of - RETRY_GRACE)
    due = Q(never_handed | lost, state=NotificationState.PENDING) | Q(
        Q(next_attempt_at__isnull=True, claimed_at__lt=stale)
        | Q(next_attempt_at__lt=as_of - RETRY_GRACE),
        not_just_handed,
        state=NotificationState.FAILED,
    )
    ids = list(
        Notification.objects.filter(due, attempts__lt=MAX_ATTEMPTS)
        .order_by("pk")
        .values_list("pk", flat=True)[:RESEND_LIMIT]
    )
    _send_on_commit(ids)
    return len(ids)

"""Celery tasks: they take ids or nothing, re-read the rows and call services (STYLE 2). E-mails are
sent, retried and resent by the outbox's tasks (`notifications.tasks`)."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .bank_holidays import runs_on
from .distribution import distribute_packages
from .reminders import offers_remind
from .schedule import distribution_catch_up
from .services import offers_close_expired


def _moment(as_of: str | None):
    """Tasks take moments as ISO text (JSON only); None means now."""
    return parse_moment(as_of) if as_of else timezone.now()


@shared_task
def distribute_packages_task(as_of: str | None = None, days: str | None = None) -> str:
    """The daily distribution at the times in the beat schedule (P3). `days` is the schedule's
    rule: the weekday run stands down on a bank holiday, the bank-holiday run goes only then."""
    now = _moment(as_of)
    if not runs_on(timezone.localdate(now), days):
        return f"not a day for the {days} run"
    with job_run("distribute_packages", now) as run:
        run["summary"] = str(distribute_packages(as_of=now, source="schedule"))
    return run["summary"]


@shared_task
def distribution_catch_up_task() -> str:
    """Every few minutes, and when a worker starts: mark interrupted the runs whose worker died,
    and if the scheduled run was missed or left packages queued, run it now (P5)."""
    now = timezone.now()
    result = distribution_catch_up(now=now)
    return str(result) if result else "no run missed"


@worker_ready.connect
def _catch_up_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A worker coming back after a crash finishes what the crash left at once, not at the next
    five-minute catch-up (issue 14.5)."""
    distribution_catch_up_task.delay()


@shared_task
def close_expired_offers_task(as_of: str | None = None) -> str:
    """Unanswered offers past their deadline become No Response (P6)."""
    now = _moment(as_of)
    with job_run("close_expired_offers", now) as run:
        run["summary"] = f"{offers_close_expired(as_of=now)} offer(s) closed as No Response"
    return run["summary"]


@shared_task
def send_deadline_reminders_task(as_of: str | None = None) -> str:
    """Unanswered offers near their deadline get one reminder e-mail each (P10)."""
    now = _moment(as_of)
    with job_run("send_deadline_reminders", now) as run:
        run["summary"] = f"{offers_remind(as_of=now)} reminder(s) recorded"
    return run["summary"]

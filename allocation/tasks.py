"""Celery tasks for allocation: the daily count of rolling 90-day rates the shortlist reads (K3)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .rates import refresh_rolling_rates


@shared_task
def refresh_rolling_rates_task(as_of: str | None = None) -> str:
    now = parse_moment(as_of) if as_of else timezone.now()
    with job_run("refresh_rolling_rates", now) as run:
        stored = refresh_rolling_rates(as_of=now)
        run["summary"] = f"rolling 90-day rates stored for {len(stored.counts)} provider(s)"
    return run["summary"]

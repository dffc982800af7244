"""Core scheduled tasks: a heartbeat that shows administrators the scheduler and workers are alive."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .jobs import job_run


@shared_task(name="core.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record a JobRun named "heartbeat" for now; returns the moment recorded, ISO 8601."""
    now = timezone.now()
    with job_run("heartbeat", now) as state:
        state["summary"] = f"alive at {timezone.localtime(now):%Y-%m-%d %H:%M:%S %Z}"
    return now.isoformat()

"""Recording scheduled job runs (JobRun) around the work a task or command does."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.db.models import F
from django.utils import timezone

from .models import JobRun


@contextmanager
def job_run(name: str, as_of: datetime):
    """Record that job `name` ran for moment `as_of`; the body may set `summary` on the yielded dict."""
    JobRun.objects.get_or_create(name=name)
    JobRun.objects.filter(name=name).update(last_started_at=timezone.now(), last_as_of=as_of)
    state: dict = {"summary": ""}
    yield state
    JobRun.objects.filter(name=name).update(
        last_finished_at=timezone.now(),
        runs=F("runs") + 1,
        last_summary=str(state["summary"])[:500],
    )

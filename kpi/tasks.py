"""Celery tasks: they take ids or moments as text, and call services (STYLE 2). Trigger e-mails go
through the outbox (`notifications`), which sends, retries and resends them."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .services import kpi_return_read, kpi_triggers_escalate


@shared_task
def escalate_kpi_triggers_task(as_of: str | None = None) -> str:
    """K7: daily, raise the triggers for returns late or missing by now."""
    moment = parse_moment(as_of) if as_of else timezone.now()
    with job_run("escalate_kpi_triggers", moment) as run:
        run["summary"] = str(kpi_triggers_escalate(as_of=moment))
    return run["summary"]


@shared_task(acks_late=True)
def read_kpi_return_task(upload_id: int) -> str:
    """K5: read a large visit file queued by the page or API (issue 14.2); safe to run twice."""
    return kpi_return_read(upload_id=upload_id)

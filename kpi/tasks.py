"""Celery tasks: they take ids or moments as text, and call services (STYLE 2)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from core.jobs import job_run
from core.timeutil import parse_moment

from .models import KpiTrigger


@shared_task
def escalate_kpi_triggers_task(as_of: str | None = None) -> str:
    """K7: daily, raise the triggers for returns late or missing by now."""
    from .services import kpi_triggers_escalate

    moment = parse_moment(as_of) if as_of else timezone.now()
    with job_run("escalate_kpi_triggers", moment) as run:
        run["summary"] = str(kpi_triggers_escalate(as_of=moment))
    return run["summary"]


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_trigger_email_task(self, trigger_id: int) -> str:
    """E-mail one trigger's recipients once: the row is claimed before sending (P7's habit)."""
    from .services import trigger_recipients

    now = timezone.now()
    if not KpiTrigger.objects.filter(pk=trigger_id, emailed_at__isnull=True).update(emailed_at=now):
        return "already sent"
    trigger = KpiTrigger.objects.select_related("provider").get(pk=trigger_id)
    recipients = trigger_recipients(trigger)
    context = {"trigger": trigger, "base_url": settings.PORTAL_BASE_URL}
    try:
        if recipients:
            send_mail(
                render_to_string("kpi/email/trigger_subject.txt", context).strip(),
                render_to_string("kpi/email/trigger_body.txt", context),
                None,
                recipients,
            )
    except Exception as exc:  # noqa: BLE001 - any SMTP failure: release the claim and retry
        KpiTrigger.objects.filter(pk=trigger_id).update(emailed_at=None)
        raise self.retry(exc=exc, countdown=min(60 * 2**self.request.retries, 1800)) from exc
    KpiTrigger.objects.filter(pk=trigger_id).update(emailed_to=", ".join(recipients))
    return ", ".join(recipients)

"""Issue 9.1: each KPI trigger's e-mail becomes a row in the one outbox (notifications.Notification).
Sent ones (emailed_to set) are recorded as sent to those addresses. One never sent and raised in the
last day (its old task may still have been retrying) is recorded as pending with today's recipients,
so the resend job sends it; an older one (the old task gave up after six failures) is recorded as
given up, with that reason, rather than sent late. Subject and body come from the trigger's templates."""

from django.conf import settings
from django.db import migrations
from django.template.loader import render_to_string
from django.utils import timezone


def _recipients(apps, trigger) -> list[str]:
    """As kpi.services.trigger_recipients, on historical models."""
    User = apps.get_model("providers", "User")
    provider = trigger.provider
    if trigger.level == 1:
        users = User.objects.filter(provider=provider, role="provider_org", is_active=True)
        emails = [provider.contact_email, *users.values_list("email", flat=True)]
    elif trigger.level == 2:
        emails = [provider.senior_manager_email or provider.contact_email]
    else:
        emails = User.objects.filter(role="contract_manager", is_active=True).values_list(
            "email", flat=True
        )
    return sorted({e for e in emails if e})


def forward(apps, schema_editor):
    KpiTrigger = apps.get_model("kpi", "KpiTrigger")
    New = apps.get_model("notifications", "Notification")
    ContentType = apps.get_model("contenttypes", "ContentType")
    trigger_type, _ = ContentType.objects.get_or_create(app_label="kpi", model="kpitrigger")
    recent = timezone.now() - timezone.timedelta(days=1)
    rows = []
    for trigger in KpiTrigger.objects.select_related("provider").order_by("pk"):
        context = {"trigger": trigger, "base_url": settings.PORTAL_BASE_URL}
        sent = bool(trigger.emailed_to)
        retry = not sent and trigger.created_at > recent
        if sent:
            state, error = "sent", ""
        elif retry:
            state, error = "pending", ""
        else:
            state, error = "gave_up", "Not sent before the outbox took over (issue 9.1)."
        rows.append(
            New(
                kind="trigger",
                content_type_id=trigger_type.pk,
                object_id=trigger.pk,
                provider_id=trigger.provider_id if trigger.level < 3 else None,
                to_email=trigger.emailed_to or ", ".join(_recipients(apps, trigger)),
                subject=render_to_string("kpi/email/trigger_subject.txt", context).strip()[:300],
                body=render_to_string("kpi/email/trigger_body.txt", context),
                state=state,
                last_error=error,
                attempts=1 if sent else 0,
                created_at=trigger.created_at,
                claimed_at=trigger.emailed_at if sent else None,
                sent_at=trigger.emailed_at if sent else None,
            )
        )
    New.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def backward(apps, schema_editor):
    New = apps.get_model("notifications", "Notification")
    KpiTrigger = apps.get_model("kpi", "KpiTrigger")
    rows = New.objects.filter(kind="trigger", content_type__app_label="kpi")
    for n in rows.filter(state="sent"):
        KpiTrigger.objects.filter(pk=n.object_id).update(
            emailed_at=n.sent_at, emailed_to=n.to_email
        )
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0001_initial"),
        ("notifications", "0001_initial"),
        # After the offer e-mails moved with their ids: inserted first, the triggers' e-mails
        # would take those ids (the order of the plan changes as other apps gain migrations).
        ("brokerage", "0004_notifications_to_outbox"),
        ("providers", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forward, backward)]

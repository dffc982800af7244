"""Issue 14.5: the resend job runs every minute, so a backlog left by a dead worker or broker
clears within minutes. A schedule still at the old default (every ten minutes) moves to every
minute; one an administrator changed is left alone."""

from django.db import migrations

TASK, OLD, NEW = "notifications.tasks.resend_notifications", "*/10", "*"


def _move(apps, old: str, new: str) -> None:
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    for task in PeriodicTask.objects.filter(task=TASK, crontab__minute=old).select_related(
        "crontab"
    ):
        cron = task.crontab
        task.crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=new,
            hour=cron.hour,
            day_of_week=cron.day_of_week,
            day_of_month=cron.day_of_month,
            month_of_year=cron.month_of_year,
            timezone=cron.timezone,
        )
        task.save(update_fields=["crontab"])


def forward(apps, schema_editor):
    _move(apps, OLD, NEW)


def backward(apps, schema_editor):
    _move(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_notification_handed_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]

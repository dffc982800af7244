"""Issue 9.1: the resend job moved from brokerage to the outbox and now covers every kind. A beat
schedule created before keeps its name and time; only the task it runs is renamed."""

from django.db import migrations

OLD, NEW = "brokerage.tasks.resend_stuck_notifications", "notifications.tasks.resend_notifications"


def forward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=OLD).update(task=NEW)


def backward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=NEW).update(task=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]

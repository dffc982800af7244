"""P3: the two daily distribution schedules say which days they serve, so the weekday run stands
down on a bank holiday (the bank-holiday run at the weekend time is created by ensure_schedules
after migrate, as every missing schedule is). Only an empty kwargs is filled: an administrator's
own arguments, and their times, are left alone."""

import json

from django.db import migrations

DAYS = {
    "Daily distribution (weekdays)": "weekdays",
    "Daily distribution (weekends)": "weekends",
}


def forward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task in PeriodicTask.objects.filter(name__in=DAYS):
        if json.loads(task.kwargs or "{}") == {}:
            task.kwargs = json.dumps({"days": DAYS[task.name]})
            task.save(update_fields=["kwargs"])


def backward(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task in PeriodicTask.objects.filter(name__in=DAYS):
        if json.loads(task.kwargs or "{}") == {"days": DAYS[task.name]}:
            task.kwargs = "{}"
            task.save(update_fields=["kwargs"])


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0007_distributionrun_source"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forward, backward)]

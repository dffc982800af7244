"""Beat schedules in the database (django-celery-beat), so administrators can change them (P3).

`settings.PORTAL_BEAT_SCHEDULES` lists the jobs the portal needs; `ensure_schedules()` creates the
ones that are missing and leaves every existing one alone, so an administrator's edits in the admin
(another time, a disabled job) survive every deploy and every `migrate`.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction

SCHEDULE_TIMEZONE = "Europe/London"


def ensure_schedules(*, schedules: list[dict] | None = None, using: str = "default") -> list[str]:
    """Create the PeriodicTask (and its CrontabSchedule) for each missing entry.

    Each entry is `{name, task, minute, hour, day_of_week}` (crontab fields, Europe/London time),
    with optional `kwargs` for the task.
    A task that already exists under the entry's name is never touched. Returns the names created.
    """
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    entries = settings.PORTAL_BEAT_SCHEDULES if schedules is None else schedules
    created: list[str] = []
    with transaction.atomic(using=using):
        existing = set(
            PeriodicTask.objects.using(using)
            .filter(name__in=[e["name"] for e in entries])
            .values_list("name", flat=True)
        )
        for entry in entries:
            if entry["name"] in existing:
                continue
            crontab, _ = CrontabSchedule.objects.using(using).get_or_create(
                minute=str(entry.get("minute", "*")),
                hour=str(entry.get("hour", "*")),
                day_of_week=str(entry.get("day_of_week", "*")),
                day_of_month=str(entry.get("day_of_month", "*")),
                month_of_year=str(entry.get("month_of_year", "*")),
                timezone=SCHEDULE_TIMEZONE,
            )
            PeriodicTask.objects.using(using).create(
                name=entry["name"],
                task=entry["task"],
                crontab=crontab,
                kwargs=json.dumps(entry.get("kwargs", {})),
                description=entry.get("description", ""),
            )
            created.append(entry["name"])
    return created

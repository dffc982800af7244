"""Beat schedules live in the database; migrate creates missing ones and keeps an admin's edits."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from core.schedules import ensure_schedules

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_heartbeat_schedule_every_15_minutes_london_time():
    PeriodicTask.objects.filter(task="core.tasks.heartbeat").delete()

    call_command("migrate", verbosity=0)

    task = PeriodicTask.objects.get(task="core.tasks.heartbeat")
    assert task.enabled
    assert task.crontab.minute == "*/15"
    assert task.crontab.hour == "*"
    assert str(task.crontab.timezone) == "Europe/London"


def test_every_configured_schedule_exists_after_migrate(settings):
    names = {entry["name"] for entry in settings.PORTAL_BEAT_SCHEDULES}
    assert names <= set(PeriodicTask.objects.values_list("name", flat=True))


def test_ensure_schedules_does_not_overwrite_an_administrators_edit():
    task = PeriodicTask.objects.get(task="core.tasks.heartbeat")
    edited = CrontabSchedule.objects.create(minute="5", hour="7", timezone="Europe/London")
    task.crontab = edited
    task.enabled = False
    task.save()

    assert ensure_schedules() == []
    call_command("migrate", verbosity=0)

    task.refresh_from_db()
    assert task.crontab_id == edited.pk
    assert (task.crontab.minute, task.crontab.hour) == ("5", "7")
    assert not task.enabled


def test_ensure_schedules_creates_only_the_missing_entries():
    schedules = [
        {"name": "Heartbeat", "task": "core.tasks.heartbeat", "minute": "0", "hour": "1"},
        {
            "name": "Weekend job",
            "task": "core.tasks.heartbeat",
            "minute": "30",
            "hour": "10",
            "day_of_week": "sat,sun",
        },
    ]

    assert ensure_schedules(schedules=schedules) == ["Weekend job"]

    weekend = PeriodicTask.objects.get(name="Weekend job").crontab
    assert (weekend.minute, weekend.hour, weekend.day_of_week) == ("30", "10", "sat,sun")
    assert str(weekend.timezone) == "Europe/London"
    assert PeriodicTask.objects.get(name="Heartbeat").crontab.minute == "*/15"
    assert ensure_schedules(schedules=schedules) == []

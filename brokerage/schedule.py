"""When the daily distribution should have run, read from the administrators' own schedules
(django-celery-beat), so a run missed while the system was down is caught up (P3, P5)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django_celery_beat.models import PeriodicTask

from .bank_holidays import runs_on, schedule_days
from .distribution import DistributionResult, distribute_packages, distribution_runs_interrupted
from .models import DistributionRun, Package, PackageStatus

DISTRIBUTION_TASK = "brokerage.tasks.distribute_packages_task"


def _slots_of(task: PeriodicTask, now: datetime, days: int = 8) -> list[datetime]:
    cron = task.crontab.schedule  # celery crontab with expanded minute/hour/day_of_week sets
    zone = ZoneInfo(str(task.crontab.timezone))
    today = now.astimezone(zone).date()
    rule = schedule_days(task.kwargs)  # P3: weekday runs stand down on bank holidays
    slots = []
    for back in range(days):
        day = today - timedelta(days=back)
        if day.isoweekday() % 7 not in cron.day_of_week:  # celery counts Sunday as 0
            continue
        if not runs_on(day, rule):
            continue
        slots += [
            datetime.combine(day, time(h, m), tzinfo=zone) for h in cron.hour for m in cron.minute
        ]
    return [s for s in slots if s <= now]


def last_distribution_slot(now: datetime) -> datetime | None:
    """The latest scheduled distribution time at or before `now`, in any enabled schedule."""
    tasks = PeriodicTask.objects.filter(
        task=DISTRIBUTION_TASK, enabled=True, crontab__isnull=False
    ).select_related("crontab")
    slots = [slot for task in tasks for slot in _slots_of(task, now)]
    return max(slots, default=None)


def distribution_catch_up(*, now: datetime) -> DistributionResult | None:
    """Run the distribution now if no daily run has happened since the last scheduled slot, or
    one left packages behind (a package locked at the time, a run whose worker was killed)."""
    distribution_runs_interrupted(now=now)
    slot = last_distribution_slot(now)
    if slot is None:
        return None
    ran = DistributionRun.objects.filter(as_of__gte=slot).exclude(source="send_now").exists()
    # A package a navigator held locked at the moment of the run was skipped: send it now.
    left_behind = (
        Package.objects.filter(status=PackageStatus.QUEUED, queued_at__lte=slot)
        .exclude(uncovered_at__gte=slot)
        .exists()
    )
    if ran and not left_behind:
        return None
    return distribute_packages(as_of=now, source="catch_up")
